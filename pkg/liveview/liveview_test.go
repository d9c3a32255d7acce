package liveview

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/report"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func frames() []struct {
	name  string
	frame Frame
	width int
} {
	mid := load.Live{
		Elapsed: 83 * time.Second, Stage: "ramp", TargetRate: 212.4, Sent: 17_410, Done: 17_375, InFlight: 35, Failed: 12,
		Window: report.Stats{
			DurationSeconds: 10, Requests: 2090, Successes: 2081, Timeouts: 3, Errors: 6,
			ErrorsByClass: map[string]int64{"http5xx": 5, "reset": 1},
			LatencyMs:     report.Latency{P95: 184.3},
		},
	}
	return []struct {
		name  string
		frame Frame
		width int
	}{
		{name: "before-first-request", width: 80, frame: Frame{Scenario: "blackfriday", Total: 20 * time.Minute, Window: 10 * time.Second}},
		{name: "mid-run", width: 100, frame: Frame{Scenario: "blackfriday", Total: 20 * time.Minute, Window: 10 * time.Second, Live: mid, Achieved: 209.6}},
		{name: "observed", width: 100, frame: Frame{Scenario: "blackfriday", Total: 20 * time.Minute, Window: 10 * time.Second, Live: mid, Achieved: 209.6,
			Replicas: 4, HasReplicas: true, Queue: 120, HasQueue: true}},
		{name: "queue-only-slow", width: 100, frame: Frame{Scenario: "keda", Total: 90 * time.Minute, Window: 10 * time.Second, Achieved: 0.5,
			Live: load.Live{Elapsed: 65*time.Minute + 4*time.Second, Stage: "peak", TargetRate: 0.5, Sent: 1950, Done: 1950,
				Window: report.Stats{DurationSeconds: 10, Requests: 5, Successes: 5, LatencyMs: report.Latency{P95: 12_345}}},
			Queue: 7, HasQueue: true}},
		{name: "narrow", width: 40, frame: Frame{Scenario: "blackfriday", Total: 20 * time.Minute, Window: 10 * time.Second, Live: mid, Achieved: 209.6,
			Replicas: 4, HasReplicas: true}},
		{name: "finished", width: 100, frame: Frame{Scenario: "smoke", Total: 30 * time.Second, Window: 10 * time.Second, Achieved: 20,
			Live: load.Live{Elapsed: 33 * time.Second, Stage: "steady", TargetRate: 0, Sent: 600, Done: 600,
				Window: report.Stats{DurationSeconds: 10, Requests: 200, Successes: 200, LatencyMs: report.Latency{P95: 3.2}}}}},
	}
}

func TestRenderGolden(t *testing.T) {
	for _, tt := range frames() {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("# terminal block\n")
			block := Block(tt.frame, tt.width)
			for _, l := range block {
				if n := utf8.RuneCountInString(l); n > tt.width {
					t.Errorf("line of %d columns in a %d-column terminal: %q", n, tt.width, l)
				}
				b.WriteString(l + "\n")
			}
			b.WriteString("# plain line\n")
			line := Line(tt.frame)
			if strings.Contains(line, "\n") || strings.Contains(line, "\x1b") {
				t.Errorf("plain line has a newline or an escape: %q", line)
			}
			b.WriteString(line + "\n")
			golden(t, filepath.Join("testdata", tt.name+".golden"), b.String())
		})
	}
}

