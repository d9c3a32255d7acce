package assert

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDocsExamples keeps docs/assertions.md true: its YAML examples are
// valid and its error examples are the errors Parse and Evaluate give.
func TestDocsExamples(t *testing.T) {
	data, err := os.ReadFile("../../docs/assertions.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```(\\w*)\n(.*?)```").FindAllStringSubmatch(string(data), -1)
	yamls, errLines := 0, 0
	for _, b := range blocks {
		lang, body := b[1], b[2]
		switch {
		case lang == "yaml":
			yamls++
			var specs []Spec
			var f specFile
			if err := yaml.Unmarshal([]byte(body), &f); err == nil && len(f.Assert) > 0 {
				specs = f.Assert
			} else if err := yaml.Unmarshal([]byte(body), &specs); err != nil {
				t.Errorf("yaml example does not load: %v\n%s", err, body)
				continue
			}
			if p := ValidateSpecs(specs, nil); len(p) > 0 {
				t.Errorf("yaml example invalid: %v\n%s", p, body)
			}
		case strings.Contains(body, ": column "):
			for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
				errLines++
				checkErrorLine(t, line)
			}
		}
	}
	if yamls < 2 || errLines < 5 {
		t.Fatalf("found %d yaml examples and %d error lines; the docs changed shape", yamls, errLines)
	}
}

func checkErrorLine(t *testing.T, line string) {
	t.Helper()
	index, rest := -1, line
	if m := regexp.MustCompile(`^assert\[(\d+)\] `).FindStringSubmatch(line); m != nil {
		index, _ = strconv.Atoi(m[1])
		rest = line[len(m[0]):]
	}
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		t.Errorf("error example %q: no quoted expression", line)
		return
	}
	expr, _ := strconv.Unquote(q)
	var got error
	if index < 0 {
		_, got = Parse(expr)
	} else {
		specs := make([]Spec, index+1)
		for i := range specs {
			specs[i] = Spec{Expr: "p95 < 1s"}
		}
		specs[index].Expr = expr
		_, got = Evaluate(specs, runReport(), nil)
	}
	if fmt.Sprint(got) != line {
		t.Errorf("docs say\n  %s\nbut the error is\n  %v", line, got)
	}
}
