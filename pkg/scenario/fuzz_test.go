package scenario

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the scenario loader. Whatever the input,
// Parse returns a scenario or a *Error listing problems, never panics, and
// what it accepts resolves into a schedule and a plan, and survives the
// redacted copy a run saves. Seeds: every example and shipped scenario, and
// the hostile files in testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*.yaml", "../../scenarios/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml", Options{})
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse returned %T, want *Error: %v", err, err)
			}
			if len(se.Problems) == 0 {
				t.Fatalf("an error with no problems: %v", err)
			}
			for _, p := range se.Problems {
				if p.Message == "" {
					t.Fatalf("a problem with no message: %+v", p)
				}
			}
			return
		}
		// Validation promises that an accepted scenario can be run.
		sched, err := s.Schedule()
		if err != nil {
			t.Fatalf("accepted scenario has no schedule: %v", err)
		}
		if n := sched.Planned(); n < 0 {
			t.Fatalf("planned %d requests", n)
		}
		if d := sched.Duration(); d <= 0 {
			t.Fatalf("schedule lasts %v", d)
		}
		for i, st := range sched.Stages() {
			if r := sched.Rate(st.Start); math.IsNaN(r) || r < 0 {
				t.Fatalf("stage %d starts at rate %v", i, r)
			}
		}
		if err := s.WritePlan(io.Discard); err != nil {
			t.Fatalf("accepted scenario has no plan: %v", err)
		}
		saved, err := RedactedCopy(data, nil)
		if err != nil {
			t.Fatalf("accepted scenario cannot be copied for the output directory: %v", err)
		}
		// `surge report` rebuilds a run from the saved copy: it must load.
		again, err := Parse(saved, "fuzz.yaml", Options{})
		if err != nil {
			t.Fatalf("the saved copy of an accepted scenario does not load: %v\n%s", err, saved)
		}
		if a, b := again.Load.Stages, s.Load.Stages; len(a) != len(b) {
			t.Fatalf("the saved copy has %d stages, the scenario %d", len(a), len(b))
		}
	})
}
