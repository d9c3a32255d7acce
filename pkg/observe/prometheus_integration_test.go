package observe_test

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/surge-sh/surge/internal/testenv"
	"github.com/surge-sh/surge/pkg/observe"
	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/sim"
	"github.com/surge-sh/surge/pkg/units"
)

// TestPrometheusMatchesDirectQuery runs the simulator under load, has a real
// Prometheus scrape it every second, observes it through surge's Prometheus
// source, and checks that the queue depth, GPU and P95 series surge reports
// are what a direct PromQL range query over the same window returns.
func TestPrometheusMatchesDirectQuery(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()

	cfg := sim.Config{Seed: 7, Replicas: 1, SlotsPerReplica: 2}
	cfg.ApplyDefaults()
	srv, err := sim.Start(ctx, cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prom := testenv.Prometheus(t, testenv.PrometheusOptions{Targets: []string{strings.TrimPrefix(srv.URL(), "http://")}})
	prom.WaitForTargetsUp(t, 15*time.Second)

	queries := map[string]string{
		"queue_depth": "max(inference_queue_depth)",
		"gpu":         "max(inference_gpu_utilization_ratio)",
		"p95_latency": "p95_latency", // the preset over inference_latency_seconds
	}
	obsCfg := observe.Config{
		Interval: units.Duration(time.Second),
		Prometheus: &observe.PrometheusConfig{
			URL:     prom.URL,
			Signals: queries,
			Vars:    map[string]string{"window": "5s"},
		},
	}
	obsCfg.ApplyDefaults()
	if problems := obsCfg.Validate(); len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	o, err := observe.New(obsCfg, observe.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}

	// The same run is also read straight from the simulator's /metrics.
	scrapeCfg := observe.Config{Interval: units.Duration(time.Second)}
	scrapeCfg.ApplyDefaults()
	direct, err := observe.New(scrapeCfg, observe.Env{DefaultScrapeURL: srv.URL() + "/metrics"})
	if err != nil {
		t.Fatal(err)
	}
	if err := direct.Check(ctx); err != nil {
		t.Fatalf("check scrape: %v", err)
	}

	// Whole seconds keep the range query's steps on Prometheus' own grid,
	// which makes the comparison below exact.
	start := time.Now().Truncate(time.Second).Add(time.Second)
	time.Sleep(time.Until(start))
	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); o.Run(runCtx, start) }()
	go func() { defer wg.Done(); direct.Run(runCtx, start) }()
	go func() { defer wg.Done(); drive(runCtx, srv.URL()+"/v1/enrich", 12*time.Second) }()
	time.Sleep(14 * time.Second)
	if v, ok := o.Last("queue_depth"); !ok || v < 0 {
		t.Errorf("Last(queue_depth) = %v, %v", v, ok)
	}
	stopRun()
	wg.Wait()
	end := start.Add(14 * time.Second)
	live, _, _ := o.Result(nil)
	// Let Prometheus take the scrape that covers the end.
	time.Sleep(2 * time.Second)
	o.Finish(ctx, end)
	stages := []observe.Span{{Name: "load", Start: 0, End: 12}, {Name: "drain", Start: 12, End: 14}}
	signals, _, sources := o.Result(stages)
	if len(sources) != 1 || !sources[0].OK {
		t.Fatalf("sources %+v", sources)
	}

	direct.Finish(ctx, end)
	checkScrape(t, direct, stages)

	client, err := api.NewClient(api.Config{Address: prom.URL})
	if err != nil {
		t.Fatal(err)
	}
	promAPI := v1.NewAPI(client)
	// The live instant samples are what the same query gives at the time
	// of each poll. A scrape ingested just after a poll can change the
	// answer for that instant, so most, not all, must agree exactly.
	for _, sig := range live {
		agree := 0
		for _, p := range sig.Points {
			at := start.Add(time.Duration(p[0] * float64(time.Second)))
			v, _, _, err := promAPI.Query(ctx, sig.Query, at)
			if err != nil {
				t.Fatalf("direct query %q at %v: %v", sig.Query, at, err)
			}
			if vec, ok := v.(model.Vector); ok && len(vec) == 1 && math.Abs(float64(vec[0].Value)-p[1]) <= 1e-9*math.Max(1, math.Abs(p[1])) {
				agree++
			}
		}
		if len(sig.Points) < 8 || agree < len(sig.Points)*8/10 {
			t.Errorf("live %s: %d of %d samples agree with a direct instant query", sig.Name, agree, len(sig.Points))
		}
	}
	bySignal := map[string]report.Signal{}
	for _, s := range signals {
		bySignal[s.Name] = s
	}
	for _, name := range []string{"queue_depth", "gpu", "p95_latency"} {
		t.Run(name, func(t *testing.T) {
			sig, ok := bySignal[name]
			if !ok {
				t.Fatalf("no signal %s in %v", name, signals)
			}
			query := sig.Query
			v, _, _, err := promAPI.QueryRange(ctx, query, v1.Range{Start: start, End: end, Step: time.Second})
			if err != nil {
				t.Fatalf("direct query %q: %v", query, err)
			}
			m := v.(model.Matrix)
			if len(m) != 1 {
				t.Fatalf("direct query %q: %d series", query, len(m))
			}
			var want []report.Point
			for _, sp := range m[0].Values {
				if math.IsNaN(float64(sp.Value)) {
					continue
				}
				want = append(want, report.Point{sp.Timestamp.Time().Sub(start).Seconds(), float64(sp.Value)})
			}
			if len(want) < 8 {
				t.Fatalf("direct query %q: only %d points", query, len(want))
			}
			if len(sig.Points) != len(want) {
				t.Fatalf("surge has %d points, Prometheus %d\nsurge %v\nprom  %v", len(sig.Points), len(want), sig.Points, want)
			}
			for i := range want {
				if math.Abs(sig.Points[i][0]-want[i][0]) > 1e-3 || math.Abs(sig.Points[i][1]-want[i][1]) > 1e-9*math.Max(1, math.Abs(want[i][1])) {
					t.Fatalf("point %d: surge %v, Prometheus %v", i, sig.Points[i], want[i])
				}
			}
			if agg := sig.ByStage["load"]; agg.Samples == 0 || agg.Max <= 0 {
				t.Errorf("load stage aggregate %+v: the load left no mark", agg)
			}
		})
	}
}

