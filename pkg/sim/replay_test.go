package sim

import (
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestArrivalTimes(t *testing.T) {
	tests := []struct {
		name     string
		rate     func(float64) float64
		dur      float64
		kind     Arrivals
		min, max int
	}{
		{"even constant", func(float64) float64 { return 10 }, 5, ArrivalsEven, 50, 50},
		{"even ramp 0..100 over 10s", func(x float64) float64 { return 10 * x }, 10, ArrivalsEven, 499, 500},
		{"even zero rate sends nothing", func(float64) float64 { return 0 }, 5, ArrivalsEven, 0, 0},
		{"poisson constant", func(float64) float64 { return 100 }, 10, ArrivalsPoisson, 900, 1100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := arrivalTimes(tt.rate, tt.dur, tt.kind, rand.New(rand.NewSource(1)))
			if len(got) < tt.min || len(got) > tt.max {
				t.Fatalf("%d arrivals, want %d..%d", len(got), tt.min, tt.max)
			}
			for i := 1; i < len(got); i++ {
				if got[i] < got[i-1] || got[i] >= tt.dur {
					t.Fatalf("arrival %d at %g out of order or range", i, got[i])
				}
			}
			if tt.kind == ArrivalsEven && len(got) > 2 && tt.name == "even constant" {
				if gap := got[2] - got[1]; math.Abs(gap-0.1) > 1e-6 {
					t.Errorf("gap %g, want 0.1", gap)
				}
			}
		})
	}
}

func TestReplayIsDeterministicAndCountsTimeouts(t *testing.T) {
	cfg := fixedConfig(1, 4) // 21 req/s of the 9:1 mix
	in := ReplayInput{
		Duration:      20 * time.Second,
		Rates:         []float64{10, 10, 10, 10, 10, 40}, // the last rate holds to the end
		ClientTimeout: 2 * time.Second,
		Mix:           []KindWeight{{"k", 9}, {"long", 1}},
		Seed:          5,
		Arrivals:      ArrivalsPoisson,
	}
	a, err := Replay(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Replay(cfg, in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Seconds, b.Seconds) || a.Totals != b.Totals {
		t.Fatal("two replays of the same input differ")
	}
	if len(a.Seconds) != 20 {
		t.Fatalf("%d seconds, want 20", len(a.Seconds))
	}
	calm, busy := a.Window(0, 5), a.Window(10, 20)
	if calm.Timeouts != 0 || calm.MaxQueue > 5 {
		t.Errorf("calm window: %+v", calm)
	}
	if busy.TimeoutRate < 0.2 || busy.ClientP95Ms != 2000 || busy.MeanGPU < 0.99 {
		t.Errorf("overloaded window: %+v", busy)
	}
	if a.Totals.Requests != a.Totals.Successes+a.Totals.Timeouts {
		t.Errorf("totals do not add up: %+v", a.Totals)
	}
	sum := 0
	for _, s := range a.Seconds {
		sum += s.Arrivals
	}
	if sum != a.Totals.Requests {
		t.Errorf("per-second arrivals %d, total requests %d", sum, a.Totals.Requests)
	}
}

func TestReplayErrors(t *testing.T) {
	bad := fixedConfig(1, 1)
	bad.Kinds = []Kind{{Name: "x"}}
	tests := []struct {
		name string
		cfg  Config
		in   ReplayInput
		want string
	}{
		{"no duration", fixedConfig(1, 1), ReplayInput{Rates: []float64{1}}, "duration must be positive"},
		{"no rate", fixedConfig(1, 1), ReplayInput{Duration: time.Second}, "no arrival rate"},
		{"invalid config", bad, ReplayInput{Duration: time.Second, Rates: []float64{1}}, "kinds[0].tokens: set min/max or mean/stddev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Replay(tt.cfg, tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
