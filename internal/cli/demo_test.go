package cli

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/report"
)

// The two Black Friday demos run once per test binary (about two minutes,
// both at once) and every test that needs them shares the reports.
var demo struct {
	once              sync.Once
	hpa, keda         *report.Report
	hpaDir, kedaDir   string
	hpaCode, kedaCode int
	hpaErr, kedaErr   string
}

// demoReports runs scenarios/blackfriday.yaml and blackfriday-keda.yaml
// through `surge run` and returns their reports and run directories.
func demoReports(t *testing.T) (hpa, keda *report.Report, hpaDir, kedaDir string) {
	t.Helper()
	demo.once.Do(func() {
		base, err := demoTempDir()
		if err != nil {
			t.Fatal(err)
		}
		demo.hpaDir, demo.kedaDir = filepath.Join(base, "hpa"), filepath.Join(base, "keda")
		var wg sync.WaitGroup
		run := func(file, dir string, code *int, errOut *string) {
			defer wg.Done()
			w := newTestWorld()
			w.f.Now = time.Now
			*code = w.run("run", filepath.Join("..", "..", "scenarios", file), "--out", dir, "--quiet")
			*errOut = w.errOut.String()
		}
		wg.Add(2)
		go run("blackfriday.yaml", demo.hpaDir, &demo.hpaCode, &demo.hpaErr)
		go run("blackfriday-keda.yaml", demo.kedaDir, &demo.kedaCode, &demo.kedaErr)
		wg.Wait()
	})
	if demo.hpa == nil {
		demo.hpa = readJSONReport(t, filepath.Join(demo.hpaDir, "report.json"))
		demo.keda = readJSONReport(t, filepath.Join(demo.kedaDir, "report.json"))
	}
	return demo.hpa, demo.keda, demo.hpaDir, demo.kedaDir
}

var demoDir struct {
	once sync.Once
	dir  string
	err  error
}

// demoTempDir outlives any one test, so that several tests can read the
// same runs; TestMain removes it.
func demoTempDir() (string, error) {
	demoDir.once.Do(func() {
		demoDir.dir, demoDir.err = mkdirTemp("surge-demo-")
	})
	return demoDir.dir, demoDir.err
}

func signalAgg(t *testing.T, r *report.Report, name, stage string) report.Agg {
	t.Helper()
	s := r.Signal(name)
	if s == nil {
		t.Fatalf("%s: no %s signal", r.Scenario.Name, name)
	}
	a, ok := s.ByStage[stage]
	if !ok || a.Samples == 0 {
		t.Fatalf("%s: signal %s has no samples in stage %s", r.Scenario.Name, name, stage)
	}
	return a
}

func maxOf(t *testing.T, r *report.Report, name string) float64 {
	t.Helper()
	s := r.Signal(name)
	if s == nil || len(s.Points) == 0 {
		t.Fatalf("%s: no %s points", r.Scenario.Name, name)
	}
	m := s.Points[0][1]
	for _, p := range s.Points {
		m = max(m, p[1])
	}
	return m
}

// TestBlackFridayStory checks the story the demo tells, on the report JSON:
// a CPU-scaled service collapses while CPU looks fine; the queue-scaled one
// holds its SLO.
func TestBlackFridayStory(t *testing.T) {
	hpa, keda, _, _ := demoReports(t)

	t.Run("hpa-cpu", func(t *testing.T) {
		if demo.hpaCode != ExitAssertFail || hpa.Verdict != report.VerdictFail {
			t.Errorf("exit %d verdict %s, want 3/fail (its SLO assertions break): %s", demo.hpaCode, hpa.Verdict, demo.hpaErr)
		}
		peak, _ := hpa.Stage("peak")
		if cpu := maxOf(t, hpa, "cpu"); cpu >= 0.70 {
			t.Errorf("CPU peaked at %.0f%%, want below the 70%% HPA target throughout", 100*cpu)
		}
		initial := hpa.Scaling.Replicas.Initial
		if !hpa.Scaling.Replicas.Known || hpa.Scaling.Replicas.Max != initial || maxOf(t, hpa, "replicas_desired") != initial {
			t.Errorf("replicas %+v, desired max %.0f: want no scale-up", hpa.Scaling.Replicas, maxOf(t, hpa, "replicas_desired"))
		}
		if gpu := signalAgg(t, hpa, "gpu", "peak").Avg; gpu < 0.95 {
			t.Errorf("GPU at peak %.0f%%, want >= 95%%", 100*gpu)
		}
		base := signalAgg(t, hpa, "queue_depth", "baseline").Avg
		q := signalAgg(t, hpa, "queue_depth", "peak").Max
		if q < 20 || q < 10*base {
			t.Errorf("peak queue depth %.0f, baseline average %.1f: want >= 20 and >= 10x", q, base)
		}
		if peak.LatencyMs.P95 <= 2000 {
			t.Errorf("client P95 at peak %.0fms, want > 2s", peak.LatencyMs.P95)
		}
		if tr := peak.TimeoutRate(); tr <= 0.05 {
			t.Errorf("timeout rate at peak %.1f%%, want > 5%%", 100*tr)
		}
	})

	t.Run("keda", func(t *testing.T) {
		if demo.kedaCode != ExitOK || keda.Verdict != report.VerdictPass {
			t.Errorf("exit %d verdict %s, want 0/pass: %s", demo.kedaCode, keda.Verdict, demo.kedaErr)
		}
		ramp, ok := keda.Stage("ramp")
		if !ok {
			t.Fatal("no ramp stage")
		}
		var firstUp float64 = -1
		for _, p := range keda.Signal("replicas_desired").Points {
			if p[1] > keda.Scaling.Replicas.Initial {
				firstUp = p[0]
				break
			}
		}
		if firstUp < ramp.StartSeconds || firstUp >= ramp.StartSeconds+ramp.DurationSeconds {
			t.Errorf("first scale-up decision at %.0fs, want during the ramp [%.0fs, %.0fs)", firstUp, ramp.StartSeconds, ramp.StartSeconds+ramp.DurationSeconds)
		}
		if r := keda.Scaling.Replicas; r.Max < 3*r.Initial {
			t.Errorf("replicas %+v: want max >= 3x initial", r)
		}
		peak, _ := keda.Stage("peak")
		if peak.LatencyMs.P95 >= 500 {
			t.Errorf("client P95 at peak %.0fms, want < 500ms", peak.LatencyMs.P95)
		}
		if tr := peak.TimeoutRate(); tr >= 0.01 {
			t.Errorf("timeout rate at peak %.2f%%, want < 1%%", 100*tr)
		}
		// The ramp, before the new replicas are ready, is where the
		// remaining timeouts are; the criteria are the peak's.
		t.Logf("keda: timeout rate over the whole run %.2f%%", 100*keda.Totals.TimeoutRate())
	})
}
