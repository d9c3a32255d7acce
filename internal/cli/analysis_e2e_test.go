package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/analysis"
	"github.com/surge-sh/surge/pkg/report"
)

// analysed returns a copy of a demo report with the analysis in it: the
// run's own when `surge run` did it, else one made here with the options
// of the scenario saved in the run directory. The copy keeps the shared
// demo reports as the run wrote them.
func analysed(t *testing.T, r *report.Report, dir string) *report.Report {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	c, err := report.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if c.Scaling.Reaction == nil {
		scn := savedScenario(&bytes.Buffer{}, filepath.Join(dir, "scenario.yaml"))
		if scn == nil || scn.Target.Sim == nil {
			t.Fatalf("%s: no simulator scenario saved next to the report", dir)
		}
		analysis.Analyze(c, analysis.OptionsFromSim(scn.Target.Sim))
	}
	return c
}

func findingIDs(r *report.Report) []string {
	ids := make([]string, 0, len(r.Diagnosis))
	for _, f := range r.Diagnosis {
		ids = append(ids, f.ID)
	}
	return ids
}

func finding(r *report.Report, id string) *report.Finding {
	for i := range r.Diagnosis {
		if r.Diagnosis[i].ID == id {
			return &r.Diagnosis[i]
		}
	}
	return nil
}

// TestAnalysisOnBlackFriday checks the scaling analysis on the two demo
// runs: the CPU HPA is diagnosed blind to a saturation that the queue
// showed first; KEDA's reaction is measured and needs no such finding; the
// advice for the HPA run parses as a ScaledObject and, replayed, keeps the
// peak within the SLO.
func TestAnalysisOnBlackFriday(t *testing.T) {
	hpaRun, kedaRun, hpaDir, kedaDir := demoReports(t)
	hpa, keda := analysed(t, hpaRun, hpaDir), analysed(t, kedaRun, kedaDir)

	t.Run("hpa-cpu", func(t *testing.T) {
		if finding(hpa, analysis.FindingCPUBlind) == nil {
			t.Errorf("findings %v, want %s", findingIDs(hpa), analysis.FindingCPUBlind)
		}
		f := finding(hpa, analysis.FindingLeadingSignal)
		if f == nil || f.Evidence["signal"] != "queue_depth" {
			t.Errorf("leading-signal %+v, want one naming queue_depth (findings %v)", f, findingIDs(hpa))
		} else if lead, _ := f.Evidence["leadSeconds"].(float64); lead <= 0 {
			t.Errorf("queue depth led by %v s, want a positive lead", f.Evidence["leadSeconds"])
		}
		rc := hpa.Scaling.Reaction
		if rc == nil || rc.SLOViolationSeconds == 0 || rc.PerReplicaCapacity <= 0 {
			t.Errorf("reaction %+v, want SLO-violation seconds and a measured capacity", rc)
		}
	})

	t.Run("keda", func(t *testing.T) {
		for _, id := range []string{analysis.FindingCPUBlind, analysis.FindingLeadingSignal} {
			if finding(keda, id) != nil {
				t.Errorf("findings %v, want no %s", findingIDs(keda), id)
			}
		}
		rc := keda.Scaling.Reaction
		if rc == nil || len(rc.Steps) == 0 || rc.Steps[0].DecisionSeconds == nil {
			t.Fatalf("reaction %+v, want a load step with its decision latency", rc)
		}
		t.Logf("keda: step at %gs, decision %gs", rc.Steps[0].AtSeconds, *rc.Steps[0].DecisionSeconds)
	})

	t.Run("advise hpa-cpu", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "scaledobject.yaml")
		w := newTestWorld()
		code := w.run("advise", hpaDir, "--out", out, "--verify")
		if code != ExitOK {
			t.Fatalf("exit %d, want 0 (the replay within the SLO); stdout:\n%s\nstderr:\n%s", code, w.out, w.errOut)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		so := decodeScaledObject(t, b)
		if so.APIVersion != "keda.sh/v1alpha1" || so.Kind != "ScaledObject" || len(so.Spec.Triggers) != 2 {
			t.Errorf("scaled object %+v", so)
		}
		if !strings.Contains(w.out.String(), "within the SLO") || strings.Contains(w.out.String(), "NOT within") {
			t.Errorf("verification output:\n%s", w.out)
		}
	})
}

// kedaScaledObject mirrors KEDA's ScaledObject fields an advice writes.
type kedaScaledObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		PollingInterval int `yaml:"pollingInterval"`
		CooldownPeriod  int `yaml:"cooldownPeriod"`
		MinReplicaCount int `yaml:"minReplicaCount"`
		MaxReplicaCount int `yaml:"maxReplicaCount"`
		Triggers        []struct {
			Type     string            `yaml:"type"`
			Metadata map[string]string `yaml:"metadata"`
		} `yaml:"triggers"`
	} `yaml:"spec"`
}

func decodeScaledObject(t *testing.T, b []byte) kedaScaledObject {
	t.Helper()
	var so kedaScaledObject
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&so); err != nil {
		t.Fatalf("decode ScaledObject: %v\n%s", err, b)
	}
	if so.Spec.ScaleTargetRef.Name == "" || so.Spec.MinReplicaCount < 1 || so.Spec.MaxReplicaCount < so.Spec.MinReplicaCount {
		t.Fatalf("ScaledObject %+v: want a target and 1 <= min <= max", so)
	}
	return so
}
