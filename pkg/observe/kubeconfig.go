package observe

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	certutil "k8s.io/client-go/util/cert"
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
		rc, err := inClusterConfig(serviceAccountDir, getenv)
		if err != nil {
			return nil, "", fmt.Errorf("in-cluster config: %w", err)
		}
		ns := cfg.Namespace
		if ns == "" {
			ns = inClusterNamespace(serviceAccountDir)
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

// serviceAccountDir is where Kubernetes mounts a pod's service account
// token, CA and namespace. Tests point it at a directory of their own.
var serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// inClusterConfig replicates client-go's rest.InClusterConfig (v0.37)
// line for line, except that the directory and the environment are
// parameters, so that the same code runs in a pod and in tests: the API
// server from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the
// service account's token (BearerTokenFile makes client-go re-read it as
// the kubelet rotates it), and its ca.crt when that holds a valid
// certificate (client-go, too, falls back to the system roots otherwise).
func inClusterConfig(dir string, getenv func(string) string) (*rest.Config, error) {
	tokenFile := filepath.Join(dir, corev1.ServiceAccountTokenKey)
	rootCAFile := filepath.Join(dir, corev1.ServiceAccountRootCAKey)
	host, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return nil, rest.ErrNotInCluster
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, err
	}
	tlsClientConfig := rest.TLSClientConfig{}
	if _, err := certutil.NewPool(rootCAFile); err == nil {
		tlsClientConfig.CAFile = rootCAFile
	}
	return &rest.Config{
		Host:            "https://" + net.JoinHostPort(host, port),
		TLSClientConfig: tlsClientConfig,
		BearerToken:     string(token),
		BearerTokenFile: tokenFile,
	}, nil
}

// inClusterNamespace is the namespace of the pod surge runs in.
func inClusterNamespace(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, corev1.ServiceAccountNamespaceKey))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "default"
	}
	return strings.TrimSpace(string(b))
}
