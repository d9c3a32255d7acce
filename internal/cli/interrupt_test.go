package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/report"
)

// countingTarget is a loopback target that counts the requests it answered, so a
// test can hold the report's counts against what the server saw.
type countingTarget struct {
	*httptest.Server
	n     atomic.Int64
	delay time.Duration
}

func newCountingTarget(t *testing.T, delay time.Duration) *countingTarget {
	t.Helper()
	c := &countingTarget{delay: delay}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.delay > 0 {
			time.Sleep(c.delay)
		}
		c.n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(c.Close)
	return c
}

// waitFor polls cond until it holds or the timeout passes. It paces
// integration tests against real processes; unit tests inject clocks.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeScenario writes a scenario file into a fresh directory.
func writeScenarioFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// steadyScenario sends rate req/s to url for d.
func steadyScenario(name, url string, rate int, d time.Duration) string {
	return fmt.Sprintf(`apiVersion: surge/v1alpha1
kind: Scenario
name: %s
target:
  url: %s
  timeout: 2s
load:
  stages:
    - {name: steady, duration: %s, rate: %d}
`, name, url, d, rate)
}

// readRunReport reads DIR/report.json.
func readRunReport(t *testing.T, dir string) *report.Report {
	t.Helper()
	return readJSONReport(t, filepath.Join(dir, "report.json"))
}

// lockedBuffer is a bytes.Buffer safe to read while a run writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// buildSurge compiles the real binary into the test's temporary directory.
func buildSurgeBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("signals and terminals: POSIX only")
	}
	bin := filepath.Join(t.TempDir(), "surge")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/surge-sh/surge/cmd/surge")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build surge: %v\n%s", err, out)
	}
	return bin
}

// checkAbortedReport checks what every interrupted run must leave behind:
// an aborted verdict with its reason, and the server's count in full.
func checkAbortedReport(t *testing.T, rep *report.Report, served int64) {
	t.Helper()
	if rep.Verdict != report.VerdictAborted {
		t.Errorf("verdict %q, want aborted", rep.Verdict)
	}
	if !strings.Contains(rep.Abort, "interrupt") {
		t.Errorf("abort reason %q does not say it was interrupted", rep.Abort)
	}
	tot := rep.Totals
	if tot.Requests != tot.Successes+tot.Timeouts+tot.Errors {
		t.Errorf("totals do not add up: %d requests, %d successes, %d timeouts, %d errors", tot.Requests, tot.Successes, tot.Timeouts, tot.Errors)
	}
	if tot.Successes != served || tot.Requests != served {
		t.Errorf("report counts %d requests (%d successes), the server answered %d", tot.Requests, tot.Successes, served)
	}
	var inStages int64
	for _, s := range rep.Stages {
		inStages += s.Requests
	}
	if inStages != tot.Requests {
		t.Errorf("stages hold %d requests, totals %d", inStages, tot.Requests)
	}
}

func TestInterruptInProcess(t *testing.T) {
	srv := newCountingTarget(t, 0)
	scn := writeScenarioFile(t, steadyScenario("interrupted", srv.URL, 20, 30*time.Second))
	out := t.TempDir()

	sig := make(chan os.Signal, 2)
	var exits []int
	var exitMu sync.Mutex
	errOut := &lockedBuffer{}
	w := newTestWorld()
	w.f.Now = time.Now
	w.f.Signals = sig
	w.f.IO.ErrOut = errOut
	w.f.Exit = func(code int) { exitMu.Lock(); exits = append(exits, code); exitMu.Unlock() }

	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), w.f, []string{"run", scn, "--out", out, "--progress-every", "1s"})
	}()

	pollUntil(t, 15*time.Second, "40 requests served", func() bool { return srv.n.Load() >= 40 })
	sig <- os.Interrupt
	began := time.Now()
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run did not stop within 20 s of the interrupt")
	}
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitInterrupted, errOut)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Errorf("stopping took %v: the load should stop at once", d)
	}
	exitMu.Lock()
	if len(exits) != 0 {
		t.Errorf("one interrupt called Exit(%v)", exits)
	}
	exitMu.Unlock()

	rep := readRunReport(t, out)
	checkAbortedReport(t, rep, srv.n.Load())
	if rep.Totals.Requests >= 600 {
		t.Errorf("%d requests: the load was not stopped early", rep.Totals.Requests)
	}
	for _, f := range []string{"report.md", "report.html", "results.gob", "scenario.yaml"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("partial run left no %s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !strings.Contains(strings.ToLower(string(md)), "aborted") {
		t.Errorf("report.md does not say the run was aborted")
	}
	if !strings.Contains(errOut.String(), "stopping the load") {
		t.Errorf("stderr does not say the load is stopping:\n%s", errOut)
	}
}

