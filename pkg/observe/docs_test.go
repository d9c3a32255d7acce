package observe

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDocumentedExamplesAreValid loads every complete `observe:` example of
// docs/observe.md strictly, defaults and validates it, and builds an
// Observer from it, so that the docs cannot drift from the code.
func TestDocumentedExamplesAreValid(t *testing.T) {
	doc, err := os.ReadFile("../../docs/observe.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	n := 0
	for i, b := range blocks {
		text := string(b[1])
		if !strings.HasPrefix(text, "observe:") && !strings.Contains(text, "\nobserve:") || strings.Contains(text, "{...}") {
			continue
		}
		n++
		var top struct {
			Observe yaml.Node `yaml:"observe"`
		}
		if err := yaml.Unmarshal([]byte(text), &top); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		var cfg Config
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		if err := enc.Encode(&top.Observe); err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(&buf)
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil {
			t.Fatalf("block %d:\n%s\n%v", i, text, err)
		}
		cfg.ApplyDefaults()
		if p := cfg.Validate(); len(p) > 0 {
			t.Fatalf("block %d:\n%s\n%v", i, text, p)
		}
		env := Env{Getenv: func(k string) string { return "x" }, DefaultScrapeURL: "http://127.0.0.1:1/metrics"}
		if cfg.Prometheus != nil && cfg.Prometheus.Auth != nil {
			cfg.Prometheus.Auth.CAFile = "" // the documented path does not exist here
		}
		if _, err := New(cfg, env); err != nil {
			t.Fatalf("block %d: New: %v", i, err)
		}
	}
	if n < 4 {
		t.Fatalf("found %d observe examples, want at least 4", n)
	}
}
