package observe

import "github.com/surge-sh/surge/pkg/report"

// Aggregate summarises points per stage (min, avg, max, last), the same way
// the observer summarises the signals it reads; the run uses it for the
// client-side series so that every signal in a report is summarised alike.
func Aggregate(points []report.Point, stages []Span) map[string]report.Agg {
	return aggregate(points, stages)
}
