package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/sim"
)

func TestSimFlags(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(cfgFile, []byte("replicas: 5\nslotsPerReplica: 8\nautoscaler: {policy: hpa-cpu, hpa: {targetCPU: 60}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badFile := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badFile, []byte("replicaz: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		exit  int
		check func(t *testing.T, o *SimOptions)
	}{
		{
			name: "defaults",
			args: []string{"sim"},
			check: func(t *testing.T, o *SimOptions) {
				if o.Addr != "127.0.0.1:8080" || o.Config.Replicas != sim.DefaultReplicas || o.Config.Autoscaler.Policy != sim.PolicyNone {
					t.Errorf("addr %q config %+v", o.Addr, o.Config)
				}
			},
		},
		{
			name: "reference keda flags",
			args: []string{"sim", "--policy", "keda", "--polling-interval", "30", "--cooldown-period", "120",
				"--min-replica-count", "2", "--max-replica-count", "20", "--redis-trigger", "50", "--prometheus-trigger", "2000",
				"--redis", "127.0.0.1:6379", "--addr", "127.0.0.1:0"},
			check: func(t *testing.T, o *SimOptions) {
				k := o.Config.Autoscaler.KEDA
				if k.PollingInterval.D() != 30*time.Second || k.CooldownPeriod.D() != 120*time.Second || *k.MinReplicaCount != 2 || k.MaxReplicaCount != 20 {
					t.Errorf("keda %+v", k)
				}
				if len(k.Triggers) != 2 || k.Triggers[0].ListLength != 50 || k.Triggers[0].ListName != "ai_request_queue" || k.Triggers[1].Threshold != 2000 {
					t.Errorf("triggers %+v", k.Triggers)
				}
				if o.Config.Redis != "127.0.0.1:6379" || o.Addr != "127.0.0.1:0" {
					t.Errorf("redis %q addr %q", o.Config.Redis, o.Addr)
				}
			},
		},
		{
			name: "kinds and service times",
			args: []string{"sim", "--kind", "description=30..90", "--kind", "summary=160~40", "--kind", "fixed=7",
				"--prefill", "20ms", "--per-token", "2ms", "--cold-start", "1m", "--slots", "2", "--seed", "9"},
			check: func(t *testing.T, o *SimOptions) {
				c := o.Config
				want := []sim.Kind{
					{Name: "description", Tokens: sim.Tokens{Min: 30, Max: 90}},
					{Name: "summary", Tokens: sim.Tokens{Mean: 160, Stddev: 40}},
					{Name: "fixed", Tokens: sim.Tokens{Min: 7, Max: 7}},
				}
				if len(c.Kinds) != 3 || c.Kinds[0] != want[0] || c.Kinds[1] != want[1] || c.Kinds[2] != want[2] {
					t.Errorf("kinds %+v", c.Kinds)
				}
				if c.Prefill.D() != 20*time.Millisecond || c.PerToken.D() != 2*time.Millisecond || c.ColdStart.D() != time.Minute || c.SlotsPerReplica != 2 || c.Seed != 9 {
					t.Errorf("config %+v", c)
				}
			},
		},
		{
			name: "config file, flags win",
			args: []string{"sim", "--config", cfgFile, "--replicas", "4", "--target-cpu", "70"},
			check: func(t *testing.T, o *SimOptions) {
				c := o.Config
				if c.Replicas != 4 || c.SlotsPerReplica != 8 || c.Autoscaler.Policy != sim.PolicyHPACPU || c.Autoscaler.HPA.TargetCPU != 70 {
					t.Errorf("config %+v", c)
				}
			},
		},
		{name: "unknown key in config file", args: []string{"sim", "--config", badFile}, exit: ExitInvalid},
		{name: "missing config file", args: []string{"sim", "--config", filepath.Join(dir, "nope.yaml")}, exit: ExitInvalid},
		{name: "bad kind", args: []string{"sim", "--kind", "summary"}, exit: ExitInvalid},
		{name: "bad duration", args: []string{"sim", "--cold-start", "soon"}, exit: ExitInvalid},
		{name: "invalid settings", args: []string{"sim", "--policy", "keda"}, exit: ExitInvalid},
		{name: "extra argument", args: []string{"sim", "now"}, exit: ExitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			var got *SimOptions
			root := NewRootCmd(w.f)
			for _, c := range root.Commands() {
				if c.Name() == "sim" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdSim(w.f, func(o *SimOptions) error { got = o; return nil }))
			root.SetArgs(tt.args)
			code := exitCode(root.ExecuteContext(context.Background()))
			if code != tt.exit {
				t.Fatalf("exit %d, want %d", code, tt.exit)
			}
			if tt.check != nil {
				if got == nil {
					t.Fatal("command did not run")
				}
				tt.check(t, got)
			}
		})
	}
}

func TestSimInvalidSettingsListsEveryProblem(t *testing.T) {
	w := newTestWorld()
	code := w.run("sim", "--policy", "keda", "--slots", "-1", "--addr", "127.0.0.1:0")
	if code != ExitInvalid {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"slotsPerReplica: must be at least 1", "autoscaler.keda.triggers: the keda policy needs at least one trigger"} {
		if !strings.Contains(w.errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, w.errOut)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSimServesUntilCancelled(t *testing.T) {
	w := newTestWorld()
	out := &syncBuffer{}
	w.f.IO.Out = out
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, w.f, []string{"sim", "--addr", "127.0.0.1:0", "--policy", "hpa-cpu", "--prefill", "5ms", "--per-token", "0s"})
	}()
	url := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	var base string
	for base == "" {
		if m := url.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("sim exited %d early: %s", code, w.errOut)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed: %q", out.String())
		}
	}
	resp, err := http.Post(base+"/v1/enrich", "application/json", strings.NewReader(`{"kind": "summary"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("enrich: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != ExitOK {
			t.Errorf("exit %d after cancel; stderr %s", code, w.errOut)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sim did not stop when its context was cancelled")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after stop")
	}
}
