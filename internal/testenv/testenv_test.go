package testenv

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestPrometheusScrapesTarget(t *testing.T) {
	t.Parallel()
	const gauge = 42.5
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/custom-metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE surge_testenv_gauge gauge\nsurge_testenv_gauge %g\n", gauge)
	}))
	t.Cleanup(target.Close)
	targetAddr := strings.TrimPrefix(target.URL, "http://")

	prom := Prometheus(t, PrometheusOptions{
		Targets:     []string{targetAddr},
		MetricsPath: "/custom-metrics",
		Rules: `groups:
  - name: surge
    rules:
      - record: surge_testenv_gauge_doubled
        expr: surge_testenv_gauge * 2
`,
	})
	prom.WaitForTargetsUp(t, 30*time.Second)

	tests := []struct {
		name  string
		query string
		want  float64
	}{
		{name: "up of the scraped target", query: `up{instance="` + targetAddr + `"}`, want: 1},
		{name: "gauge exposed by the target", query: `surge_testenv_gauge`, want: gauge},
		{name: "recording rule over the gauge", query: `surge_testenv_gauge_doubled`, want: 2 * gauge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := waitForInstantValue(t, prom.URL, tc.query, 30*time.Second)
			if got != tc.want {
				t.Errorf("query %s = %g, want %g", tc.query, got, tc.want)
			}
		})
	}

	t.Run("stop and restart", func(t *testing.T) {
		prom.Stop()
		if err := httpOK(prom.URL + "/-/ready"); err == nil {
			t.Fatalf("prometheus still answers after Stop")
		}
		prom.Restart()
		if got := waitForInstantValue(t, prom.URL, "surge_testenv_gauge", 30*time.Second); got != gauge {
			t.Errorf("after restart surge_testenv_gauge = %g, want %g", got, gauge)
		}
	})
}

// waitForInstantValue polls an instant query until it returns one sample.
func waitForInstantValue(t *testing.T, base, query string, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		v, err := instantValue(base, query)
		if err == nil {
			return v
		}
		last = err.Error()
		time.Sleep(200 * time.Millisecond) // polling a real server, not unit-test timing
	}
	t.Fatalf("query %s: no sample after %s: %s", query, timeout, last)
	return 0
}

func instantValue(base, query string) (float64, error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("status %q: %s", body.Status, body.Error)
	}
	if n := len(body.Data.Result); n != 1 {
		return 0, fmt.Errorf("%d samples", n)
	}
	s, ok := body.Data.Result[0].Value[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", body.Data.Result[0].Value[1])
	}
	return strconv.ParseFloat(s, 64)
}

func TestRedisListOperations(t *testing.T) {
	t.Parallel()
	addr := Redis(t)
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial redis: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)

	tests := []struct {
		name string
		cmd  []string
		want string
	}{
		{name: "push two items", cmd: []string{"RPUSH", "surge:queue", "a", "b"}, want: ":2"},
		{name: "push a third", cmd: []string{"RPUSH", "surge:queue", "c"}, want: ":3"},
		{name: "length", cmd: []string{"LLEN", "surge:queue"}, want: ":3"},
		{name: "length of another key", cmd: []string{"LLEN", "surge:empty"}, want: ":0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := respCommand(conn, r, tc.cmd...)
			if err != nil {
				t.Fatalf("%v: %v", tc.cmd, err)
			}
			if got != tc.want {
				t.Errorf("%v = %q, want %q", tc.cmd, got, tc.want)
			}
		})
	}
}

func TestRedisStopRestart(t *testing.T) {
	t.Parallel()
	srv := StartRedis(t)
	srv.Stop()
	if err := redisPing(srv.Addr); err == nil {
		t.Fatalf("redis still answers PING after Stop")
	}
	srv.Restart()
	if err := redisPing(srv.Addr); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
}

