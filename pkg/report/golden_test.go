package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./pkg/report -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is intended, run go test ./pkg/report -update\n%s", path, firstDiff(got, want))
	}
}

// firstDiff shows the first line where two outputs part.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl []byte
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if !bytes.Equal(gl, wl) {
			return "line " + itoa(i+1) + ":\n got: " + string(gl) + "\nwant: " + string(wl)
		}
	}
	return ""
}

func itoa(i int) string { return fmtInt(int64(i)) }

func TestGoldenRenderers(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		render Renderer
	}{
		{name: "terminal", file: "report.golden.txt", render: WriteTerminal},
		{name: "markdown", file: "report.golden.md", render: WriteMarkdown},
		{name: "markdown summary", file: "summary.golden.md", render: WriteMarkdownSummary},
		{name: "json", file: "report.golden.json", render: writeJSON},
		{name: "html", file: "report.golden.html", render: WriteHTML},
		{name: "junit", file: "junit.golden.xml", render: WriteJUnit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var first, second bytes.Buffer
			if err := tt.render(&first, fixture()); err != nil {
				t.Fatal(err)
			}
			// Rendering twice must give the same bytes: maps are sorted,
			// nothing depends on the clock or on randomness.
			if err := tt.render(&second, fixture()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Fatalf("two renderings of the same report differ:\n%s", firstDiff(first.Bytes(), second.Bytes()))
			}
			golden(t, tt.file, first.Bytes())
		})
	}
}

func TestGoldenCharts(t *testing.T) {
	charts, err := Charts(fixture())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rate", "latency", "queue_depth", "utilization", "replicas", "timeout_rate"}
	if len(charts) != len(want) {
		t.Fatalf("got %d charts, want %d (%v)", len(charts), len(want), want)
	}
	for i, c := range charts {
		if c.Name != want[i] {
			t.Errorf("chart %d is %q, want %q", i, c.Name, want[i])
		}
		golden(t, filepath.Join("charts", c.Name+".svg"), c.SVG)
	}
}
