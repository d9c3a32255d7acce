package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// recordingTB records how binary() ends a test instead of ending it.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()                           {}
func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }
func (r *recordingTB) Skipf(format string, args ...any)  { r.skip = fmt.Sprintf(format, args...) }

func TestBinaryLookup(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "fake-server")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExe := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExe, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cacheRoot := t.TempDir()
	cached := filepath.Join(cacheRoot, "kube-apiserver", kubeVersion, "kube-apiserver")
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cached, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	emptyPath := t.TempDir()

	comp := component{name: "fake-server", env: "SURGE_TESTENV_FAKE", exe: "fake-server"}
	tests := []struct {
		name      string
		c         component
		env       map[string]string
		wantPath  string
		wantFatal string // substring; "" = no Fatalf
		wantSkip  string // substring; "" = no Skipf
	}{
		{
			name:     "explicit env var wins",
			c:        comp,
			env:      map[string]string{"SURGE_TESTENV_FAKE": exe, "PATH": emptyPath},
			wantPath: exe,
		},
		{
			name:     "found in PATH",
			c:        comp,
			env:      map[string]string{"PATH": dir},
			wantPath: exe,
		},
		{
			name:      "env var naming a non-executable fails even locally",
			c:         comp,
			env:       map[string]string{"SURGE_TESTENV_FAKE": notExe, "PATH": dir},
			wantFatal: "is not an executable file",
		},
		{
			name:     "missing skips on a developer machine",
			c:        comp,
			env:      map[string]string{"PATH": emptyPath},
			wantSkip: "run scripts/testenv/install.sh",
		},
		{
			name:      "missing fails under CI=true",
			c:         comp,
			env:       map[string]string{"PATH": emptyPath, "CI": "true"},
			wantFatal: "fake-server not installed",
		},
		{
			name:      "missing fails under SURGE_REQUIRE_ALL=1",
			c:         comp,
			env:       map[string]string{"PATH": emptyPath, "SURGE_REQUIRE_ALL": "1"},
			wantFatal: "run scripts/testenv/install.sh",
		},
		{
			name:     "CI=false still skips",
			c:        comp,
			env:      map[string]string{"PATH": emptyPath, "CI": "false"},
			wantSkip: "not installed",
		},
		{
			name:     "kube-apiserver found in the build cache",
			c:        kubeBin,
			env:      map[string]string{"PATH": emptyPath, "SURGE_CACHE": cacheRoot},
			wantPath: cached,
		},
		{
			name:      "kube-apiserver missing names the cache it searched",
			c:         kubeBin,
			env:       map[string]string{"PATH": emptyPath, "SURGE_CACHE": t.TempDir(), "CI": "true"},
			wantFatal: filepath.Join("kube-apiserver", kubeVersion, "kube-apiserver"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"SURGE_TESTENV_FAKE", "SURGE_KUBE_APISERVER", "SURGE_CACHE", "CI", "SURGE_REQUIRE_ALL"} {
				t.Setenv(k, "")
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			rec := &recordingTB{TB: t}
			got := binary(rec, tc.c)
			if got != tc.wantPath {
				t.Errorf("path = %q, want %q", got, tc.wantPath)
			}
			checkMessage(t, "Fatalf", rec.fatal, tc.wantFatal)
			checkMessage(t, "Skipf", rec.skip, tc.wantSkip)
		})
	}
}

func checkMessage(t *testing.T, what, got, want string) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Errorf("unexpected %s: %s", what, got)
	case want != "" && !strings.Contains(got, want):
		t.Errorf("%s = %q, want it to contain %q", what, got, want)
	}
}

func TestPrometheusConfig(t *testing.T) {
	tests := []struct {
		name        string
		targets     []string
		interval    time.Duration
		metricsPath string
		rules       []string
		want        []string // lines that must appear
		wantNot     []string
	}{
		{
			name:     "one target with defaults",
			targets:  []string{"127.0.0.1:9000"},
			interval: time.Second,
			want: []string{
				"  scrape_interval: 1s", "  scrape_timeout: 1s", "  evaluation_interval: 1s",
				`    metrics_path: "/metrics"`, `          - "127.0.0.1:9000"`,
			},
			wantNot: []string{"rule_files:"},
		},
		{
			name:        "sub-second interval, custom path, two targets",
			targets:     []string{"127.0.0.1:1", "localhost:2"},
			interval:    250 * time.Millisecond,
			metricsPath: "/stats/prometheus",
			want: []string{
				"  scrape_interval: 250ms", "  scrape_timeout: 250ms",
				`    metrics_path: "/stats/prometheus"`, `          - "127.0.0.1:1"`, `          - "localhost:2"`,
			},
		},
		{
			name:     "fractional seconds in milliseconds",
			interval: 1500 * time.Millisecond,
			want:     []string{"  scrape_interval: 1500ms"},
		},
		{
			name:     "no targets gives an empty scrape list",
			interval: 2 * time.Second,
			want:     []string{"  scrape_interval: 2s", "scrape_configs:", "  []"},
			wantNot:  []string{"job_name"},
		},
		{
			name:     "rule files are listed",
			targets:  []string{"127.0.0.1:9000"},
			interval: time.Second,
			rules:    []string{"/tmp/x/rules.yml"},
			want:     []string{"rule_files:", `  - "/tmp/x/rules.yml"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := prometheusConfig(tc.targets, tc.interval, tc.metricsPath, tc.rules)
			lines := map[string]bool{}
			for _, l := range strings.Split(got, "\n") {
				lines[l] = true
			}
			for _, w := range tc.want {
				if !lines[w] {
					t.Errorf("config lacks line %q:\n%s", w, got)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("config contains %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestRequireAll(t *testing.T) {
	tests := []struct {
		name       string
		ci, reqAll string
		want       bool
	}{
		{name: "neither set", want: false},
		{name: "CI=true", ci: "true", want: true},
		{name: "CI=1", ci: "1", want: true},
		{name: "CI=false", ci: "false", want: false},
		{name: "SURGE_REQUIRE_ALL=1", reqAll: "1", want: true},
		{name: "SURGE_REQUIRE_ALL=0", reqAll: "0", want: false},
		{name: "garbage is not true", ci: "yes-please", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			t.Setenv("SURGE_REQUIRE_ALL", tc.reqAll)
			if got := RequireAll(); got != tc.want {
				t.Errorf("RequireAll() = %v, want %v", got, tc.want)
			}
		})
	}
}
