package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/report"
)

// loopbackScenario writes a scenario against url into dir.
func loopbackScenario(t *testing.T, dir, url, stages string) string {
	t.Helper()
	path := filepath.Join(dir, "loop.yaml")
	body := "apiVersion: surge/v1alpha1\nkind: Scenario\nname: loop\ntarget:\n  url: " + url + "\n  timeout: 1s\n" +
		"  requests:\n    - {name: a, weight: 3}\n    - {name: b, weight: 1, path: /b}\n" +
		"load:\n  stages:\n" + stages + "assert:\n  - p95 < 1s\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readJSONReport(t *testing.T, path string) *report.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunThenRebuildFromStream(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		time.Sleep(2 * time.Millisecond)
		if r.URL.Path == "/b" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	scn := loopbackScenario(t, dir, srv.URL+"/a", "    - {name: one, duration: 2s, rate: 40}\n    - {name: two, duration: 1s, rate: 40..80}\n")
	out := filepath.Join(dir, "out")
	w := newTestWorld()
	w.f.Now = time.Now
	if code := w.run("run", scn, "--out", out, "--quiet"); code != ExitAssertFail && code != ExitOK {
		t.Fatalf("run exit %d: %s", code, w.errOut)
	}
	live := readJSONReport(t, filepath.Join(out, "report.json"))
	if live.Totals.Requests != hits.Load() || live.Totals.Requests != 140 {
		t.Fatalf("report counts %d requests, server saw %d, want 140", live.Totals.Requests, hits.Load())
	}

	// Without report.json, `surge report DIR` rebuilds the same client figures.
	if err := os.Rename(filepath.Join(out, "report.json"), filepath.Join(dir, "live.json")); err != nil {
		t.Fatal(err)
	}
	w = newTestWorld()
	if code := w.run("report", out, "--format", "json"); code != ExitOK {
		t.Fatalf("report exit %d: %s", code, w.errOut)
	}
	rebuilt := readJSONReport(t, filepath.Join(out, "report.json"))
	a, _ := json.Marshal(live.Stages)
	b, _ := json.Marshal(rebuilt.Stages)
	if string(a) != string(b) {
		t.Fatalf("rebuilt stages differ:\nlive    %s\nrebuilt %s", a, b)
	}
	if rebuilt.Verdict != live.Verdict {
		t.Fatalf("verdict %s, live %s", rebuilt.Verdict, live.Verdict)
	}

	// A stream cut mid-record (a crash while writing) still rebuilds from
	// the results before the cut, and says so.
	gob := filepath.Join(out, "results.gob")
	data, err := os.ReadFile(gob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gob, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(out, "report.json"))
	w = newTestWorld()
	if code := w.run("report", out, "--format", "json"); code != ExitOK {
		t.Fatalf("report exit %d: %s", code, w.errOut)
	}
	cut := readJSONReport(t, filepath.Join(out, "report.json"))
	if cut.Totals.Requests == 0 || cut.Totals.Requests >= live.Totals.Requests {
		t.Fatalf("cut stream rebuilt %d requests of %d", cut.Totals.Requests, live.Totals.Requests)
	}
	if cut.Verdict != report.VerdictAborted || !strings.Contains(strings.Join(cut.Warnings, "\n"), "partial record") {
		t.Fatalf("verdict %s warnings %q", cut.Verdict, cut.Warnings)
	}
}
