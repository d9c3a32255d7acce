package cli

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// scrapeSelf reads a /metrics endpoint as Prometheus does and flattens it
// to "name{label=\"v\",...}" -> value; histograms give _count and _sum.
func scrapeSelf(url string) (map[string]float64, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			key := func(suffix string) string { return name + suffix + labelString(m.GetLabel()) }
			switch {
			case m.Counter != nil:
				out[key("")] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key("")] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out, nil
}

func labelString(ls []*dto.LabelPair) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s=%q", l.GetName(), l.GetValue())
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func TestMetricsAddrDuringRun(t *testing.T) {
	srv := newCountingTarget(t, 0)
	scn := writeScenarioFile(t, steadyScenario("selfmetrics", srv.URL, 20, 4*time.Second))
	addr := freeLoopbackAddr(t)
	w := newTestWorld()
	w.f.Now = time.Now
	w.f.IO.ErrOut = &lockedBuffer{}
	done := make(chan int, 1)
	out := t.TempDir()
	go func() { done <- w.run("run", scn, "--out", out, "--quiet", "--metrics-addr", addr) }()

	var mid map[string]float64
	pollUntil(t, 15*time.Second, "a scrape mid-run with requests counted", func() bool {
		m, err := scrapeSelf("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		mid = m
		return m[`surge_requests_total{class="ok",scenario="selfmetrics",stage="steady"}`] >= 20
	})
	if got := mid[`surge_target_rate{scenario="selfmetrics"}`]; got != 20 {
		t.Errorf("surge_target_rate = %v mid-run, want 20", got)
	}
	if got := mid[`surge_current_stage_info{scenario="selfmetrics",stage="steady"}`]; got != 1 {
		t.Errorf("surge_current_stage_info{stage=steady} = %v, want 1", got)
	}
	if _, ok := mid[`surge_request_latency_seconds_count{scenario="selfmetrics",stage="steady"}`]; !ok {
		t.Errorf("no latency histogram in the scrape")
	}
	if code := <-done; code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, w.f.IO.ErrOut)
	}
	if _, err := scrapeSelf("http://" + addr + "/metrics"); err == nil {
		t.Errorf("the metrics endpoint still answers after the run")
	}
}

func TestMetricsAddrInUse(t *testing.T) {
	srv := newCountingTarget(t, 0)
	scn := writeScenarioFile(t, steadyScenario("busy", srv.URL, 5, 2*time.Second))
	addr := srv.Listener.Addr().String()
	w := newTestWorld()
	w.f.Now = time.Now
	if code := w.run("run", scn, "--out", t.TempDir(), "--quiet", "--metrics-addr", addr); code != ExitError {
		t.Fatalf("exit %d with --metrics-addr on a port in use, want %d", code, ExitError)
	}
	if !strings.Contains(w.errOut.String(), "--metrics-addr") {
		t.Errorf("the error does not name the flag: %s", w.errOut)
	}
}
