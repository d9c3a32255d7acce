package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAdviseFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		check    func(*testing.T, *AdviseOptions)
	}{
		{
			name: "defaults", args: []string{"advise", "run/report.json"},
			check: func(t *testing.T, o *AdviseOptions) {
				if o.Result != "run/report.json" || o.Histogram != "inference_latency_seconds_bucket" || o.ListName != "" || o.Verify || o.Out != "" || o.RedisAddress != "redis:6379" {
					t.Errorf("options %+v", o)
				}
			},
		},
		{
			name: "every flag",
			args: []string{"advise", "dir", "--out", "so.yaml", "--verify", "--list", "jobs", "--histogram", "lat_bucket", "--deployment", "d",
				"--namespace", "ns", "--redis-address", "r:1", "--prometheus-url", "http://p", "--slo-p95", "350ms"},
			check: func(t *testing.T, o *AdviseOptions) {
				want := AdviseOptions{IO: o.IO, Result: "dir", Out: "so.yaml", Verify: true, ListName: "jobs", Histogram: "lat_bucket", Deployment: "d",
					Namespace: "ns", RedisAddress: "r:1", PrometheusURL: "http://p", SLOP95: 350 * time.Millisecond}
				if *o != want {
					t.Errorf("options %+v, want %+v", *o, want)
				}
			},
		},
		{name: "no argument", args: []string{"advise"}, wantCode: ExitInvalid},
		{name: "two arguments", args: []string{"advise", "a", "b"}, wantCode: ExitInvalid},
		{name: "bad duration", args: []string{"advise", "a", "--slo-p95", "fast"}, wantCode: ExitInvalid},
		{name: "negative duration", args: []string{"advise", "a", "--slo-p95", "-1s"}, wantCode: ExitInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			var got *AdviseOptions
			root := NewRootCmd(w.f)
			for _, c := range root.Commands() {
				if c.Name() == "advise" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdAdvise(w.f, func(o *AdviseOptions) error { got = o; return nil }))
			root.SetArgs(tt.args)
			code := exitCode(root.Execute())
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d", code, tt.wantCode)
			}
			if tt.check != nil {
				if got == nil {
					t.Fatal("advise did not run")
				}
				tt.check(t, got)
			}
		})
	}
}

func TestAdviseCommand(t *testing.T) {
	dir := filepath.Join("testdata", "advise")
	noSLO := filepath.Join(t.TempDir(), "report.json")
	writeWithout(t, filepath.Join(dir, "bare", "report.json"), noSLO, "slo")
	notReport := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(notReport, []byte(`{"schemaVersion": "other/v9"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	outFile := filepath.Join(t.TempDir(), "so.yaml")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		// wantName is the ScaledObject's name on standard output, or in
		// outFile when the args write there.
		wantName, wantNamespace string
		wantOut, wantErr        []string
	}{
		{
			// Without a saved scenario the scale target is the scenario's
			// name.
			name: "report file", args: []string{"advise", filepath.Join(dir, "bare", "report.json")},
			wantName: "hpa-blind-scaler", wantOut: []string{"# listLength 3 = ", `serverAddress: "http://prometheus:9090"`},
		},
		{
			// The saved scenario names the deployment, the namespace and
			// the Prometheus server.
			name: "run directory with its scenario", args: []string{"advise", filepath.Join(dir, "run")},
			wantName: "ai-inference-deployment-scaler", wantNamespace: "ai-services",
			wantOut: []string{`name: "ai-inference-deployment"`, `serverAddress: "http://prometheus.monitoring:9090"`},
		},
		{
			// The replay of an estimated service (HPA sync 15 s, cold
			// start 30 s) cannot add capacity within the 30 s run: the
			// verdict is exit 3, and standard output stays a valid
			// ScaledObject, the comparison going to standard error.
			name: "verify outside the SLO", args: []string{"advise", filepath.Join(dir, "run"), "--verify"},
			wantCode: ExitAssertFail, wantName: "ai-inference-deployment-scaler", wantNamespace: "ai-services",
			wantErr: []string{"a simulator model estimated from the run", "NOT within the SLO", "outside the SLO"},
		},
		{
			name: "verify with --out", args: []string{"advise", filepath.Join(dir, "bare"), "--verify", "--out", outFile},
			wantCode: ExitAssertFail, wantName: "hpa-blind-scaler",
			wantOut: []string{"Replay of the run's arrival curve (30s, 1300 requests)", "Ready replicas every 10s"},
		},
		{name: "missing file", args: []string{"advise", filepath.Join(dir, "nope.json")}, wantCode: ExitInvalid, wantErr: []string{"no such file"}},
		{name: "no slo", args: []string{"advise", noSLO}, wantCode: ExitInvalid, wantErr: []string{"no SLO P95"}},
		{name: "slo from the flag", args: []string{"advise", noSLO, "--slo-p95", "1s"}, wantName: "hpa-blind-scaler", wantOut: []string{"# listLength 8 = "}},
		{name: "not a report", args: []string{"advise", notReport}, wantCode: ExitInvalid, wantErr: []string{"schemaVersion"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(outFile)
			w := newTestWorld()
			code := w.run(tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, w.out, w.errOut)
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(w.out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, w.out)
				}
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(w.errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, w.errOut)
				}
			}
			if tt.wantName == "" {
				return
			}
			yamlOut := w.out.Bytes()
			if strings.Contains(strings.Join(tt.args, " "), "--out") {
				b, err := os.ReadFile(outFile)
				if err != nil {
					t.Fatal(err)
				}
				yamlOut = b
			}
			so := decodeScaledObject(t, yamlOut)
			if so.Metadata.Name != tt.wantName || so.Metadata.Namespace != tt.wantNamespace {
				t.Errorf("metadata %s/%s, want %s/%s", so.Metadata.Namespace, so.Metadata.Name, tt.wantNamespace, tt.wantName)
			}
		})
	}
}

// writeWithout copies a JSON report leaving out one top-level key.
func writeWithout(t *testing.T, from, to, key string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, key)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
