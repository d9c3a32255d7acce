package assert

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/problem"
	"github.com/surge-sh/surge/pkg/units"
)

// DefaultWindow is the sliding window a live abortOnFail check judges
// client figures over when the spec sets none.
const DefaultWindow = 10 * time.Second

// Spec is one entry of a scenario's assert: list (or of a gate criteria
// file): either a plain string or a mapping
//
//   - p95 < 350ms during peak
//   - {expr: timeout_rate < 5%, abortOnFail: true, after: 30s, window: 10s}
type Spec struct {
	Expr string
	// AbortOnFail stops the load as soon as the live check fails.
	AbortOnFail bool
	// After is how long into the run live checks start, so that a
	// cold start does not abort it.
	After units.Duration
	// Window is the sliding window of client figures a live check judges
	// (DefaultWindow when zero).
	Window units.Duration

	// line and column locate the spec in its YAML file (0 = unknown);
	// exprLine/exprCol locate the expression text itself, whose columns
	// map one to one onto the file's when exprPlain.
	line, column      int
	exprLine, exprCol int
	exprPlain         bool
}

// WindowOrDefault is Window, or DefaultWindow when unset.
func (s Spec) WindowOrDefault() time.Duration {
	if s.Window <= 0 {
		return DefaultWindow
	}
	return s.Window.D()
}

var specKeys = []string{"expr", "abortOnFail", "after", "window"}

// UnmarshalYAML reads a plain string or a mapping; unknown keys are errors
// naming their line.
func (s *Spec) UnmarshalYAML(n *yaml.Node) error {
	*s = Spec{line: n.Line, column: n.Column}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag != "!!str" && n.Tag != "" {
			// A bare number or boolean is a slip, not an assertion.
			return typeErrorf(n, "assertion: want a string such as \"p95 < 350ms\" or a mapping with expr, got %q", n.Value)
		}
		s.Expr = n.Value
		s.setExprPos(n)
		return nil
	case yaml.MappingNode:
	default:
		return typeErrorf(n, "assertion: want a string such as \"p95 < 350ms\" or a mapping with expr")
	}
	var errs []string
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			errs = append(errs, fmt.Sprintf("line %d: assertion: key %q given twice", k.Line, k.Value))
			continue
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case "expr":
			if v.Kind != yaml.ScalarNode {
				err = fmt.Errorf("want a string")
				break
			}
			s.Expr = v.Value
			s.setExprPos(v)
		case "abortOnFail":
			err = v.Decode(&s.AbortOnFail)
		case "after":
			err = v.Decode(&s.After)
		case "window":
			err = v.Decode(&s.Window)
		default:
			errs = append(errs, fmt.Sprintf("line %d: assertion: unknown key %q (want %s)", k.Line, k.Value, strings.Join(specKeys, ", ")))
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("line %d: assertion: %s: %s", v.Line, k.Value, typeErrorText(err)))
		}
	}
	if !seen["expr"] && len(errs) == 0 {
		errs = append(errs, fmt.Sprintf("line %d: assertion: missing expr", n.Line))
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// MarshalYAML writes the short string form when no option is set.
func (s Spec) MarshalYAML() (any, error) {
	if !s.AbortOnFail && s.After == 0 && s.Window == 0 {
		return s.Expr, nil
	}
	m := map[string]any{"expr": s.Expr}
	if s.AbortOnFail {
		m["abortOnFail"] = true
	}
	if s.After != 0 {
		m["after"] = s.After
	}
	if s.Window != 0 {
		m["window"] = s.Window
	}
	return m, nil
}

func (s *Spec) setExprPos(n *yaml.Node) {
	s.exprLine, s.exprCol = n.Line, n.Column
	s.exprPlain = n.Style == 0 && !strings.Contains(n.Value, "\n")
	if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
		s.exprCol++ // past the opening quote
		s.exprPlain = !strings.ContainsAny(n.Value, "\\'\"\n")
	}
}

func typeErrorf(n *yaml.Node, format string, a ...any) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, a...)}}
}

// typeErrorText strips yaml.v3's "yaml: unmarshal errors:" framing from an
// error decoded from a sub-node.
func typeErrorText(err error) string {
	if te, ok := err.(*yaml.TypeError); ok {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			if _, rest, ok := strings.Cut(m, ": "); ok && strings.HasPrefix(m, "line ") {
				m = rest
			}
			msgs[i] = m
		}
		return strings.Join(msgs, "; ")
	}
	return err.Error()
}

// ValidateSpecs parses every spec and checks its options. Paths are list
// indexes ("[2]"), relative to the assert: block. Stage names are checked
// against stages unless stages is nil (a saved report judged by a gate may
// have been aborted before a stage, which is then a failed assertion, not
// invalid input). A parse error's Line and Column point into the file when
// the spec came from YAML.
func ValidateSpecs(specs []Spec, stages []string) []problem.Problem {
	var l problem.List
	for i, s := range specs {
		path := problem.Index("", i)
		at := func(msg string) problem.Problem {
			return problem.Problem{Path: path, Message: msg, Line: s.line, Column: s.column}
		}
		e, err := Parse(s.Expr)
		if err != nil {
			p := at(err.Error())
			if pe, ok := err.(*ParseError); ok && s.exprLine > 0 {
				p.Line, p.Column = s.exprLine, s.exprCol
				if s.exprPlain {
					p.Column += pe.Column - 1
				}
			}
			l = append(l, p)
			continue
		}
		if e.Stage != "" && stages != nil && !contains(stages, e.Stage) {
			l = append(l, at(fmt.Sprintf("%q: unknown stage %q (stages: %s)", s.Expr, e.Stage, strings.Join(stages, ", "))))
		}
		if s.AbortOnFail {
			switch {
			case e.NeedsBaseline():
				l = append(l, at(fmt.Sprintf("%q: abortOnFail: a baseline criterion can only be judged after the run", s.Expr)))
			case e.Figure.Class == ClassReaction:
				l = append(l, at(fmt.Sprintf("%q: abortOnFail: reaction figures are known only after the run", s.Expr)))
			}
		} else {
			if s.After != 0 {
				l = append(l, at(fmt.Sprintf("%q: after applies only with abortOnFail: true", s.Expr)))
			}
			if s.Window != 0 {
				l = append(l, at(fmt.Sprintf("%q: window applies only with abortOnFail: true", s.Expr)))
			}
		}
	}
	return l
}

// NeedsBaseline reports whether any spec compares against a baseline
// report. Specs that do not parse are ignored (ValidateSpecs reports them).
func NeedsBaseline(specs []Spec) bool {
	for _, s := range specs {
		if e, err := Parse(s.Expr); err == nil && e.NeedsBaseline() {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
