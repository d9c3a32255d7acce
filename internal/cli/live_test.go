package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/surge-sh/surge/internal/testenv"
	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/report"
)

func TestLineViewWithoutTerminal(t *testing.T) {
	var errOut, out bytes.Buffer
	ios := &IOStreams{Out: &out, ErrOut: &errOut}
	v := newProgressView(ios, "bf", 30*time.Second, 5*time.Second)
	if got := v.Every(); got != 5*time.Second {
		t.Errorf("Every() = %v, want the --progress-every period", got)
	}
	v.Update(load.Live{Elapsed: 5 * time.Second, Stage: "steady", TargetRate: 20, Sent: 100, Done: 98, InFlight: 2}, nil)
	v.Update(load.Live{Elapsed: 10 * time.Second, Stage: "steady", TargetRate: 20, Sent: 190, Done: 190,
		Window: report.Stats{DurationSeconds: 10, Requests: 190, Successes: 190, LatencyMs: report.Latency{P95: 12}}}, nil)
	v.Close()
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line per update, got %q", errOut.String())
	}
	if out.Len() != 0 {
		t.Errorf("the plain view wrote to stdout: %q", out.String())
	}
	if strings.Contains(errOut.String(), "\x1b") {
		t.Errorf("escape sequences in a log: %q", errOut.String())
	}
	for i, want := range []string{"achieved=20/s", "achieved=18/s"} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d = %q, want %s (the send rate since the previous line)", i, lines[i], want)
		}
	}
	if !strings.Contains(lines[1], "p95(10s)=12ms") {
		t.Errorf("line %q lacks the window P95", lines[1])
	}
}

func TestTerminalViewStreams(t *testing.T) {
	var out, errOut bytes.Buffer
	ios := &IOStreams{Out: &out, ErrOut: &errOut, IsTerminal: true}
	v := newProgressView(ios, "bf", 30*time.Second, 5*time.Second)
	if got := v.Every(); got != time.Second {
		t.Errorf("Every() = %v on a terminal, want 1s", got)
	}
	live := load.Live{Elapsed: 3 * time.Second, Stage: "steady", TargetRate: 20, Sent: 60, Done: 60}
	v.Update(live, nil)
	v.Update(live, nil)
	if n := strings.Count(out.String(), "\x1b[3A"); n != 1 {
		t.Errorf("second draw should move up over the 3-line block once, got %d moves in %q", n, out.String())
	}
	// The report printed after the run must not be overwritten.
	fmt.Fprintln(ios.Out, "report: out/report.md")
	before := out.Len()
	v.Update(live, nil)
	if out.Len() != before {
		t.Errorf("the view drew over output written after it: %q", out.String()[before:])
	}
	v.Close()
}

// tmuxPane runs a shell command in a detached tmux pane of a private
// server and reads the pane back, scrollback included.
type tmuxPane struct {
	t    *testing.T
	bin  string
	sock string
}

func startTmux(t *testing.T, script string) *tmuxPane {
	t.Helper()
	bin, err := exec.LookPath("tmux")
	if err != nil {
		if testenv.RequireAll() {
			t.Fatalf("tmux is not installed (apt-get install -y tmux)")
		}
		t.Skipf("tmux is not installed (apt-get install -y tmux)")
	}
	p := &tmuxPane{t: t, bin: bin, sock: filepath.Join(t.TempDir(), "tmux.sock")}
	p.run("new-session", "-d", "-x", "120", "-y", "50", "-s", "surge", script)
	t.Cleanup(func() { _ = exec.Command(bin, "-S", p.sock, "kill-server").Run() })
	return p
}

func (p *tmuxPane) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, append([]string{"-S", p.sock, "-f", os.DevNull}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	b, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v\n%s", args, err, b)
	}
	return string(b)
}

func (p *tmuxPane) screen() string {
	return p.run("capture-pane", "-p", "-J", "-S", "-", "-t", "surge")
}

