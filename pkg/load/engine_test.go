package load

import (
	"bytes"
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// delayServer answers after delay; paths under /slow take slow instead.
func delayServer(t *testing.T, delay, slow time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		d := delay
		if strings.HasPrefix(r.URL.Path, "/slow") {
			d = slow
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		if strings.HasPrefix(r.URL.Path, "/fail") {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func runEngine(t *testing.T, opts Options) *Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := NewEngine(opts).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	return out
}

func targeter(t *testing.T, reqs ...Request) *Targeter {
	t.Helper()
	tr, err := NewTargeter(reqs, nil, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestEngineRatesAndLatencyAgainstLoopback(t *testing.T) {
	const delay = 20 * time.Millisecond
	srv, hits := delayServer(t, delay, 0)
	sched := mustSchedule(t,
		StageSpan{Name: "warm", RateShape: "100", Duration: 2 * time.Second, Segments: []Segment{{2 * time.Second, 100, 100}}},
		StageSpan{Name: "ramp", RateShape: "100..300", Duration: 2 * time.Second, Segments: []Segment{{2 * time.Second, 100, 300}}},
	)
	var stream bytes.Buffer
	out := runEngine(t, Options{
		Schedule: sched,
		Targeter: targeter(t, Request{Name: "a", Weight: 1, Method: "POST", URL: srv.URL + "/x", Body: `{"n": {{ .Seq }}}`}),
		Timeout:  2 * time.Second, MaxInFlight: 1000, KeepAlive: true,
		Results: &stream,
	})
	wantReq := []int64{200, 400}
	for i, st := range out.Stages {
		if st.Requests != wantReq[i] || st.PlannedRequests != wantReq[i] {
			t.Errorf("stage %s: requests %d planned %d, want %d", st.Name, st.Requests, st.PlannedRequests, wantReq[i])
		}
		if math.Abs(st.AchievedRate-st.TargetRate)/st.TargetRate > 0.02 {
			t.Errorf("stage %s: achieved %.1f/s, target %.1f/s: more than 2%% off", st.Name, st.AchievedRate, st.TargetRate)
		}
		if st.Successes != st.Requests || st.Timeouts != 0 || st.Errors != 0 {
			t.Errorf("stage %s: %+v", st.Name, st)
		}
		p95 := st.LatencyMs.P95
		if p95 < float64(delay.Milliseconds()) || p95 > 10*float64(delay.Milliseconds()) {
			t.Errorf("stage %s: p95 %.1fms, want between %v and 10x", st.Name, p95, delay)
		}
		if st.LatencyMs.P95 < st.ServiceLatencyMs.P95 {
			t.Errorf("stage %s: corrected p95 %.1f below service p95 %.1f", st.Name, st.LatencyMs.P95, st.ServiceLatencyMs.P95)
		}
	}
	if got := hits.Load(); got != 600 || out.Totals.Requests != 600 {
		t.Fatalf("server saw %d, totals %d, want 600", got, out.Totals.Requests)
	}
	// The stream holds every result, decodable by vegeta itself.
	dec := vegeta.NewDecoder(&stream)
	var n int
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			break
		}
		n++
	}
	if n != 600 {
		t.Fatalf("results stream holds %d results, want 600", n)
	}
	// Per-second series: target rate follows the schedule.
	if len(out.Seconds) < 4 || math.Abs(out.Seconds[0].Target-100) > 1e-9 || math.Abs(out.Seconds[3].Target-250) > 1e-9 {
		t.Fatalf("per-second targets: %+v", out.Seconds)
	}
}

func TestEngineClassesTimeoutsAndErrors(t *testing.T) {
	srv, _ := delayServer(t, 5*time.Millisecond, 400*time.Millisecond)
	// a closed port on loopback: connection refused
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()

	sched := mustSchedule(t, StageSpan{Name: "s", Duration: 2 * time.Second, Segments: []Segment{{2 * time.Second, 60, 60}}})
	out := runEngine(t, Options{
		Schedule: sched,
		Targeter: targeter(t,
			Request{Name: "fast", Weight: 1, Method: "GET", URL: srv.URL + "/ok"},
			Request{Name: "slow", Weight: 1, Method: "GET", URL: srv.URL + "/slow"},
			Request{Name: "fail", Weight: 1, Method: "GET", URL: srv.URL + "/fail"},
			Request{Name: "refused", Weight: 1, Method: "GET", URL: refused},
		),
		Timeout: 200 * time.Millisecond, MaxInFlight: 1000, KeepAlive: true,
	})
	tot := out.Totals
	if tot.Requests != 120 {
		t.Fatalf("requests %d, want 120", tot.Requests)
	}
	byKind := map[string]int{}
	for i, k := range tot.Kinds {
		byKind[k.Name] = i
	}
	fast, slow, fail, ref := tot.Kinds[byKind["fast"]], tot.Kinds[byKind["slow"]], tot.Kinds[byKind["fail"]], tot.Kinds[byKind["refused"]]
	if fast.Successes != fast.Requests || fast.Requests == 0 {
		t.Errorf("fast: %+v", fast)
	}
	if slow.Timeouts != slow.Requests || slow.Requests == 0 {
		t.Errorf("slow: every request is slower than the timeout: %+v", slow)
	}
	if fail.ErrorsByClass["http5xx"] != fail.Requests || fail.Requests == 0 {
		t.Errorf("fail: %+v", fail)
	}
	if ref.ErrorsByClass["refused"] != ref.Requests || ref.Requests == 0 {
		t.Errorf("refused: %+v", ref)
	}
	if tot.Timeouts != slow.Requests || tot.Errors != fail.Requests+ref.Requests {
		t.Errorf("totals: timeouts %d errors %d", tot.Timeouts, tot.Errors)
	}
	var sum int64
	for _, k := range tot.Kinds {
		sum += k.Requests
		if k.PlannedRequests != k.Requests {
			t.Errorf("kind %s: planned %d, sent %d", k.Name, k.PlannedRequests, k.Requests)
		}
	}
	if sum != tot.Requests {
		t.Errorf("kinds add up to %d, total %d", sum, tot.Requests)
	}
}

func TestEngineInFlightCapIsReported(t *testing.T) {
	srv, _ := delayServer(t, 100*time.Millisecond, 0)
	sched := mustSchedule(t, StageSpan{Name: "s", Duration: 2 * time.Second, Segments: []Segment{{2 * time.Second, 100, 100}}})
	// 2 in flight x 100ms = 20 req/s at most against 100 planned per second.
	out := runEngine(t, Options{
		Schedule: sched, Targeter: targeter(t, Request{Name: "a", Weight: 1, Method: "GET", URL: srv.URL}),
		Timeout: 5 * time.Second, MaxInFlight: 2, KeepAlive: true,
	})
	st := out.Stages[0]
	if st.PlannedRequests != 200 {
		t.Fatalf("planned %d", st.PlannedRequests)
	}
	if st.Unsent < 100 || st.Requests+st.Unsent != st.PlannedRequests {
		t.Errorf("the cap must leave requests unsent and say so: %+v", st)
	}
	if st.Delayed < st.Requests/2 {
		t.Errorf("most sent requests went out late: delayed %d of %d", st.Delayed, st.Requests)
	}
	// Coordinated omission: what users waited far exceeds the service time.
	if st.LatencyMs.P95 < 5*st.ServiceLatencyMs.P95 {
		t.Errorf("corrected p95 %.0fms should dwarf service p95 %.0fms", st.LatencyMs.P95, st.ServiceLatencyMs.P95)
	}
}

func TestEngineStopsOnCancel(t *testing.T) {
	srv, hits := delayServer(t, time.Millisecond, 0)
	sched := mustSchedule(t, StageSpan{Name: "long", Duration: time.Minute, Segments: []Segment{{time.Minute, 50, 50}}})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	out, err := NewEngine(Options{Schedule: sched, Targeter: targeter(t, Request{Name: "a", Weight: 1, Method: "GET", URL: srv.URL}), Timeout: time.Second}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 10*time.Second || !out.Stopped {
		t.Fatalf("run did not stop: stopped=%v after %v", out.Stopped, time.Since(start))
	}
	st := out.Stages[0]
	if st.Requests == 0 || st.Requests != hits.Load() || st.Requests > 100 {
		t.Fatalf("requests %d, server saw %d", st.Requests, hits.Load())
	}
	// Only what was planned before the stop counts as planned.
	if st.PlannedRequests > 100 || st.Unsent > 2 {
		t.Fatalf("planned %d unsent %d after a stop at ~0.5s", st.PlannedRequests, st.Unsent)
	}
}
