// Package testenv starts the real servers that surge's integration tests talk
// to — Prometheus, Redis, etcd with kube-apiserver — and locates Chromium.
//
// Every server listens on a free 127.0.0.1 port, keeps its files in the test's
// temporary directory, writes its output to a log file that is printed when the
// test fails, and is killed by t.Cleanup. Binaries are installed by
// scripts/testenv/install.sh; a missing binary skips the test on a developer's
// machine but fails it under CI=true or SURGE_REQUIRE_ALL=1, so CI can never
// pass by skipping.
package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// InstallHint is the command that installs every component this package uses.
const InstallHint = "scripts/testenv/install.sh"

// kubeVersion is the kube-apiserver release that scripts/testenv/kube-apiserver.sh
// builds; it names the cache directory the binary is found in.
const kubeVersion = "v1.37.2"

// readyTimeout bounds how long a server may take to become ready. It is
// generous because CI machines have two cores shared with the test binary.
const readyTimeout = 60 * time.Second

// component describes how to find one external program.
type component struct {
	name string // what the error messages call it
	env  string // environment variable holding an explicit path
	exe  string // executable name looked up in PATH
	// cached returns extra places to look after PATH (may be nil).
	cached func() []string
}

var (
	prometheusBin = component{name: "prometheus", env: "SURGE_PROMETHEUS", exe: "prometheus"}
	redisBin      = component{name: "redis-server", env: "SURGE_REDIS_SERVER", exe: "redis-server"}
	etcdBin       = component{name: "etcd", env: "SURGE_ETCD", exe: "etcd"}
	chromiumBin   = component{name: "chromium", env: "SURGE_CHROMIUM", exe: "chromium"}
	kubeBin       = component{name: "kube-apiserver", env: "SURGE_KUBE_APISERVER", exe: "kube-apiserver", cached: kubeCachePaths}
)

// kubeCachePaths mirrors the cache layout of scripts/testenv/kube-apiserver.sh.
func kubeCachePaths() []string {
	root := os.Getenv("SURGE_CACHE")
	if root == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		root = filepath.Join(home, ".cache", "surge")
	}
	return []string{filepath.Join(root, "kube-apiserver", kubeVersion, "kube-apiserver")}
}

// RequireAll reports whether a missing component must fail the test instead of
// skipping it: under CI=true or SURGE_REQUIRE_ALL=1.
func RequireAll() bool {
	return envTrue("CI") || envTrue("SURGE_REQUIRE_ALL")
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(strings.TrimSpace(os.Getenv(name)))
	return err == nil && v
}

// find returns the path of c's executable, or "" with the places searched.
func (c component) find() (path string, searched []string, err error) {
	if p := os.Getenv(c.env); p != "" {
		if isExecutable(p) {
			return p, nil, nil
		}
		// An explicit path that does not work is a misconfiguration, never a skip.
		return "", nil, fmt.Errorf("%s=%q is not an executable file", c.env, p)
	}
	searched = append(searched, "$"+c.env)
	if p, err := exec.LookPath(c.exe); err == nil {
		return p, nil, nil
	}
	searched = append(searched, "PATH")
	if c.cached != nil {
		for _, p := range c.cached() {
			if isExecutable(p) {
				return p, nil, nil
			}
			searched = append(searched, p)
		}
	}
	return "", searched, nil
}

// binary locates c or ends the test: t.Fatalf when RequireAll, else t.Skipf.
func binary(t testing.TB, c component) string {
	t.Helper()
	p, searched, err := c.find()
	if err != nil {
		t.Fatalf("testenv: locate %s: %v", c.name, err)
		return "" // Fatalf does not return; a recording testing.TB in tests does
	}
	if p != "" {
		return p
	}
	msg := fmt.Sprintf("testenv: %s not installed (looked in %s); run %s",
		c.name, strings.Join(searched, ", "), InstallHint)
	if RequireAll() {
		t.Fatalf("%s (required: CI or SURGE_REQUIRE_ALL is set)", msg)
		return ""
	}
	t.Skipf("%s", msg)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago. Another
// process can take it before the server binds it; start functions retry.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: find free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is one running server with its output in a log file.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	err     error         // exit status, valid after done
}

// startProcess runs bin with args, output appended to logPath. The process is
// killed (with its children) when the test ends, and its log is shown if the
// test failed.
func startProcess(t testing.TB, name, logPath, bin string, args []string, env []string) *process {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("testenv: start %s: open log: %v", name, err)
	}
	fmt.Fprintf(logFile, "### %s\n", commandLine(bin, args))
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("testenv: start %s: %v", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("testenv: %s log (%s):\n%s", name, logPath, tail(logPath, 8<<10))
		}
	})
	return p
}

// commandLine renders bin and args for the log, quoting what a shell would
// otherwise split or drop.
func commandLine(bin string, args []string) string {
	parts := []string{bin}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$") {
			a = strconv.Quote(a)
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill stops the process group at once and waits for the process to be reaped,
// so that nothing writes into the test's temporary directory while it is removed.
func (p *process) kill() {
	if p.exited() {
		return
	}
	killGroup(p.cmd.Process)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// waitReady polls probe until it succeeds, the process exits or the timeout
// passes. It returns a descriptive error including the log's tail on failure.
func (p *process) waitReady(timeout time.Duration, probe func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = probe(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %w\n--- %s ---\n%s",
				p.name, timeout, last, p.logPath, tail(p.logPath, 4<<10))
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v): %w\n--- %s ---\n%s",
				p.name, p.err, last, p.logPath, tail(p.logPath, 4<<10))
		case <-tick.C:
		}
	}
}

// tail returns at most the last n bytes of the file at path.
func tail(path string, n int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(read log: %v)", err)
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
		return "...\n" + string(b)
	}
	return string(b)
}

// portInUse reports whether a failed start looks like a lost race for its port.
func portInUse(logPath string) bool {
	b, _ := os.ReadFile(logPath)
	s := strings.ToLower(string(b))
	return strings.Contains(s, "address already in use")
}

// startWithRetry runs start up to three times when the server lost the race
// for the port freePort handed out.
func startWithRetry(t testing.TB, start func(attempt int) (*process, error)) *process {
	t.Helper()
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		var p *process
		p, err = start(attempt)
		if err == nil {
			return p
		}
		if p == nil || !portInUse(p.logPath) {
			break
		}
		p.kill()
	}
	t.Fatalf("testenv: %v", err)
	return nil
}

// daemon is a server process that a test can stop and start again, for
// tests of what surge does when a component goes away mid-run.
type daemon struct {
	t     testing.TB
	name  string
	bin   string
	args  []string
	log   string
	probe func() error // nil error once the server is ready

	mu   sync.Mutex
	proc *process
}

// Stop kills the server. It is safe to call more than once. (Stopping a
// KubeServer stops kube-apiserver; its etcd keeps running.)
func (d *daemon) Stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.proc.kill()
}

// Restart starts the server again after Stop, on the same address with the
// same arguments and data, and waits until it is ready. (Redis keeps
// nothing: it starts empty.)
func (d *daemon) Restart() {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.proc.kill()
	d.proc = startProcess(d.t, d.name, d.log, d.bin, d.args, nil)
	if err := d.proc.waitReady(readyTimeout, d.probe); err != nil {
		d.t.Fatalf("testenv: restart %s: %v", d.name, err)
	}
}
