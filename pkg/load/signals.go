package load

import (
	"math"

	"github.com/surge-sh/surge/pkg/report"
)

// ClientSignals turns the per-second series into report signals (source
// "client"): target_rate, achieved_rate, client_p95, timeout_rate. Seconds
// in which nothing finished have no client_p95 or timeout_rate point, so a
// chart shows a gap, not a zero.
func ClientSignals(secs []Second) []report.Signal {
	mk := func(name, unit string) report.Signal {
		return report.Signal{Name: name, Unit: unit, Source: "client"}
	}
	target, achieved, p95, tr := mk("target_rate", "req/s"), mk("achieved_rate", "req/s"), mk("client_p95", "ms"), mk("timeout_rate", "ratio")
	for _, s := range secs {
		t := float64(s.T)
		target.Points = append(target.Points, report.Point{t, round3(s.Target)})
		achieved.Points = append(achieved.Points, report.Point{t, float64(s.Sent)})
		if s.Requests > 0 {
			p95.Points = append(p95.Points, report.Point{t, round3(s.P95Ms)})
			tr.Points = append(tr.Points, report.Point{t, round3(float64(s.Timeouts) / float64(s.Requests))})
		}
	}
	return []report.Signal{target, achieved, p95, tr}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
