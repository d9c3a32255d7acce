package assert

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input panics the parser or the evaluation,
// that every error carries a column inside the input, and that the
// canonical form of whatever parses reads back to itself. The seed corpus
// is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"p95 < 350ms during peak",
		"timeout_rate < 1%",
		"replicas.max >= 6",
		"p95 <= +10% vs baseline",
		"error_rate <= baseline + 1%",
		`p50 < 1s during "warm up"`,
	} {
		f.Add(s)
	}
	run, base := runReport(), baselineReport()
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %T, want *ParseError", src, err)
			}
			if n := utf8.RuneCountInString(src); pe.Column < 1 || pe.Column > n+1 {
				t.Fatalf("Parse(%q): column %d outside 1..%d", src, pe.Column, n+1)
			}
			return
		}
		canon := e.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", src, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form of %q not stable: %q -> %q", src, canon, again.String())
		}
		got, err := Evaluate([]Spec{{Expr: src}}, run, base)
		if err != nil {
			t.Fatalf("Evaluate(%q): %v", src, err)
		}
		if _, err := json.Marshal(got); err != nil {
			t.Fatalf("Evaluate(%q) gave an assertion JSON cannot carry: %v", src, err)
		}
	})
}
