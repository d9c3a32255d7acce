package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The formatters below give every renderer the same way of writing a
// figure, so the terminal, Markdown and HTML reports read alike.

// fmtRatio writes a 0..1 fraction as a percentage with the precision a
// reader needs: "55%", "3.2%", "0.04%".
func fmtRatio(v float64) string {
	p := v * 100
	switch {
	case p == 0:
		return "0%"
	case math.Abs(p) >= 10:
		return fmt.Sprintf("%.0f%%", p)
	case math.Abs(p) >= 1:
		return FormatNumber(p, 1) + "%"
	default:
		return fmt.Sprintf("%.2f%%", p)
	}
}

// fmtMs writes a duration in milliseconds, switching to seconds past one
// second: "212 ms", "4.1 s".
func fmtMs(v float64) string {
	switch {
	case math.Abs(v) >= 1000:
		return fmt.Sprintf("%.1f s", v/1000)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.0f ms", v)
	default:
		return fmt.Sprintf("%.1f ms", v)
	}
}

// FormatNumber writes a number with at most the given decimals and no trailing
// zeros: 50, 49.8, 0.25.
func FormatNumber(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// fmtCount writes a count-like figure (queue depth, replicas).
func fmtCount(v float64) string {
	if math.Abs(v) >= 100 {
		return FormatNumber(v, 0)
	}
	return FormatNumber(v, 1)
}

// fmtRange writes a min..max range, or one figure when they agree.
func fmtRange(lo, hi float64) string {
	if lo == hi {
		return fmtCount(lo)
	}
	return fmtCount(lo) + "–" + fmtCount(hi)
}

// fmtRate writes requests per second.
func fmtRate(v float64) string { return FormatNumber(v, 1) + "/s" }

// fmtInt writes a count.
func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

// fmtClock writes seconds since the run start as T+mm:ss.
func fmtClock(s float64) string {
	sec := int(math.Round(s))
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("T%s%02d:%02d", sign, sec/60, sec%60)
}

// fmtSeconds writes a duration in seconds: "45s", "2m30s", "12.5s".
func fmtSeconds(s float64) string {
	if s != math.Trunc(s) || s < 60 {
		return FormatNumber(s, 1) + "s"
	}
	m, sec := int(s)/60, int(s)%60
	if sec == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dm%02ds", m, sec)
}

// fmtValue writes a signal value according to its unit.
func fmtValue(v float64, unit string) string {
	switch unit {
	case "ratio":
		return fmtRatio(v)
	case "ms":
		return fmtMs(v)
	case "req/s":
		return fmtRate(v)
	case "requests", "replicas", "":
		return fmtCount(v)
	default:
		return FormatNumber(v, 2) + " " + unit
	}
}

// fmtObserved writes an assertion's observed value or threshold in its
// unit: "ratio" is a fraction shown as a percentage, "%" already a
// percentage, "ms" and "s" durations, anything else a plain figure.
func fmtObserved(v float64, unit string) string {
	switch unit {
	case "ratio":
		return fmtRatio(v)
	case "%":
		return FormatNumber(v, 2) + "%"
	case "ms":
		return fmtMs(v)
	case "s":
		return FormatNumber(v, 2) + " s"
	case "":
		return FormatNumber(v, 3)
	default:
		return FormatNumber(v, 3) + " " + unit
	}
}

// errorClasses writes an errors-by-class map in a stable order:
// "http5xx 12, refused 3".
func errorClasses(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// fmtOptSeconds writes an optional reaction figure.
func fmtOptSeconds(p *float64) string {
	if p == nil {
		return dash
	}
	return fmtSeconds(*p)
}