// respCommand sends one command as a RESP array and returns the reply line.
func respCommand(w net.Conn, r *bufio.Reader, args ...string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := w.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

func TestKubeAPIServer(t *testing.T) {
	t.Parallel()
	start := time.Now()
	kube := KubeAPIServer(t)
	t.Logf("etcd and kube-apiserver ready in %s", time.Since(start).Round(100*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	admin, err := kubernetes.NewForConfig(kube.AdminConfig)
	if err != nil {
		t.Fatalf("admin clientset: %v", err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "surge-testenv"}}
	if _, err := admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	replicas := int32(2)
	labels := map[string]string{"app": "inference"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "inference", Namespace: ns.Name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "inference:test"}}},
			},
		},
	}
	if _, err := admin.AppsV1().Deployments(ns.Name).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}

	tests := []struct {
		name       string
		kubeconfig string
		context    string // "" = the file's current context
		wantErr    func(error) bool
		wantDesc   string
	}{
		{name: "admin kubeconfig reads the deployment", kubeconfig: kube.AdminKubeconfig, wantErr: isNil, wantDesc: "no error"},
		{name: "admin kubeconfig, no-rights context", kubeconfig: kube.AdminKubeconfig, context: NoRightsContext, wantErr: apierrors.IsForbidden, wantDesc: "403 Forbidden"},
		{name: "no-rights kubeconfig is forbidden", kubeconfig: kube.NoRightsKubeconfig, wantErr: apierrors.IsForbidden, wantDesc: "403 Forbidden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
				&clientcmd.ClientConfigLoadingRules{ExplicitPath: tc.kubeconfig},
				&clientcmd.ConfigOverrides{CurrentContext: tc.context},
			).ClientConfig()
			if err != nil {
				t.Fatalf("load kubeconfig %s: %v", filepath.Base(tc.kubeconfig), err)
			}
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				t.Fatalf("clientset: %v", err)
			}
			_, err = cs.CoreV1().Pods(ns.Name).List(ctx, metav1.ListOptions{})
			if !tc.wantErr(err) {
				t.Fatalf("list pods: got error %v, want %s", err, tc.wantDesc)
			}
			if err == nil {
				got, err := cs.AppsV1().Deployments(ns.Name).Get(ctx, dep.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatalf("get deployment: %v", err)
				}
				if *got.Spec.Replicas != replicas {
					t.Errorf("deployment replicas = %d, want %d", *got.Spec.Replicas, replicas)
				}
			}
		})
	}

	t.Run("stop and restart", func(t *testing.T) {
		kube.Stop()
		if _, err := admin.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{}); err == nil {
			t.Fatalf("kube-apiserver still answers after Stop")
		}
		kube.Restart()
		// etcd kept the data: the deployment survives the restart.
		if _, err := admin.AppsV1().Deployments(ns.Name).Get(ctx, dep.Name, metav1.GetOptions{}); err != nil {
			t.Fatalf("get deployment after restart: %v", err)
		}
	})
}

func isNil(err error) bool { return err == nil }

func TestChromiumDumpsDOM(t *testing.T) {
	t.Parallel()
	bin := Chromium(t)
	const html = `<html><body><p id="surge">report &lt;ok&gt;</p>` +
		`<script>document.body.dataset.rendered = "yes"</script></body></html>`
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		url  string
	}{
		{name: "local file", url: "file://" + file},
		{name: "data URL", url: "data:text/html;charset=utf-8," + url.PathEscape(html)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, ChromiumArgs(t, "--dump-dom", tc.url)...)
			cmd.WaitDelay = 5 * time.Second // helper processes may keep the pipes open
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
			}
			dom := string(out)
			// The script ran (so JavaScript works) and the escaped text survived.
			for _, want := range []string{`<p id="surge">report &lt;ok&gt;</p>`, `data-rendered="yes"`} {
				if !strings.Contains(dom, want) {
					t.Errorf("dumped DOM lacks %s:\n%s", want, dom)
				}
			}
		})
	}
}
