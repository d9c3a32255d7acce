package testenv

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Names of the users and contexts in the kubeconfigs KubeAPIServer writes.
const (
	// AdminUser is in the system:masters group: it may do anything.
	AdminUser = "surge-admin"
	// NoRightsUser authenticates but has no RBAC binding beyond what every
	// authenticated user gets (discovery), so reading pods is Forbidden.
	NoRightsUser = "surge-norights"
	// ClusterName names the cluster entry of both kubeconfigs.
	ClusterName = "surge-test"
	// AdminContext and NoRightsContext are the context names; the admin
	// kubeconfig holds both (admin current), the no-rights one only its own.
	AdminContext    = "surge-admin"
	NoRightsContext = "surge-norights"
)

// ServiceClusterIPRange is the --service-cluster-ip-range of the test API
// server. No traffic is ever sent there: there are no nodes or proxies.
const ServiceClusterIPRange = "10.0.0.0/24"

// KubeServer is a running kube-apiserver backed by its own etcd. Only the API
// server runs (no controller manager, scheduler or kubelet), so objects are
// stored and served but nothing reconciles them: a test that needs a
// Deployment's status or an HPA's decisions writes them itself.
type KubeServer struct {
	// URL is the API server's base URL, e.g. https://127.0.0.1:41234.
	URL string
	// AdminConfig authenticates as AdminUser with a bearer token and trusts the
	// server's self-signed certificate. Copy it (rest.CopyConfig) before
	// changing it.
	AdminConfig *rest.Config
	// NoRightsConfig authenticates as NoRightsUser.
	NoRightsConfig *rest.Config
	// AdminKubeconfig is the path of a kubeconfig whose current context is
	// AdminContext; it also holds NoRightsContext.
	AdminKubeconfig string
	// NoRightsKubeconfig is the path of a kubeconfig with NoRightsContext only.
	NoRightsKubeconfig string
	// EtcdURL is the client URL of the backing etcd.
	EtcdURL string

	daemon
	adminToken string
}

// KubeAPIServer starts etcd and kube-apiserver on free 127.0.0.1 ports with
// token authentication and RBAC, writes the admin and no-rights kubeconfigs,
// and waits until /readyz answers ok.
func KubeAPIServer(t testing.TB) *KubeServer {
	t.Helper()
	apiserverBin := binary(t, kubeBin)
	etcdPath := binary(t, etcdBin)
	dir := t.TempDir()

	etcdURL := startEtcd(t, etcdPath, dir)

	s := &KubeServer{
		EtcdURL:    etcdURL,
		daemon:     daemon{t: t, name: "kube-apiserver", bin: apiserverBin, log: filepath.Join(dir, "kube-apiserver.log")},
		adminToken: randomToken(t),
	}
	s.probe = s.ready
	noRightsToken := randomToken(t)

	certDir := filepath.Join(dir, "certs")
	tokenFile := filepath.Join(dir, "tokens.csv")
	// token,user,uid,"group,...": the no-rights user has no groups at all.
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n",
		s.adminToken, AdminUser, AdminUser, noRightsToken, NoRightsUser, NoRightsUser)
	if err := os.WriteFile(tokenFile, []byte(tokens), 0o600); err != nil {
		t.Fatalf("testenv: write token file: %v", err)
	}
	saKey, saPub := writeServiceAccountKey(t, dir)

	s.proc = startWithRetry(t, func(int) (*process, error) {
		port := freePort(t)
		s.URL = "https://127.0.0.1:" + strconv.Itoa(port)
		s.args = []string{
			"--etcd-servers=" + etcdURL,
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--cert-dir=" + certDir,
			"--token-auth-file=" + tokenFile,
			"--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + saPub,
			"--service-account-signing-key-file=" + saKey,
			"--service-cluster-ip-range=" + ServiceClusterIPRange,
			// Without a controller manager no namespace gets its "default"
			// service account, which the ServiceAccount plugin requires of pods.
			"--disable-admission-plugins=ServiceAccount",
			// The endpoints of the "kubernetes" service would advertise a
			// loopback address; nothing here needs them.
			"--endpoint-reconciler-type=none",
			"--profiling=false",
		}
		p := startProcess(t, "kube-apiserver", s.log, apiserverBin, s.args, nil)
		return p, p.waitReady(readyTimeout, s.ready)
	})

	ca, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
	if err != nil {
		t.Fatalf("testenv: read kube-apiserver serving certificate: %v", err)
	}
	s.AdminConfig = restConfig(s.URL, s.adminToken, ca)
	s.NoRightsConfig = restConfig(s.URL, noRightsToken, ca)

	s.AdminKubeconfig = filepath.Join(dir, "admin.kubeconfig")
	s.NoRightsKubeconfig = filepath.Join(dir, "norights.kubeconfig")
	admin := kubeconfig(s.URL, ca, AdminContext, map[string]string{
		AdminContext:    s.adminToken,
		NoRightsContext: noRightsToken,
	})
	noRights := kubeconfig(s.URL, ca, NoRightsContext, map[string]string{NoRightsContext: noRightsToken})
	if err := clientcmd.WriteToFile(admin, s.AdminKubeconfig); err != nil {
		t.Fatalf("testenv: write admin kubeconfig: %v", err)
	}
	if err := clientcmd.WriteToFile(noRights, s.NoRightsKubeconfig); err != nil {
		t.Fatalf("testenv: write no-rights kubeconfig: %v", err)
	}
	return s
}

