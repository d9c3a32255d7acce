// Package assert is surge's assertion language: criteria such as
// `p95 < 350ms during peak`, `timeout_rate < 1%` or `p95 <= +10% vs baseline`
// written in a scenario's assert: block or handed to `surge gate`, parsed
// into an Expr, judged against a finished report (Evaluate) or, for hard
// SLOs marked abortOnFail, against the live run (CheckLive). The grammar is
// documented in docs/assertions.md.
package assert

import (
	"fmt"
	"math"
	"strconv"
	"unicode"
)

// Expr is one parsed assertion.
type Expr struct {
	// Source is the text the expression was parsed from.
	Source string
	Figure Figure
	Op     Op
	Bound  Bound
	// Stage scopes the figure to one stage; empty means the whole run.
	Stage string
}

// String renders the expression in canonical form; Parse(e.String())
// yields the same expression.
func (e *Expr) String() string {
	s := e.Figure.Name + " " + e.Op.String() + " " + e.Bound.String()
	if e.Stage != "" {
		s += " during " + quoteStage(e.Stage)
	}
	return s
}

// NeedsBaseline reports whether the expression compares against a
// baseline report.
func (e *Expr) NeedsBaseline() bool { return e.Bound.Kind != Absolute }

// Class groups figures by where in a report they are read.
type Class int

// The figure classes.
const (
	// ClassClient figures come from the client-side stats of a stage or
	// the whole run: latency percentiles, rates and counts.
	ClassClient Class = iota + 1
	// ClassSignal figures aggregate an observed signal: queue_depth.max.
	ClassSignal
	// ClassReplicas figures summarise the replica count: replicas.max.
	ClassReplicas
	// ClassReaction figures are the autoscaler reaction times and scores.
	ClassReaction
)

// Figure names the number an assertion judges.
type Figure struct {
	// Name is the canonical name: "latency.p95", "timeout_rate",
	// "queue_depth.max", "replicas.final", "reaction.decision".
	Name  string
	Class Class
	// Field is the figure within its class: "p95", "timeout_rate",
	// "max", "decision".
	Field string
	// Signal is the signal name of a ClassSignal figure.
	Signal string
}

// Op is a comparison operator.
type Op int

// The comparison operators.
const (
	OpLT Op = iota + 1 // <
	OpLE               // <=
	OpGT               // >
	OpGE               // >=
	OpEQ               // ==
	OpNE               // !=
)

var opText = map[Op]string{OpLT: "<", OpLE: "<=", OpGT: ">", OpGE: ">=", OpEQ: "==", OpNE: "!="}

func (o Op) String() string {
	if s, ok := opText[o]; ok {
		return s
	}
	return "?"
}

// Holds reports whether `observed o threshold` is true. Values within a
// relative 1e-9 of each other count as equal, so that `timeout_rate <= 1%`
// is not failed by the rounding of 1/100.
func (o Op) Holds(observed, threshold float64) bool {
	eq := math.Abs(observed-threshold) <= 1e-9*math.Max(1, math.Max(math.Abs(observed), math.Abs(threshold)))
	switch o {
	case OpLT:
		return observed < threshold && !eq
	case OpLE:
		return observed < threshold || eq
	case OpGT:
		return observed > threshold && !eq
	case OpGE:
		return observed > threshold || eq
	case OpEQ:
		return eq
	case OpNE:
		return !eq
	}
	return false
}

// Unit is a unit written after a number.
type Unit string

// The units the grammar knows.
const (
	UnitNone    Unit = ""
	UnitMs      Unit = "ms"
	UnitSecond  Unit = "s"
	UnitMinute  Unit = "m"
	UnitPercent Unit = "%"
)

// Quantity is a number as written, with its unit.
type Quantity struct {
	Value float64
	Unit  Unit
}

func (q Quantity) String() string { return formatNumber(q.Value) + string(q.Unit) }

// BoundKind says what an assertion compares its figure with.
type BoundKind int

// The bound kinds.
const (
	// Absolute compares with a fixed quantity: `p95 < 350ms`.
	Absolute BoundKind = iota
	// BaselineDelta compares with the baseline's same figure plus a
	// signed margin in the figure's unit: `timeout_rate <= baseline + 1%`.
	BaselineDelta
	// BaselineRelative compares with the baseline's same figure changed by
	// a signed percentage: `p95 <= +10% vs baseline`.
	BaselineRelative
)

// Bound is the right-hand side of an assertion.
type Bound struct {
	Kind BoundKind
	// Q is the absolute quantity, the signed margin (BaselineDelta), or the
	// signed percentage change (BaselineRelative, unit %).
	Q Quantity
}

func (b Bound) String() string {
	switch b.Kind {
	case BaselineDelta:
		switch {
		case b.Q.Value > 0:
			return "baseline + " + b.Q.String()
		case b.Q.Value < 0:
			return "baseline - " + Quantity{-b.Q.Value, b.Q.Unit}.String()
		}
		return "baseline"
	case BaselineRelative:
		sign := "+"
		if b.Q.Value < 0 || math.Signbit(b.Q.Value) {
			sign = ""
		}
		return sign + b.Q.String() + " vs baseline"
	}
	return b.Q.String()
}

// ParseError is a syntax error in one assertion.
type ParseError struct {
	Expr string
	// Column is the 1-based position (in characters) of the offending text.
	Column int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s: column %d: %s", strconv.Quote(e.Expr), e.Column, e.Msg)
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// quoteStage writes a stage name so that the parser reads it back: bare
// when it is one plain word, quoted otherwise.
func quoteStage(s string) string {
	plain := s != ""
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' || r == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return strconv.Quote(s)
}
