package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"

	"github.com/surge-sh/surge/internal/testenv"
	"github.com/surge-sh/surge/pkg/units"
)

// fastConfig serves "short" requests in 15 ms and "slow" ones in 305 ms.
func fastConfig(replicas, slots int) Config {
	return Config{
		Seed: 1, Replicas: replicas, SlotsPerReplica: slots,
		Prefill: units.Duration(5 * time.Millisecond), PerToken: units.Duration(time.Millisecond),
		ColdStart: units.Duration(100 * time.Millisecond),
		Kinds: []Kind{
			{Name: "short", Tokens: Tokens{Min: 10, Max: 10}},
			{Name: "slow", Tokens: Tokens{Min: 300, Max: 300}},
		},
	}
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(context.Background(), cfg, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func enrich(ctx context.Context, s *Server, body string) (*EnrichResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/v1/enrich", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s", resp.Status)
	}
	var out EnrichResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func scrape(t *testing.T, s *Server) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(s.URL() + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mf
}

// value returns the value of the sample of family name whose labels include
// want (nil: the only sample); ok is false when there is none.
func value(mf map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := mf[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		<-tick.C
	}
}

func TestHTTPEnrichAndMetrics(t *testing.T) {
	s := startServer(t, fastConfig(2, 2))
	ctx := context.Background()
	tests := []struct {
		name, body string
		kind       string
		tokens     int
		serviceMs  float64
	}{
		{"named kind", `{"sku": "1", "kind": "slow"}`, "slow", 300, 305},
		{"unknown kind is the first", `{"kind": "poem"}`, "short", 10, 15},
		{"no body fields", `{}`, "short", 10, 15},
		{"not JSON", `sku=1`, "short", 10, 15},
		{"explicit tokens", `{"kind": "slow", "tokens": 20}`, "slow", 20, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			got, err := enrich(ctx, s, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.kind || got.Tokens != tt.tokens || got.ServiceMs != tt.serviceMs || got.Replica < 0 || got.QueueMs != 0 {
				t.Errorf("got %+v", got)
			}
			if el := time.Since(start); el < time.Duration(tt.serviceMs)*time.Millisecond {
				t.Errorf("answered after %s, before the simulated %g ms", el, tt.serviceMs)
			}
		})
	}

	resp, err := http.Get(s.URL() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	mf := scrape(t, s)
	for _, name := range []string{MetricQueueDepth, MetricLatency, MetricGPU, MetricCPU, MetricReplicasReady, MetricReplicasDesired} {
		if _, ok := mf[name]; !ok {
			t.Errorf("contract metric %s missing", name)
		}
	}
	if n, _ := value(mf, MetricLatency, nil); n != 5 {
		t.Errorf("latency histogram count %g, want 5", n)
	}
	if n, _ := value(mf, MetricRequests, map[string]string{"kind": "short", "outcome": "ok"}); n != 3 {
		t.Errorf("requests{short,ok} = %g, want 3", n)
	}
	if n, _ := value(mf, MetricRequests, map[string]string{"kind": "slow", "outcome": "ok"}); n != 2 {
		t.Errorf("requests{slow,ok} = %g, want 2", n)
	}
	if n, _ := value(mf, MetricReplicasReady, nil); n != 2 {
		t.Errorf("ready %g, want 2", n)
	}
	if n, _ := value(mf, MetricReplicasDesired, nil); n != 2 {
		t.Errorf("desired %g, want 2", n)
	}
	h := mf[MetricLatency].GetMetric()[0].GetHistogram()
	bounds := []float64{}
	for _, b := range h.GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) {
			bounds = append(bounds, b.GetUpperBound())
		}
	}
	if bounds[0] != 0.05 || bounds[len(bounds)-1] != 10 {
		t.Errorf("buckets %v, want 0.05 .. 10 s", bounds)
	}
	// The slow request (305 ms) is in no bucket below 0.3 s.
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == 0.3 && b.GetCumulativeCount() != 4 {
			t.Errorf("le=0.3 has %d, want the 4 fast ones", b.GetCumulativeCount())
		}
	}
}

