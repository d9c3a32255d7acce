package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/surge-sh/surge/internal/testenv"
	"github.com/surge-sh/surge/pkg/report"
)

// The fault tests run the real `surge run` in process against loopback
// servers and break one of them halfway. Whatever breaks, the run finishes,
// writes a complete report, and nothing measured before the fault is lost.

// faultRun runs a scenario in process while fault() is applied once
// trigger() holds, and returns the exit code, the report, the output
// directory, stderr and the fault's offset from the run start.
type faultRun struct {
	code    int
	rep     *report.Report
	dir     string
	stderr  string
	faultAt float64
}

func runWithFault(t *testing.T, scenario string, trigger func() bool, fault func()) faultRun {
	t.Helper()
	w := newTestWorld()
	w.f.Now = time.Now
	errOut := &lockedBuffer{}
	w.f.IO.ErrOut = errOut
	dir := t.TempDir()
	path := writeScenarioFile(t, scenario)
	done := make(chan int, 1)
	go func() { done <- w.run("run", path, "--out", dir, "--quiet", "--format", "json,md,html") }()

	var faultWall time.Time
	pollUntil(t, 30*time.Second, "the moment of the fault", func() bool {
		select {
		case code := <-done:
			t.Fatalf("the run ended (exit %d) before the fault; stderr:\n%s", code, errOut)
		default:
		}
		return trigger()
	})
	faultWall = time.Now()
	fault()
	var code int
	select {
	case code = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the run did not finish within 60 s of the fault; stderr:\n%s", errOut)
	}
	r := faultRun{code: code, dir: dir, stderr: errOut.String()}
	r.rep = readRunReport(t, dir)
	r.faultAt = faultWall.Sub(r.rep.StartedAt).Seconds()
	return r
}

