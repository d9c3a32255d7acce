package observe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"
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

// writeServiceAccount lays out a service account directory the way the
// kubelet mounts it; an empty value leaves that file out.
func writeServiceAccount(t *testing.T, token, ca, namespace string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"token": token, "ca.crt": ca, "namespace": namespace} {
		if content == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRestConfigInCluster(t *testing.T) {
	inCluster := map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
	fromEnv := writeKubeconfig(t, "https://env.example:6443", map[string]string{"dev": "dev-ns"}, "dev")
	tests := []struct {
		name       string
		cfg        KubernetesConfig
		env        Env
		vars       map[string]string
		token, ca  string
		namespace  string
		wantHost   string
		wantNS     string
		wantCAFile bool
		wantErr    string
	}{
		{name: "service account", vars: inCluster, token: "sa-token", ca: testCAPEM(t), namespace: "ai-services\n",
			wantHost: "https://10.96.0.1:443", wantNS: "ai-services", wantCAFile: true},
		{name: "scenario namespace over the pod's", cfg: KubernetesConfig{Namespace: "other"}, vars: inCluster, token: "sa-token", namespace: "ai-services",
			wantHost: "https://10.96.0.1:443", wantNS: "other"},
		{name: "no namespace file", vars: inCluster, token: "sa-token", wantHost: "https://10.96.0.1:443", wantNS: "default"},
		{name: "IPv6 service host", vars: map[string]string{"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}, token: "sa-token",
			wantHost: "https://[fd00::1]:443", wantNS: "default"},
		{name: "an invalid ca.crt falls back to the system roots", vars: inCluster, token: "sa-token", ca: "not a certificate",
			wantHost: "https://10.96.0.1:443", wantNS: "default"},
		{name: "no token", vars: inCluster, wantErr: "in-cluster config: open "},
		{name: "no port", vars: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1"}, token: "sa-token", wantErr: "in-cluster config: unable to load in-cluster configuration"},
		{name: "KUBECONFIG over in-cluster", vars: map[string]string{"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443", "KUBECONFIG": fromEnv}, token: "sa-token",
			wantHost: "https://env.example:6443", wantNS: "dev-ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeServiceAccount(t, tt.token, tt.ca, tt.namespace)
			SetServiceAccountDir(t, dir)
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
			if !strings.HasPrefix(tt.wantHost, "https://env.") {
				if rc.BearerToken != tt.token || rc.BearerTokenFile != filepath.Join(dir, "token") {
					t.Errorf("token %q from %q, want %q from the service account", rc.BearerToken, rc.BearerTokenFile, tt.token)
				}
				if got := rc.TLSClientConfig.CAFile != ""; got != tt.wantCAFile {
					t.Errorf("CAFile %q, want set: %v", rc.TLSClientConfig.CAFile, tt.wantCAFile)
				}
			}
		})
	}
}

// testCAPEM is a freshly made self-signed CA certificate in PEM.
func testCAPEM(t *testing.T) string {
	t.Helper()
	cert, _, err := certutil.GenerateSelfSignedCertKey("surge-test-ca", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(cert)
}