// countPrefix counts the screen lines that begin with prefix.
func countPrefix(screen, prefix string) int {
	n := 0
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// TestLiveViewInTmux runs the real binary in a tmux pane and reads the
// screen back: the block is redrawn in place, so however long the run, the
// screen and its scrollback hold it once.
func TestLiveViewInTmux(t *testing.T) {
	bin := buildSurgeBinary(t)
	srv := newCountingTarget(t, 0)
	scn := writeScenarioFile(t, steadyScenario("tty", srv.URL, 20, 6*time.Second))
	out := filepath.Join(t.TempDir(), "out")
	pane := startTmux(t, fmt.Sprintf("%s run %s --out %s; echo SURGE-EXIT=$?; sleep 120", bin, scn, out))
	screen := pane.screen
	headCount := func(s string) int { return countPrefix(s, "surge tty  stage") }
	// Mid-run: two or more redraws have happened. Any second from 0:02 on
	// will do: the view rounds to the second, and a late tick can skip one.
	var mid string
	midRun := regexp.MustCompile(`0:0[2-4] / 0:06`)
	pollUntil(t, 20*time.Second, "the run to reach 0:02", func() bool {
		mid = screen()
		if strings.Contains(mid, "SURGE-EXIT=") {
			t.Fatalf("surge ended before the screen was read mid-run:\n%s", mid)
		}
		return midRun.MatchString(mid)
	})
	if n := headCount(mid); n != 1 {
		t.Fatalf("mid-run the screen holds %d copies of the block, want 1:\n%s", n, mid)
	}
	for _, want := range []string{"stage steady", "target 20/s", "in flight", "p95 10s"} {
		if !strings.Contains(mid, want) {
			t.Errorf("mid-run block lacks %q:\n%s", want, mid)
		}
	}

	pollUntil(t, 40*time.Second, "surge to exit", func() bool { return strings.Contains(screen(), "SURGE-EXIT=") })
	end := screen()
	if !strings.Contains(end, "SURGE-EXIT=0") {
		t.Fatalf("surge failed:\n%s", end)
	}
	if n := headCount(end); n != 1 {
		t.Errorf("after the run the screen holds %d copies of the block, want 1 left in place:\n%s", n, end)
	}
	if strings.Contains(end, "\x1b[") {
		t.Errorf("raw escape sequences on the screen:\n%s", end)
	}
	blockAt := strings.Index(end, "surge tty  stage")
	reportAt := strings.Index(end, "report: ")
	if reportAt < blockAt {
		t.Errorf("the final block should stay above the report:\n%s", end)
	}
}

// TestLiveViewInterruptedInTmux presses Ctrl-C in the pane: the notice goes
// above the block, which stays single, and the run ends with 130.
func TestLiveViewInterruptedInTmux(t *testing.T) {
	bin := buildSurgeBinary(t)
	srv := newCountingTarget(t, 0)
	scn := writeScenarioFile(t, steadyScenario("ctrlc", srv.URL, 20, 30*time.Second))
	out := filepath.Join(t.TempDir(), "out")
	pane := startTmux(t, fmt.Sprintf("%s run %s --out %s; echo SURGE-EXIT=$?; sleep 120", bin, scn, out))
	pollUntil(t, 20*time.Second, "the run to reach 0:02", func() bool { return regexp.MustCompile(`0:0[2-9] / 0:30`).MatchString(pane.screen()) })
	pane.run("send-keys", "-t", "surge", "C-c")
	pollUntil(t, 30*time.Second, "surge to exit", func() bool { return strings.Contains(pane.screen(), "SURGE-EXIT=") })
	end := pane.screen()
	if !strings.Contains(end, "SURGE-EXIT=130") {
		t.Fatalf("want exit 130 after Ctrl-C:\n%s", end)
	}
	if n := countPrefix(end, "surge ctrlc  stage"); n != 1 {
		t.Errorf("the screen holds %d copies of the block, want 1:\n%s", n, end)
	}
	if n := countPrefix(end, "surge: interrupt: stopping the load"); n != 1 {
		t.Errorf("the interrupt notice shows %d times, want once:\n%s", n, end)
	}
	notice := strings.Index(end, "surge: interrupt: stopping the load")
	block := strings.Index(end, "surge ctrlc  stage")
	if notice > block {
		t.Errorf("the notice should sit above the block:\n%s", end)
	}
	checkAbortedReport(t, readRunReport(t, out), srv.n.Load())
}
