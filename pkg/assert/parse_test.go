package assert

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	lat := func(f string) Figure { return Figure{Name: "latency." + f, Class: ClassClient, Field: f} }
	abs := func(v float64, u Unit) Bound { return Bound{Kind: Absolute, Q: Quantity{v, u}} }
	tests := []struct {
		name string
		src  string
		want Expr
	}{
		{"contract p95 during peak", "p95 < 350ms during peak",
			Expr{Figure: lat("p95"), Op: OpLT, Bound: abs(350, UnitMs), Stage: "peak"}},
		{"contract timeout rate", "timeout_rate < 1%",
			Expr{Figure: Figure{Name: "timeout_rate", Class: ClassClient, Field: "timeout_rate"}, Op: OpLT, Bound: abs(1, UnitPercent)}},
		{"contract replicas max", "replicas.max >= 6",
			Expr{Figure: Figure{Name: "replicas.max", Class: ClassReplicas, Field: "max"}, Op: OpGE, Bound: abs(6, UnitNone)}},
		{"latency prefix", "latency.p99 <= 2s",
			Expr{Figure: lat("p99"), Op: OpLE, Bound: abs(2, UnitSecond)}},
		{"service latency alias", "service_p95 > 0.5 m",
			Expr{Figure: Figure{Name: "service_latency.p95", Class: ClassClient, Field: "service_p95"}, Op: OpGT, Bound: abs(0.5, UnitMinute)}},
		{"no spaces", "max<4s",
			Expr{Figure: lat("max"), Op: OpLT, Bound: abs(4, UnitSecond)}},
		{"signal aggregate", "queue_depth.max < 200",
			Expr{Figure: Figure{Name: "queue_depth.max", Class: ClassSignal, Field: "max", Signal: "queue_depth"}, Op: OpLT, Bound: abs(200, UnitNone)}},
		{"ratio signal percent", "gpu.avg != 90% during ramp",
			Expr{Figure: Figure{Name: "gpu.avg", Class: ClassSignal, Field: "avg", Signal: "gpu"}, Op: OpNE, Bound: abs(90, UnitPercent), Stage: "ramp"}},
		{"replicas signal avg", "replicas.avg == 3",
			Expr{Figure: Figure{Name: "replicas.avg", Class: ClassSignal, Field: "avg", Signal: "replicas"}, Op: OpEQ, Bound: abs(3, UnitNone)}},
		{"reaction", "reaction.decision < 45s",
			Expr{Figure: Figure{Name: "reaction.decision", Class: ClassReaction, Field: "decision"}, Op: OpLT, Bound: abs(45, UnitSecond)}},
		{"ratio as fraction", "achieved_ratio >= 0.95",
			Expr{Figure: Figure{Name: "achieved_ratio", Class: ClassClient, Field: "achieved_ratio"}, Op: OpGE, Bound: abs(0.95, UnitNone)}},
		{"relative", "p95 <= +10% vs baseline",
			Expr{Figure: lat("p95"), Op: OpLE, Bound: Bound{Kind: BaselineRelative, Q: Quantity{10, UnitPercent}}}},
		{"relative negative", "achieved_rate >= -5 % vs baseline during peak",
			Expr{Figure: Figure{Name: "achieved_rate", Class: ClassClient, Field: "achieved_rate"}, Op: OpGE, Bound: Bound{Kind: BaselineRelative, Q: Quantity{-5, UnitPercent}}, Stage: "peak"}},
		{"relative unsigned", "p99 <= 20% vs baseline",
			Expr{Figure: lat("p99"), Op: OpLE, Bound: Bound{Kind: BaselineRelative, Q: Quantity{20, UnitPercent}}}},
		{"baseline", "timeout_rate <= baseline",
			Expr{Figure: Figure{Name: "timeout_rate", Class: ClassClient, Field: "timeout_rate"}, Op: OpLE, Bound: Bound{Kind: BaselineDelta}}},
		{"baseline plus points", "error_rate <= baseline + 1%",
			Expr{Figure: Figure{Name: "error_rate", Class: ClassClient, Field: "error_rate"}, Op: OpLE, Bound: Bound{Kind: BaselineDelta, Q: Quantity{1, UnitPercent}}}},
		{"baseline minus", "p95 < baseline - 50ms during peak",
			Expr{Figure: lat("p95"), Op: OpLT, Bound: Bound{Kind: BaselineDelta, Q: Quantity{-50, UnitMs}}, Stage: "peak"}},
		{"quoted stage", `p50 < 1s during "warm up"`,
			Expr{Figure: lat("p50"), Op: OpLT, Bound: abs(1, UnitSecond), Stage: "warm up"}},
		{"stage with dash", "p50 < 1s during ramp-2",
			Expr{Figure: lat("p50"), Op: OpLT, Bound: abs(1, UnitSecond), Stage: "ramp-2"}},
		{"surrounding space", "  requests   >   100  ",
			Expr{Figure: Figure{Name: "requests", Class: ClassClient, Field: "requests"}, Op: OpGT, Bound: abs(100, UnitNone)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			tt.want.Source = tt.src
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", tt.src, *got, tt.want)
			}
			again, err := Parse(got.String())
			if err != nil {
				t.Fatalf("canonical form %q does not parse: %v", got.String(), err)
			}
			if again.String() != got.String() {
				t.Fatalf("canonical form not stable: %q -> %q", got.String(), again.String())
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unknown unit", "p95 < 35x", `"p95 < 35x": column 9: unknown unit "x" (want ms, s, m, %)`},
		{"unknown unit after space", "p95 < 35 sec", `"p95 < 35 sec": column 10: unknown unit "sec" (want ms, s, m, %)`},
		{"empty", "   ", `"   ": column 4: empty assertion (want e.g. "p95 < 350ms during peak")`},
		{"misspelt figure", "p96 < 3s", `"p96 < 3s": column 1: unknown figure "p96" (did you mean p90?)`},
		{"upper case figure", "P95 < 3s", `"P95 < 3s": column 1: unknown figure "P95" (did you mean p95?)`},
		{"signal without aggregate", "queue_depth < 200", `"queue_depth < 200": column 1: signal "queue_depth" needs an aggregate: queue_depth.min, queue_depth.avg, queue_depth.max or queue_depth.last`},
		{"bad aggregate", "gpu.mean < 90%", `"gpu.mean < 90%": column 1: unknown aggregate "mean" of signal "gpu" (want min, avg, max, last)`},
		{"bad latency field", "latency.p97 < 1s", `"latency.p97 < 1s": column 1: unknown latency figure "p97" (want p50, p90, p95, p99, max, mean, min)`},
		{"bad reaction field", "reaction.fast < 1s", `"reaction.fast < 1s": column 1: unknown reaction figure "fast" (want actuation, decision, over_accuracy, over_timeshare, ready, replica_seconds, slo_violation, stable, under_accuracy, under_timeshare)`},
		{"trailing dot", "gpu. < 1", `"gpu. < 1": column 5: want a name after "gpu."`},
		{"no figure", "< 3", `"< 3": column 1: want a figure such as p95, timeout_rate or queue_depth.max, got "<"`},
		{"single equals", "p95 = 3s", `"p95 = 3s": column 5: want a comparison (<, <=, >, >=, ==, !=), got "="`},
		{"missing op", "p95", `"p95": column 4: want a comparison (<, <=, >, >=, ==, !=), got the end`},
		{"missing bound", "p95 <", `"p95 <": column 6: want a number, got the end`},
		{"word bound", "p95 < fast", `"p95 < fast": column 7: want a number or baseline, got "fast"`},
		{"two dots", "p95 < 1.2.3s", `"p95 < 1.2.3s": column 7: invalid number "1.2.3"`},
		{"percent on latency", "p95 < 5%", `"p95 < 5%": column 7: unit "%" does not apply to latency.p95 (a duration: want ms, s, m or a plain number of milliseconds)`},
		{"duration on ratio", "timeout_rate < 5ms", `"timeout_rate < 5ms": column 16: unit "ms" does not apply to timeout_rate (a ratio: want % or a fraction such as 0.01)`},
		{"plain percent on ratio", "error_rate < 5", `"error_rate < 5": column 14: plain number 5 for error_rate, a ratio: write 5% or 0.05`},
		{"unit on count", "requests > 5s", `"requests > 5s": column 12: unit "s" does not apply to requests (a plain number: no unit)`},
		{"signed without vs", "p95 <= +10%", `"p95 <= +10%": column 8: a signed change needs "vs baseline" (e.g. +10% vs baseline)`},
		{"vs without baseline", "p95 <= +10% vs before", `"p95 <= +10% vs before": column 16: want "baseline" after "vs"`},
		{"vs with duration", "p95 <= +50ms vs baseline", `"p95 <= +50ms vs baseline": column 8: "vs baseline" takes a percentage change such as +10%; for an absolute margin write "baseline + 50ms"`},
		{"baseline bad margin", "p95 <= baseline + 5%", `"p95 <= baseline + 5%": column 8: unit "%" does not apply to latency.p95 (a duration: want ms, s, m or a plain number of milliseconds)`},
		{"trailing words", "p95 < 3s at peak", `"p95 < 3s at peak": column 10: unexpected "at" (want "during STAGE" or the end)`},
		{"missing stage", "p95 < 3s during ", `"p95 < 3s during ": column 17: want a stage name after "during"`},
		{"words after stage", "p95 < 3s during warm up", `"p95 < 3s during warm up": column 22: unexpected "up" after the stage name (quote a stage name that has spaces)`},
		{"unterminated stage", `p95 < 3s during "warm`, `"p95 < 3s during \"warm": column 17: unterminated stage name (missing closing quote)`},
		{"whole-run figure in stage", "reaction.slo_violation < 30s during peak", `"reaction.slo_violation < 30s during peak": column 30: reaction.slo_violation is a whole-run figure: it has no value during a stage`},
		{"column counts characters", "p95 < 3µs", `"p95 < 3µs": column 8: unknown unit "µs" (want ms, s, m, %)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error %s", tt.src, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Fatalf("Parse(%q) error\n got %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

func TestOpHolds(t *testing.T) {
	tests := []struct {
		name string
		op   Op
		a, b float64
		want bool
	}{
		{"lt below", OpLT, 1, 2, true},
		{"lt equal", OpLT, 2, 2, false},
		{"le rounding", OpLE, 0.1 + 0.2, 0.3, true},
		{"gt above", OpGT, 3, 2, true},
		{"ge below", OpGE, 1, 2, false},
		{"eq rounding", OpEQ, 1.0 / 3 * 3, 1, true},
		{"ne", OpNE, 1, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.op.Holds(tt.a, tt.b); got != tt.want {
				t.Fatalf("%v %s %v = %v, want %v", tt.a, tt.op, tt.b, got, tt.want)
			}
		})
	}
}

// TestParseLongInputs guards against quadratic scanning: each input is a
// megabyte, which a linear parser reads in milliseconds and a quadratic one
// (as dotted names once were) in tens of seconds. The bound is generous so
// that a loaded machine does not fail it.
func TestParseLongInputs(t *testing.T) {
	const mb = 1 << 20
	tests := []struct{ name, src string }{
		{"long number", "p95 < " + strings.Repeat("9", mb)},
		{"only spaces", strings.Repeat(" ", mb)},
		{"escapes in a quoted stage", `p95 < 1s during "` + strings.Repeat(`\"`, mb/2)},
		{"long name", strings.Repeat("a", mb) + " < 1"},
		{"many dots", "a." + strings.Repeat("b.", mb/4) + "c < 1"},
		{"long stage", "p95 < 1s during " + strings.Repeat("x", mb)},
		{"dots for a number", "p95 < " + strings.Repeat(".", mb)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, _ = Parse(tt.src)
			_, _ = Evaluate([]Spec{{Expr: tt.src}}, runReport(), baselineReport())
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}