// TestBlockShowsWhatWasObserved checks the lines against the frame rather
// than a recording, so that a golden file updated by mistake cannot hide a
// lost figure.
func TestBlockShowsWhatWasObserved(t *testing.T) {
	for _, tt := range frames() {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.frame
			text := strings.Join(Block(f, 1000), "\n")
			want := []string{f.Scenario, Clock(min(f.Live.Elapsed, f.Total)) + " / " + Clock(f.Total), "in flight " + strconv.FormatUint(f.Live.InFlight, 10)}
			if f.Live.Stage != "" {
				want = append(want, "stage "+f.Live.Stage)
			}
			if f.Live.Failed > 0 {
				want = append(want, "errors "+strconv.FormatInt(f.Live.Failed, 10))
			}
			if f.HasReplicas {
				want = append(want, "replicas "+num(f.Replicas))
			}
			if f.HasQueue {
				want = append(want, "queue "+num(f.Queue))
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("block lacks %q:\n%s", w, text)
				}
			}
			if !f.HasReplicas && !f.HasQueue && strings.Contains(text, "observed") {
				t.Errorf("block has an observed line with nothing observed:\n%s", text)
			}
		})
	}
}

func TestClock(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"}, {-time.Second, "0:00"}, {1499 * time.Millisecond, "0:01"}, {83 * time.Second, "1:23"},
		{59*time.Minute + 59*time.Second, "59:59"}, {time.Hour + 2*time.Minute + 3*time.Second, "1:02:03"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Clock(tt.d); got != tt.want {
				t.Errorf("Clock(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

// screen is a minimal ANSI terminal: enough of it to replay what Terminal
// writes (cursor up, carriage return, clear line, clear to end of screen).
type screen struct {
	lines []string
	row   int
}

var csi = regexp.MustCompile(`^\x1b\[(\d*)([AJK])`)

func (s *screen) write(p string) {
	for len(p) > 0 {
		if m := csi.FindStringSubmatch(p); m != nil {
			n, _ := strconv.Atoi(m[1])
			switch m[2] {
			case "A":
				s.row = max(0, s.row-max(n, 1))
			case "K":
				s.ensure()
				s.lines[s.row] = ""
			case "J":
				s.ensure()
				s.lines = s.lines[:s.row+1]
				s.lines[s.row] = ""
			}
			p = p[len(m[0]):]
			continue
		}
		switch c := p[0]; c {
		case '\r':
		case '\n':
			s.row++
		default:
			s.ensure()
			s.lines[s.row] += string(c)
		}
		p = p[1:]
	}
}

func (s *screen) ensure() {
	for len(s.lines) <= s.row {
		s.lines = append(s.lines, "")
	}
}

func (s *screen) text() string { s.ensure(); return strings.Join(s.lines, "\n") }

func TestTerminalRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	sc := &screen{}
	term := NewTerminal(&out)
	flush := func() { sc.write(out.String()); out.Reset() }

	sc.write("$ surge run bf.yaml\n")
	for i := range 5 {
		if err := term.Draw([]string{"surge bf " + strconv.Itoa(i), "  rate", "  p95"}); err != nil {
			t.Fatal(err)
		}
		flush()
	}
	want := "$ surge run bf.yaml\nsurge bf 4\n  rate\n  p95\n"
	if got := sc.text(); got != want {
		t.Fatalf("after 5 draws the screen is\n%q\nwant\n%q", got, want)
	}

	// A message goes above the block, which comes back below it; what the
	// terminal echoed under the block goes with it.
	sc.write("^C")
	_ = term.Erase()
	flush()
	sc.write("surge: interrupt: stopping\n")
	_ = term.Draw([]string{"surge bf 5", "  rate"})
	flush()
	_ = term.Draw([]string{"surge bf 6", "  rate"})
	flush()
	want = "$ surge run bf.yaml\nsurge: interrupt: stopping\nsurge bf 6\n  rate\n"
	if got := sc.text(); got != want {
		t.Fatalf("after a message the screen is\n%q\nwant\n%q", got, want)
	}

	// Forget leaves the block: what follows is written under it.
	term.Forget()
	sc.write("report: out/report.md\n")
	want += "report: out/report.md\n"
	if got := sc.text(); got != want {
		t.Fatalf("after Forget the screen is\n%q\nwant\n%q", got, want)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/liveview -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./pkg/liveview -update rewrites it)\n--- got\n%s--- want\n%s", path, got, want)
	}
}
