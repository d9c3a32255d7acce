package observe

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// restConfig finds the credentials and the namespace: --kubeconfig and
// --context, then the scenario's kubeconfig and context, KUBECONFIG, the
// in-cluster service account, and ~/.kube/config.
func restConfig(cfg KubernetesConfig, env Env) (*rest.Config, string, error) {
	getenv := env.Getenv
	path := firstNonEmpty(env.Kubeconfig, cfg.Kubeconfig)
	kctx := firstNonEmpty(env.KubeContext, cfg.Context)
	kubeconfigEnv := getenv("KUBECONFIG")
	if path == "" && kubeconfigEnv == "" && kctx == "" && getenv("KUBERNETES_SERVICE_HOST") != "" {
		rc, err := rest.InClusterConfig()
		if err != nil {
			return nil, "", fmt.Errorf("in-cluster config: %w", err)
		}
		ns := cfg.Namespace
		if ns == "" {
			ns = inClusterNamespace()
		}
		return rc, ns, nil
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	switch {
	case path != "":
	case kubeconfigEnv != "":
		rules.Precedence = filepath.SplitList(kubeconfigEnv)
	default:
		rules.Precedence = []string{clientcmd.RecommendedHomeFile}
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: kctx})
	rc, err := cc.ClientConfig()
	if err != nil {
		where := path
		if where == "" {
			where = strings.Join(rules.Precedence, string(filepath.ListSeparator))
		}
		return nil, "", fmt.Errorf("load kubeconfig %s: %w", where, err)
	}
	ns := cfg.Namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil || ns == "" {
			ns = "default"
		}
	}
	return rc, ns, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// apiError says which permission or object is missing: a 403 names the
// verb, the resource and the namespace, since that is what a Role grants.
func apiError(err error, verb, resource, name, ns string) error {
	obj := resource
	if name != "" {
		obj = fmt.Sprintf("%s %q", resource, name)
	}
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("forbidden: cannot %s %s in namespace %q (apply the read-only Role in docs/observe.md): %w", verb, resource, ns, err)
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s %s in namespace %q: not found: %w", verb, obj, ns, err)
	}
	return fmt.Errorf("%s %s in namespace %q: %w", verb, obj, ns, err)
}

// inClusterNamespace is the namespace of the pod surge runs in.
func inClusterNamespace() string {
	b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "default"
	}
	return strings.TrimSpace(string(b))
}
