package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/observe"
)

// progressView shows a run while it goes.
type progressView interface {
	// Every is how often Update wants to be called.
	Every() time.Duration
	Update(l load.Live, obs *observe.Observer)
	Close()
}

// newProgressView returns the view for the streams: for now one plain line
// every period.
func newProgressView(io *IOStreams, name string, total, every time.Duration) progressView {
	return &lineView{io: io, name: name, total: total, every: every}
}

type lineView struct {
	io    *IOStreams
	name  string
	total time.Duration
	every time.Duration
}

func (v *lineView) Every() time.Duration { return v.every }
func (v *lineView) Close()               {}

func (v *lineView) Update(l load.Live, obs *observe.Observer) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s stage=%s target=%.0f/s sent=%d in-flight=%d p95(10s)=%.0fms failed=%d",
		v.name, clockOf(l.Elapsed), clockOf(v.total), l.Stage, l.TargetRate, l.Sent, l.InFlight, l.Window.LatencyMs.P95, l.Failed)
	if obs != nil {
		if r, ok := obs.Last("replicas"); ok {
			fmt.Fprintf(&b, " replicas=%.0f", r)
		}
		if q, ok := obs.Last("queue_depth"); ok {
			fmt.Fprintf(&b, " queue=%.0f", q)
		}
	}
	fmt.Fprintln(v.io.ErrOut, b.String())
}

func clockOf(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}
