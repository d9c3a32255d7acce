package sim_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/scenario"
	"github.com/surge-sh/surge/pkg/sim"
)

// demoRun replays a scenario file's simulator against its own stages, the
// way `surge run` sends them (evenly spaced arrivals, the request weights,
// the target timeout), and returns the result with each stage's window.
func demoRun(t *testing.T, file string, seed int64, arrivals sim.Arrivals) (*sim.ReplayResult, map[string]sim.Window) {
	t.Helper()
	s, err := scenario.LoadFile(filepath.Join("..", "..", "scenarios", file), scenario.Options{})
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	if s.Target.Sim == nil {
		t.Fatalf("%s: target.sim is not set", file)
	}
	sched, err := s.Schedule()
	if err != nil {
		t.Fatalf("%s: schedule: %v", file, err)
	}
	var mix []sim.KindWeight
	for _, r := range s.Target.Requests {
		mix = append(mix, sim.KindWeight{Kind: r.Name, Weight: r.Weight})
	}
	res, err := sim.Replay(*s.Target.Sim, sim.ReplayInput{
		Duration:      sched.Duration(),
		Rate:          func(x float64) float64 { return sched.Rate(time.Duration(x * float64(time.Second))) },
		ClientTimeout: s.Target.Timeout.D(),
		Mix:           mix,
		Seed:          seed,
		Arrivals:      arrivals,
	})
	if err != nil {
		t.Fatalf("%s: replay: %v", file, err)
	}
	stages := map[string]sim.Window{}
	for _, st := range sched.Stages() {
		stages[st.Name] = res.Window(st.Start.Seconds(), st.End().Seconds())
	}
	return res, stages
}

// The before/after story of the demo scenarios holds, with margin, under
// several seeds and both arrival processes.
func TestDemoStory(t *testing.T) {
	runs := []struct {
		name     string
		seed     int64
		arrivals sim.Arrivals
	}{
		{"even seed 1", 1, sim.ArrivalsEven},
		{"even seed 2", 2, sim.ArrivalsEven},
		{"poisson seed 3", 3, sim.ArrivalsPoisson},
		{"poisson seed 4", 4, sim.ArrivalsPoisson},
	}
	for _, run := range runs {
		t.Run("hpa-cpu/"+run.name, func(t *testing.T) {
			res, st := demoRun(t, "blackfriday.yaml", run.seed, run.arrivals)
			base, peak := st["baseline"], st["peak"]
			t.Logf("baseline p95 %.0fms; peak p95 %.0fms, timeouts %.1f%%, GPU %.2f, CPU %.2f, max queue %d", base.ClientP95Ms, peak.ClientP95Ms, 100*peak.TimeoutRate, peak.MeanGPU, peak.MeanCPU, peak.MaxQueue)
			if res.Totals.MaxCPU >= 0.70*0.95 {
				t.Errorf("CPU reached %.2f; the story needs it below the 70%% target throughout", res.Totals.MaxCPU)
			}
			if res.Totals.MaxDesired > 3 || len(res.Decisions) > 0 {
				t.Errorf("the CPU HPA scaled (%d decisions, max desired %d); it must not", len(res.Decisions), res.Totals.MaxDesired)
			}
			if peak.MeanGPU < 0.95 {
				t.Errorf("peak GPU %.3f, want >= 0.95", peak.MeanGPU)
			}
			if float64(peak.MaxQueue) < 10*max(base.MeanQueue, 1) || peak.MaxQueue < 20 {
				t.Errorf("peak queue %d vs baseline mean %.1f, want >= 10x and >= 20", peak.MaxQueue, base.MeanQueue)
			}
			if peak.ClientP95Ms <= 2000 {
				t.Errorf("peak client P95 %.0f ms, want > 2000", peak.ClientP95Ms)
			}
			if peak.TimeoutRate <= 0.05 {
				t.Errorf("peak timeout rate %.3f, want > 5%%", peak.TimeoutRate)
			}
			if base.ClientP95Ms < 150 || base.ClientP95Ms > 260 {
				t.Errorf("baseline client P95 %.0f ms, want about 200", base.ClientP95Ms)
			}
			if peak.MeanCPU < 0.50 || peak.MeanCPU > 0.60 {
				t.Errorf("peak CPU %.2f, want a plateau near 55%%", peak.MeanCPU)
			}
		})
		t.Run("keda/"+run.name, func(t *testing.T) {
			res, st := demoRun(t, "blackfriday-keda.yaml", run.seed, run.arrivals)
			ramp, peak := st["ramp"], st["peak"]
			t.Logf("peak p95 %.0fms, timeouts %.2f%%, ready %d..%d, decisions %d", peak.ClientP95Ms, 100*peak.TimeoutRate, peak.MinReady, res.Totals.MaxReady, len(res.Decisions))
			if len(res.Decisions) == 0 {
				t.Fatal("KEDA never scaled")
			}
			first := res.Decisions[0]
			if first.To <= first.From || first.At.Seconds() < ramp.From || first.At.Seconds() >= ramp.To {
				t.Errorf("first decision %+v, want a scale-up during the ramp [%gs, %gs)", first, ramp.From, ramp.To)
			}
			if res.Totals.MaxReady < 9 {
				t.Errorf("ready replicas reached %d, want >= 3x the initial 3", res.Totals.MaxReady)
			}
			// Margin for the noise of a real-time HTTP run.
			if peak.ClientP95Ms >= 350 {
				t.Errorf("peak client P95 %.0f ms, want < 500 with margin (< 350)", peak.ClientP95Ms)
			}
			if peak.TimeoutRate >= 0.005 {
				t.Errorf("peak timeout rate %.4f, want < 1%% with margin (< 0.5%%)", peak.TimeoutRate)
			}
		})
	}
}