// slowConfig holds the one slot for a second per "slow" request, so that
// queue states last long enough to be observed on a busy machine.
func slowConfig() Config {
	c := fastConfig(1, 1)
	c.Kinds[1].Tokens = Tokens{Min: 995, Max: 995}
	return c
}

func TestHTTPQueueAndCancellation(t *testing.T) {
	s := startServer(t, slowConfig())
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]error, 3)
	// One slot: the first slow request is served, two wait in the queue.
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = enrich(ctx, s, `{"kind": "slow"}`)
		}()
	}
	eventually(t, 5*time.Second, "a queue of 2", func() bool {
		n, _ := value(scrape(t, s), MetricQueueDepth, nil)
		return n == 2
	})
	// A client that gives up while queued leaves the queue.
	cctx, cancel := context.WithCancel(ctx)
	gone := make(chan error, 1)
	go func() { _, err := enrich(cctx, s, `{"kind": "short"}`); gone <- err }()
	eventually(t, 5*time.Second, "a queue of 3", func() bool {
		n, _ := value(scrape(t, s), MetricQueueDepth, nil)
		return n == 3
	})
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled client got %v", err)
	}
	eventually(t, 5*time.Second, "the cancelled request to be counted", func() bool {
		n, _ := value(scrape(t, s), MetricRequests, map[string]string{"kind": "short", "outcome": "cancelled"})
		return n == 1
	})
	wg.Wait()
	for i, err := range results {
		if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	mf := scrape(t, s)
	if n, _ := value(mf, MetricRequests, map[string]string{"kind": "slow", "outcome": "ok"}); n != 3 {
		t.Errorf("slow ok = %g, want 3", n)
	}
	if n, _ := value(mf, MetricLatency, nil); n != 3 {
		t.Errorf("latency count %g: cancelled requests are not observed", n)
	}
}

func TestHTTPScalingDecisions(t *testing.T) {
	cfg := fastConfig(1, 1)
	cfg.Autoscaler = Autoscaler{
		Policy: PolicyKEDA,
		HPA:    HPA{SyncPeriod: units.Duration(200 * time.Millisecond)},
		KEDA:   KEDA{Triggers: []Trigger{{Type: TriggerRedis, ListLength: 1}}},
	}
	s := startServer(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for range 6 {
		go enrich(ctx, s, `{"kind": "slow"}`)
	}
	eventually(t, 5*time.Second, "a scale-up decision and the new replicas ready", func() bool {
		mf := scrape(t, s)
		up, _ := value(mf, MetricDecisions, map[string]string{"direction": "up", "trigger": "redis"})
		ready, _ := value(mf, MetricReplicasReady, nil)
		return up >= 1 && ready >= 2
	})
}

func TestStartErrors(t *testing.T) {
	bad := fastConfig(1, 0)
	bad.SlotsPerReplica = -1
	if _, err := Start(context.Background(), bad, "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "slotsPerReplica: must be at least 1") {
		t.Errorf("invalid config: %v", err)
	}
	if _, err := Start(context.Background(), fastConfig(1, 1), "127.0.0.1:-1"); err == nil {
		t.Error("bad address accepted")
	}
}

func TestContextStopsServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, fastConfig(1, 1), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enrich(context.Background(), s, `{}`); err != nil {
		t.Fatal(err)
	}
	cancel()
	eventually(t, 5*time.Second, "the listener to close", func() bool {
		_, err := http.Get(s.URL() + "/healthz")
		return err != nil
	})
	if err := s.Close(); err != nil {
		t.Errorf("close after cancel: %v", err)
	}
}

func TestRedisQueueMirror(t *testing.T) {
	addr := testenv.Redis(t)
	cfg := slowConfig()
	cfg.Redis = addr
	s := startServer(t, cfg)
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	ctx := context.Background()
	llen := func() int64 {
		n, err := rc.LLen(ctx, DefaultRedisList).Result()
		if err != nil {
			t.Fatalf("LLEN: %v", err)
		}
		return n
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := enrich(ctx, s, `{"kind": "slow"}`); err != nil {
				t.Error(err)
			}
		}()
	}
	eventually(t, 5*time.Second, "3 entries in the Redis list", func() bool { return llen() == 3 })
	wg.Wait()
	eventually(t, 10*time.Second, "an empty Redis list", func() bool { return llen() == 0 })
}
