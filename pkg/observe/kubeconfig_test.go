package observe

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func writeKubeconfig(t *testing.T, server string, contexts map[string]string, current string) string {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: server}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	for name, ns := range contexts {
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: ns}
	}
	cfg.CurrentContext = current
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRestConfigPrecedence(t *testing.T) {
	fromEnv := writeKubeconfig(t, "https://env.example:6443", map[string]string{"dev": "dev-ns"}, "dev")
	fromFlag := writeKubeconfig(t, "https://flag.example:6443", map[string]string{"prod": "prod-ns", "staging": "staging-ns"}, "prod")
	fromScenario := writeKubeconfig(t, "https://scenario.example:6443", map[string]string{"s": ""}, "s")
	tests := []struct {
		name     string
		cfg      KubernetesConfig
		env      Env
		vars     map[string]string
		wantHost string
		wantNS   string
		wantErr  string
	}{
		{name: "KUBECONFIG", vars: map[string]string{"KUBECONFIG": fromEnv}, wantHost: "https://env.example:6443", wantNS: "dev-ns"},
		{name: "scenario file over KUBECONFIG", cfg: KubernetesConfig{Kubeconfig: fromScenario}, vars: map[string]string{"KUBECONFIG": fromEnv}, wantHost: "https://scenario.example:6443", wantNS: "default"},
		{name: "flag over scenario", cfg: KubernetesConfig{Kubeconfig: fromScenario}, env: Env{Kubeconfig: fromFlag}, wantHost: "https://flag.example:6443", wantNS: "prod-ns"},
		{name: "context flag", env: Env{Kubeconfig: fromFlag, KubeContext: "staging"}, wantHost: "https://flag.example:6443", wantNS: "staging-ns"},
		{name: "scenario namespace wins", cfg: KubernetesConfig{Namespace: "ai-services"}, env: Env{Kubeconfig: fromFlag}, wantHost: "https://flag.example:6443", wantNS: "ai-services"},
		{name: "unknown context", env: Env{Kubeconfig: fromFlag, KubeContext: "nope"}, wantErr: "load kubeconfig " + fromFlag},
		{name: "missing file", env: Env{Kubeconfig: "/nonexistent/kubeconfig"}, wantErr: "load kubeconfig /nonexistent/kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			env.Getenv = func(k string) string { return tt.vars[k] }
			rc, ns, err := restConfig(tt.cfg, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rc.Host != tt.wantHost || ns != tt.wantNS {
				t.Fatalf("host %s ns %s, want %s %s", rc.Host, ns, tt.wantHost, tt.wantNS)
			}
		})
	}
}