func TestSecondInterruptExitsAtOnce(t *testing.T) {
	// Slow answers keep requests in flight, so the graceful stop has to
	// wait for them: the second interrupt must not.
	srv := newCountingTarget(t, 1500*time.Millisecond)
	scn := writeScenarioFile(t, steadyScenario("twice", srv.URL, 20, 30*time.Second))
	out := t.TempDir()
	sig := make(chan os.Signal, 2)
	exited := make(chan int, 1)
	w := newTestWorld()
	w.f.Now = time.Now
	w.f.Signals = sig
	w.f.IO.ErrOut = &lockedBuffer{}
	w.f.Exit = func(code int) { exited <- code }
	done := make(chan int, 1)
	go func() { done <- Run(context.Background(), w.f, []string{"run", scn, "--out", out, "--quiet"}) }()

	pollUntil(t, 15*time.Second, "requests served", func() bool { return srv.n.Load() >= 10 })
	sig <- os.Interrupt
	sig <- syscall.SIGTERM
	select {
	case code := <-exited:
		if code != ExitInterrupted {
			t.Errorf("Exit(%d), want Exit(%d)", code, ExitInterrupted)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second interrupt did not exit")
	}
	// The in-process run goes on to finish its report; let it.
	<-done
}

// runBinary starts the real binary with its own process group.
func startSurge(t *testing.T, bin string, args ...string) (*exec.Cmd, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, stdout, stderr
}

func waitExit(t *testing.T, cmd *exec.Cmd, timeout time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("surge did not exit within %v", timeout)
		return -1
	}
}

func TestInterruptBinary(t *testing.T) {
	bin := buildSurgeBinary(t)

	t.Run("one SIGINT writes the partial report", func(t *testing.T) {
		srv := newCountingTarget(t, 0)
		scn := writeScenarioFile(t, steadyScenario("sigint", srv.URL, 20, 30*time.Second))
		out := t.TempDir()
		cmd, stdout, stderr := startSurge(t, bin, "run", scn, "--out", out)
		pollUntil(t, 15*time.Second, "40 requests served", func() bool { return srv.n.Load() >= 40 })
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, cmd, 20*time.Second); code != ExitInterrupted {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitInterrupted, stdout, stderr)
		}
		checkAbortedReport(t, readRunReport(t, out), srv.n.Load())
		if !strings.Contains(stdout.String(), filepath.Join(out, "report.md")) {
			t.Errorf("stdout does not name the report:\n%s", stdout)
		}
	})

	t.Run("two SIGINTs exit at once and the stream rebuilds", func(t *testing.T) {
		srv := newCountingTarget(t, 1500*time.Millisecond)
		scn := writeScenarioFile(t, steadyScenario("sigint-twice", srv.URL, 20, 30*time.Second))
		out := t.TempDir()
		cmd, _, stderr := startSurge(t, bin, "run", scn, "--out", out, "--quiet")
		pollUntil(t, 15*time.Second, "20 requests served", func() bool { return srv.n.Load() >= 20 })
		// The stream is flushed every second: wait for one flush after the
		// requests above finished.
		time.Sleep(1500 * time.Millisecond)
		_ = cmd.Process.Signal(os.Interrupt)
		pollUntil(t, 5*time.Second, "the first interrupt noticed", func() bool { return strings.Contains(stderr.String(), "stopping the load") })
		_ = cmd.Process.Signal(os.Interrupt)
		began := time.Now()
		if code := waitExit(t, cmd, 5*time.Second); code != ExitInterrupted {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", code, ExitInterrupted, stderr)
		}
		if d := time.Since(began); d > 2*time.Second {
			t.Errorf("the second interrupt took %v to exit", d)
		}
		if !strings.Contains(stderr.String(), "surge report "+out) {
			t.Errorf("stderr does not say how to rebuild the report:\n%s", stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
			t.Fatalf("report.json exists: the run was not cut short, the test proves nothing")
		}

		// The raw stream stays readable: surge report rebuilds the run.
		rb := exec.Command(bin, "report", out, "--format", "json")
		var rbOut, rbErr bytes.Buffer
		rb.Stdout, rb.Stderr = &rbOut, &rbErr
		err := rb.Run()
		if err != nil {
			t.Fatalf("surge report %s: %v\nstdout:\n%s\nstderr:\n%s", out, err, rbOut.String(), rbErr.String())
		}
		rep := readRunReport(t, out)
		if rep.Verdict != report.VerdictAborted {
			t.Errorf("rebuilt verdict %q, want aborted", rep.Verdict)
		}
		// Requests answered more than a flush before the kill are in the stream.
		if rep.Totals.Successes < 20 || rep.Totals.Successes > srv.n.Load() {
			t.Errorf("rebuilt report counts %d successes; the server answered %d, at least 20 before the last flush", rep.Totals.Successes, srv.n.Load())
		}
	})
}