func (r faultRun) markdown(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkComplete checks the parts of a report every run has, fault or not.
func checkComplete(t *testing.T, r faultRun, plannedRequests int64) {
	t.Helper()
	rep := r.rep
	if rep.Verdict == report.VerdictAborted {
		t.Errorf("verdict aborted (%s): a fault in what surge watches or loads must not stop the run", rep.Abort)
	}
	tot := rep.Totals
	if tot.Requests+tot.Unsent != plannedRequests {
		t.Errorf("%d requests and %d unsent, want the %d planned", tot.Requests, tot.Unsent, plannedRequests)
	}
	if tot.Requests != tot.Successes+tot.Timeouts+tot.Errors {
		t.Errorf("totals do not add up: %+v", tot)
	}
	for _, f := range []string{"report.json", "report.md", "report.html", "results.gob", "scenario.yaml"} {
		if fi, err := os.Stat(filepath.Join(r.dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
}

// checkSignalGap checks that a signal kept its points from before the fault
// and recorded the outage as a gap, in report.json and in report.md.
func checkSignalGap(t *testing.T, r faultRun, name, source string, want float64) {
	t.Helper()
	sig := r.rep.Signal(name)
	if sig == nil {
		t.Fatalf("no %s signal in the report", name)
	}
	if sig.Source != source {
		t.Errorf("%s comes from %q, want %q", name, sig.Source, source)
	}
	before := 0
	for _, p := range sig.Points {
		if p[0] < r.faultAt {
			before++
			if p[1] != want {
				t.Errorf("%s at %.1fs = %v, want %v", name, p[0], p[1], want)
			}
		}
	}
	// Polled every second from the start: one point a second before the
	// fault, less one for the poll in flight when it struck.
	if min := int(r.faultAt) - 1; before < min {
		t.Errorf("%s has %d points before the fault at %.1fs, want at least %d: %v", name, before, r.faultAt, min, sig.Points)
	}
	if len(sig.Gaps) == 0 {
		t.Fatalf("%s records no gap after its source stopped at %.1fs", name, r.faultAt)
	}
	g := sig.Gaps[0]
	if g.FromSeconds < r.faultAt-1.5 || g.Error == "" {
		t.Errorf("gap %+v: want one starting after the fault at %.1fs, with the error", g, r.faultAt)
	}
	var src *report.SourceInfo
	for i := range r.rep.Sources {
		if r.rep.Sources[i].Kind == source || r.rep.Sources[i].Name == source {
			src = &r.rep.Sources[i]
		}
	}
	if src == nil {
		t.Errorf("no %s entry in sources: %+v", source, r.rep.Sources)
	} else if len(src.Gaps) == 0 && src.Error == "" {
		t.Errorf("source %s says nothing of the outage: %+v", source, *src)
	}
	md := r.markdown(t)
	if !strings.Contains(md, "`"+name+"`: no data from") {
		t.Errorf("report.md does not show the %s gap", name)
	}
}

func TestFaultTargetKilled(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	scn := fmt.Sprintf(`apiVersion: surge/v1alpha1
kind: Scenario
name: target-killed
target: {url: %s, timeout: 2s}
load:
  stages:
    - {name: before, duration: 4s, rate: 20}
    - {name: after, duration: 4s, rate: 20}
`, srv.URL)
	var atKill int64
	r := runWithFault(t, scn,
		func() bool { return served.Load() >= 80 },
		func() {
			srv.CloseClientConnections()
			srv.Close()
			atKill = served.Load()
		})
	if r.code != ExitOK {
		t.Errorf("exit %d, want %d (no assertions); stderr:\n%s", r.code, ExitOK, r.stderr)
	}
	checkComplete(t, r, 160)
	rep := r.rep
	before, _ := rep.Stage("before")
	if before.Requests != 80 || before.Successes != 80 {
		t.Errorf("stage before: %d requests, %d successes; want all 80 answered before the kill", before.Requests, before.Successes)
	}
	if rep.Totals.Successes != atKill {
		t.Errorf("%d successes in the report, the target answered %d before it died", rep.Totals.Successes, atKill)
	}
	after, _ := rep.Stage("after")
	if after.Errors == 0 {
		t.Fatalf("stage after: no errors after the target died: %+v", after)
	}
	var classed int64
	for class, n := range after.ErrorsByClass {
		if class != "refused" && class != "reset" {
			t.Errorf("%d errors classed %q after the target died, want refused or reset", n, class)
		}
		classed += n
	}
	if classed != after.Errors {
		t.Errorf("errors by class sum to %d, errors %d", classed, after.Errors)
	}
	if after.ErrorsByClass["refused"] == 0 {
		t.Errorf("no connection refused after the listener closed: %v", after.ErrorsByClass)
	}
	md := r.markdown(t)
	if !strings.Contains(md, "refused") {
		t.Errorf("report.md does not show the refused errors")
	}
}

// metricsTarget serves one gauge for Prometheus to scrape.
func metricsTarget(t *testing.T, name string, v float64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE %s gauge\n%s %g\n", name, name, v)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// promHasSeries waits until Prometheus answers query with a sample.
func promHasSeries(t *testing.T, base, query string) {
	t.Helper()
	pollUntil(t, 20*time.Second, "prometheus to hold "+query, func() bool {
		resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var body struct {
			Data struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		return json.NewDecoder(resp.Body).Decode(&body) == nil && len(body.Data.Result) > 0
	})
}

func TestFaultPrometheusKilled(t *testing.T) {
	gauge := metricsTarget(t, "surge_test_queue_depth", 7)
	prom := testenv.Prometheus(t, testenv.PrometheusOptions{Targets: []string{strings.TrimPrefix(gauge.URL, "http://")}})
	prom.WaitForTargetsUp(t, 20*time.Second)
	promHasSeries(t, prom.URL, "surge_test_queue_depth")
	target := newCountingTarget(t, 0)

	scn := fmt.Sprintf(`apiVersion: surge/v1alpha1
kind: Scenario
name: prometheus-killed
target: {url: %s, timeout: 2s}
load:
  stages:
    - {name: steady, duration: 10s, rate: 10}
observe:
  interval: 1s
  prometheus:
    url: %s
    signals: {queue_depth: surge_test_queue_depth}
`, target.URL, prom.URL)
	r := runWithFault(t, scn, func() bool { return target.n.Load() >= 45 }, prom.Stop)
	if r.code != ExitOK {
		t.Errorf("exit %d, want %d; stderr:\n%s", r.code, ExitOK, r.stderr)
	}
	checkComplete(t, r, 100)
	if got := r.rep.Totals.Successes; got != target.n.Load() || got != 100 {
		t.Errorf("%d successes, the target answered %d of 100", got, target.n.Load())
	}
	checkSignalGap(t, r, "queue_depth", "prometheus", 7)
}

func TestFaultKubeAPIServerStopped(t *testing.T) {
	kube := testenv.KubeAPIServer(t)
	cs, err := kubernetes.NewForConfig(kube.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	three := int32(3)
	labels := map[string]string{"app": "web"}
	d, err := cs.AppsV1().Deployments("default").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &three,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "registry.invalid/web:1"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing reconciles here: the test plays the controller.
	d.Status = appsv1.DeploymentStatus{Replicas: 3, ReadyReplicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}
	if _, err := cs.AppsV1().Deployments("default").UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	target := newCountingTarget(t, 0)
	scn := fmt.Sprintf(`apiVersion: surge/v1alpha1
kind: Scenario
name: kube-stopped
target: {url: %s, timeout: 2s}
load:
  stages:
    - {name: steady, duration: 10s, rate: 10}
observe:
  interval: 1s
  kubernetes:
    kubeconfig: %s
    namespace: default
    deployment: web
`, target.URL, kube.AdminKubeconfig)
	r := runWithFault(t, scn, func() bool { return target.n.Load() >= 45 }, kube.Stop)
	if r.code != ExitOK {
		t.Errorf("exit %d, want %d; stderr:\n%s", r.code, ExitOK, r.stderr)
	}
	checkComplete(t, r, 100)
	if got := r.rep.Totals.Successes; got != target.n.Load() || got != 100 {
		t.Errorf("%d successes, the target answered %d of 100", got, target.n.Load())
	}
	checkSignalGap(t, r, "replicas", "kubernetes", 3)
	if rs := r.rep.Scaling.Replicas; !rs.Known || rs.Initial != 3 || rs.Max != 3 {
		t.Errorf("replica summary %+v, want 3 throughout what was seen", rs)
	}
}
