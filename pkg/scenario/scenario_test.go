package scenario

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wantErrors reads the "# error: ..." lines at the top of an invalid example.
func wantErrors(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if msg, ok := strings.CutPrefix(sc.Text(), "# error: "); ok {
			out = append(out, msg)
		}
	}
	return out
}

func TestInvalidExamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid-*.yaml")
	if len(files) == 0 {
		t.Fatal("no invalid examples")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := wantErrors(t, data)
			_, err = LoadFile(f, Options{})
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("want a scenario error, got %v", err)
			}
			var got []string
			for _, p := range se.Problems {
				got = append(got, p.Error())
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestValidExamplesAndScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid-*.yaml")
	shipped, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(shipped) == 0 {
		t.Fatal("no scenarios/*.yaml found")
	}
	for _, f := range append(files, shipped...) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s, err := LoadFile(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var plan bytes.Buffer
			if err := s.WritePlan(&plan); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(plan.String(), "total") {
				t.Fatalf("plan has no total:\n%s", plan.String())
			}
		})
	}
}

func TestFullExampleResolves(t *testing.T) {
	s, err := LoadFile("testdata/valid-full.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := s.Schedule()
	if err != nil {
		t.Fatal(err)
	}
	// 50*120 + (50+400)/2*300 + (100+200+300+400)*10 + (50*50+400*10) + 400*600 + 50*90
	want := int64(6000 + 67500 + 10000 + 6500 + 240000 + 4500)
	if got := sched.Planned(); got != want {
		t.Fatalf("planned %d, want %d", got, want)
	}
	if s.Target.Timeout.D() != 4*time.Second || s.Load.MaxInFlight != 500 {
		t.Fatalf("fields: %+v", s.Load)
	}
	reqs, err := s.Requests("")
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 2 || reqs[1].URL != "http://127.0.0.1:8080/summarize" || reqs[0].URL != "http://127.0.0.1:8080/enrich" {
		t.Fatalf("requests: %+v", reqs)
	}
	if reqs[1].Header["Content-Type"] != "application/json" || reqs[0].Method != "POST" {
		t.Fatalf("inherited fields: %+v", reqs[1])
	}
	f, err := s.Feeder()
	if err != nil || f.Len() != 2 {
		t.Fatalf("feeder: %v %v", f, err)
	}
	if float64(s.SLO.TimeoutRate) != 0.01 || s.SLO.P95.D() != 350*time.Millisecond {
		t.Fatalf("slo: %+v", s.SLO)
	}
}

func TestSetOverrides(t *testing.T) {
	tests := []struct {
		name    string
		set     []string
		check   func(*Scenario) bool
		wantErr string
	}{
		{name: "rate", set: []string{"load.stages[0].rate=7"}, check: func(s *Scenario) bool { return s.Load.Stages[0].Rate.Text == "7" }},
		{name: "new key", set: []string{"target.timeout=2s"}, check: func(s *Scenario) bool { return s.Target.Timeout.D() == 2*time.Second }},
		{name: "mapping value", set: []string{"target.headers={X-Env: staging}"}, check: func(s *Scenario) bool { return s.Target.Headers["X-Env"] == "staging" }},
		{name: "index out of range", set: []string{"load.stages[3].rate=7"}, wantErr: "index 3 out of range"},
		{name: "not a pair", set: []string{"name"}, wantErr: "want key=value"},
		{name: "override is validated", set: []string{"load.stages[0].rate=-5"}, wantErr: "rate -5 is negative"},
		{name: "unknown key is strict", set: []string{"target.timout=2s"}, wantErr: `unknown field "timout"`},
	}
	data, err := os.ReadFile("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(data, "valid-minimal.yaml", Options{Set: tt.set})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Fatal("override not applied")
			}
		})
	}
}

func TestRateShapes(t *testing.T) {
	tests := []struct {
		text    string
		hits    float64 // over 40s
		wantErr string
	}{
		{text: "50", hits: 2000},
		{text: "0..100", hits: 2000},
		{text: "100..300 in 4 steps", hits: 10 * (100 + 166.666 + 233.333 + 300)},
		{text: "10 spike 110 for 10s", hits: 30*10 + 10*110},
		{text: "  50  ..  70 ", wantErr: ""},
		{text: "50..", wantErr: `"" is not a rate`},
		{text: "50 spike 400", wantErr: "want \"BASE spike PEAK"},
		{text: "50 spike 400 for 0s", wantErr: "want a positive duration"},
		{text: "1e12", wantErr: "above 10000000"},
		{text: "NaN", wantErr: "is not a rate"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			shape, err := Rate{Text: strings.TrimSpace(tt.text)}.Parse()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.hits == 0 {
				return
			}
			segs, err := shape.Segments(40 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var got float64
			for _, sg := range segs {
				got += (sg.From + sg.To) / 2 * sg.Duration.Seconds()
			}
			if d := got - tt.hits; d > 1 || d < -1 {
				t.Fatalf("integral %.1f, want %.1f", got, tt.hits)
			}
		})
	}
}