// ready asks /readyz as the admin; it answers 200 "ok" once etcd is reachable
// and the bootstrap hooks (RBAC roles, priority levels) have run.
func (s *KubeServer) ready() error {
	client := http.Client{
		Timeout: 2 * time.Second,
		// The serving certificate is written by the server during startup;
		// the probe only needs to reach it.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // loopback readiness probe
	}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/readyz", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.adminToken)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /readyz: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

// startEtcd runs a single-member etcd with its data in dir and returns its
// client URL once /health reports healthy.
func startEtcd(t testing.TB, bin, dir string) string {
	t.Helper()
	var clientURL string
	startWithRetry(t, func(attempt int) (*process, error) {
		clientURL = "http://127.0.0.1:" + strconv.Itoa(freePort(t))
		peerURL := "http://127.0.0.1:" + strconv.Itoa(freePort(t))
		args := []string{
			"--name=surge-test",
			"--data-dir=" + filepath.Join(dir, fmt.Sprintf("etcd-%d", attempt)),
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=surge-test=" + peerURL,
			"--initial-cluster-state=new",
			"--logger=zap",
			"--log-outputs=stderr",
		}
		p := startProcess(t, "etcd", filepath.Join(dir, "etcd.log"), bin, args, nil)
		return p, p.waitReady(readyTimeout, func() error { return etcdHealthy(clientURL) })
	})
	return clientURL
}

func etcdHealthy(clientURL string) error {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(clientURL + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var h struct {
		Health string `json:"health"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return fmt.Errorf("decode /health: %w", err)
	}
	if h.Health != "true" {
		return fmt.Errorf("etcd /health: %q", h.Health)
	}
	return nil
}

// writeServiceAccountKey generates the RSA key kube-apiserver signs service
// account tokens with, and returns the private and public key file paths.
func writeServiceAccountKey(t testing.TB, dir string) (keyPath, pubPath string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("testenv: generate service account key: %v", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("testenv: marshal service account public key: %v", err)
	}
	keyPath = filepath.Join(dir, "sa.key")
	pubPath = filepath.Join(dir, "sa.pub")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatalf("testenv: write service account key: %v", err)
	}
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatalf("testenv: write service account public key: %v", err)
	}
	return keyPath, pubPath
}

func randomToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: generate token: %v", err)
	}
	return hex.EncodeToString(b)
}

func restConfig(url, token string, ca []byte) *rest.Config {
	return &rest.Config{
		Host:            url,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: ca},
		// Test fixtures create objects in bursts; client-side throttling at
		// the default 5 QPS would only slow the tests down.
		QPS:   100,
		Burst: 200,
	}
}

// kubeconfig builds a config with one cluster and one user+context per entry
// of tokens (context name -> bearer token), current context current.
func kubeconfig(url string, ca []byte, current string, tokens map[string]string) clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[ClusterName] = &clientcmdapi.Cluster{Server: url, CertificateAuthorityData: ca}
	for name, token := range tokens {
		cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: token}
		cfg.Contexts[name] = &clientcmdapi.Context{Cluster: ClusterName, AuthInfo: name, Namespace: "default"}
	}
	cfg.CurrentContext = current
	return *cfg
}