// checkScrape checks what the scrape source made of the simulator under
// load: every signal of the default mapping, in range, with the P95 of the
// busy seconds well above the bare service time.
func checkScrape(t *testing.T, o *observe.Observer, stages []observe.Span) {
	t.Helper()
	signals, scaling, sources := o.Result(stages)
	if len(sources) != 1 || !sources[0].OK || sources[0].Kind != "scrape" {
		t.Fatalf("scrape sources %+v", sources)
	}
	got := map[string]report.Signal{}
	for _, s := range signals {
		got[s.Name] = s
	}
	tests := []struct {
		signal   string
		min, max float64
	}{
		{signal: "queue_depth", min: 1, max: 1000},
		{signal: "gpu", min: 0.5, max: 1 + 1e-9},
		{signal: "cpu", min: 0.01, max: 1 + 1e-9},
		{signal: "p95_latency", min: 100, max: 10000},
		{signal: "replicas", min: 1, max: 1},
		{signal: "replicas_desired", min: 1, max: 1},
	}
	for _, tt := range tests {
		agg, ok := got[tt.signal].ByStage["load"]
		if !ok || agg.Samples < 5 || agg.Max < tt.min || agg.Max > tt.max {
			t.Errorf("scrape %s during load: %+v, want a max in [%v, %v]", tt.signal, agg, tt.min, tt.max)
		}
	}
	if !scaling.Replicas.Known || scaling.Replicas.Max != 1 {
		t.Errorf("scrape replicas %+v", scaling.Replicas)
	}
}

// drive sends requests at about 40/s, more than one replica with two slots
// serves, so that the queue, the GPU and the latency all move.
func drive(ctx context.Context, url string, d time.Duration) {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	defer wg.Wait()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(`{"kind":"short"}`)))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
}
