// Package problem is the vocabulary of config validation shared by every
// block of a scenario file: a problem names its field path, and the scenario
// loader adds the line and column and reports them all at once.
package problem

import (
	"fmt"
	"strings"
)

// Problem is one invalid setting. Path uses YAML key names and list indexes,
// relative to the block that was validated: "autoscaler.keda.listLength",
// "stages[2].rate".
type Problem struct {
	Path    string
	Message string
	// Line and Column locate the value in the file (1-based; 0 = unknown).
	Line, Column int
}

func (p Problem) Error() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// List collects problems while validating.
type List []Problem

// Addf records a problem at path.
func (l *List) Addf(path, format string, a ...any) {
	*l = append(*l, Problem{Path: path, Message: fmt.Sprintf(format, a...)})
}

// Nest appends problems found in a sub-block, prefixing their paths.
func (l *List) Nest(prefix string, sub []Problem) {
	for _, p := range sub {
		p.Path = Join(prefix, p.Path)
		*l = append(*l, p)
	}
}

// Join joins path segments: Join("target", "sim") = "target.sim";
// Join("stages[1]", "") = "stages[1]"; Join("a", "[2].b") = "a[2].b".
func Join(prefix, path string) string {
	switch {
	case prefix == "":
		return path
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	default:
		return prefix + "." + path
	}
}

// Index returns "name[i]".
func Index(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }
