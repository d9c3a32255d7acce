package scenario

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/surge-sh/surge/pkg/load"
)

// Schedule resolves the stages into the arrival schedule.
func (s *Scenario) Schedule() (*load.Schedule, error) {
	spans := make([]load.StageSpan, len(s.Load.Stages))
	for i, st := range s.Load.Stages {
		shape, err := st.Rate.Parse()
		if err != nil {
			return nil, fmt.Errorf("load.stages[%d].rate: %w", i, err)
		}
		segs, err := shape.Segments(st.Duration.D())
		if err != nil {
			return nil, fmt.Errorf("load.stages[%d].rate: %w", i, err)
		}
		spans[i] = load.StageSpan{Name: st.Name, RateShape: st.Rate.Text, Duration: st.Duration.D(), Segments: segs}
	}
	return load.NewSchedule(spans)
}

// Requests resolves the request kinds against the target. base is the
// simulator's address when the target is the simulator ("" otherwise).
func (s *Scenario) Requests(base string) ([]load.Request, error) {
	t := s.Target
	targetURL := t.URL
	if t.Sim != nil {
		targetURL = strings.TrimSuffix(base, "/") + DefaultSimPath
	}
	kinds := t.Requests
	if len(kinds) == 0 {
		kinds = []RequestKind{{Name: "default", Weight: 1}}
	}
	out := make([]load.Request, len(kinds))
	for i, k := range kinds {
		r := load.Request{Name: k.Name, Weight: k.Weight, Method: t.Method, URL: targetURL, Body: t.Body, Header: map[string]string{}}
		for name, v := range t.Headers {
			r.Header[name] = v
		}
		if k.Method != "" {
			r.Method = k.Method
		}
		if k.URL != "" {
			r.URL = k.URL
		}
		if k.Path != "" {
			u, err := url.Parse(r.URL)
			if err != nil {
				return nil, fmt.Errorf("target.requests[%d].path: %w", i, err)
			}
			u.Path, u.RawPath = k.Path, ""
			r.URL = u.String()
		}
		for name, v := range k.Headers {
			r.Header[name] = v
		}
		if k.Body != "" {
			r.Body = k.Body
		}
		out[i] = r
	}
	return out, nil
}

// Feeder opens the data file, if any.
func (s *Scenario) Feeder() (*load.RowFeeder, error) {
	d := s.Target.Data
	if d == nil {
		return nil, nil
	}
	path := d.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("target.data: %w", err)
	}
	defer f.Close()
	seed := s.Load.Seed
	if d.Seed != nil {
		seed = *d.Seed
	}
	format := d.Format
	if format == "" {
		format = load.FeederFormat(d.File)
	}
	fd, err := load.NewRowFeeder(f, format, d.Order, seed)
	if err != nil {
		return nil, fmt.Errorf("target.data %q: %w", d.File, err)
	}
	return fd, nil
}

// WritePlan prints the resolved plan: each stage's start, end, rate shape
// and expected requests, the total, the request mix and the sources.
func (s *Scenario) WritePlan(w io.Writer) error {
	sched, err := s.Schedule()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "scenario %s (%s): valid\n", s.Name, displayFile(s.File))
	if s.Target.Sim != nil {
		sc := s.Target.Sim
		fmt.Fprintf(w, "target: built-in simulator (policy %s, %d replicas x %d slots), %s %s, timeout %v\n",
			sc.Autoscaler.Policy, sc.Replicas, sc.SlotsPerReplica, s.Target.Method, DefaultSimPath, s.Target.Timeout)
	} else {
		fmt.Fprintf(w, "target: %s %s, timeout %v\n", s.Target.Method, s.Target.URL, s.Target.Timeout)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tSTART\tEND\tRATE (req/s)\tREQUESTS")
	for _, st := range sched.Stages() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", st.Name, clock(st.Start), clock(st.End()), st.RateShape, sched.PlannedIn(st.Start, st.End()))
	}
	fmt.Fprintf(tw, "total\t%s\t%s\t\t%d\n", clock(0), clock(sched.Duration()), sched.Planned())
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Target.Requests) > 0 {
		var total float64
		for _, k := range s.Target.Requests {
			total += k.Weight
		}
		var parts []string
		for _, k := range s.Target.Requests {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", k.Name, 100*k.Weight/total))
		}
		fmt.Fprintf(w, "requests: %s\n", strings.Join(parts, ", "))
	}
	if d := s.Target.Data; d != nil {
		fmt.Fprintf(w, "data: %s (%s, %s)\n", d.File, d.Format, d.Order)
	}
	fmt.Fprintf(w, "sources (every %v): %s\n", s.Observe.Interval, strings.Join(s.sources(), "; "))
	fmt.Fprintf(w, "assertions: %d\n", len(s.Assert))
	return nil
}

func displayFile(f string) string {
	if f == "" {
		return "<stdin>"
	}
	return f
}

// clock formats an offset as m:ss.
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// sources describes where signals will be read from.
func (s *Scenario) sources() []string {
	var out []string
	o := s.Observe
	switch {
	case o.Scrape != nil && o.Scrape.URL != "":
		out = append(out, "scrape "+o.Scrape.URL)
	case o.Scrape != nil || s.Target.Sim != nil:
		out = append(out, "scrape of the simulator's /metrics")
	}
	if p := o.Prometheus; p != nil {
		out = append(out, fmt.Sprintf("prometheus %s (%d signals)", p.URL, len(p.Signals)))
	}
	if k := o.Kubernetes; k != nil {
		d := "kubernetes"
		if k.Namespace != "" {
			d += " namespace " + k.Namespace
		}
		if k.Deployment != "" {
			d += " deployment " + k.Deployment
		}
		if k.ScaledObject != "" {
			d += " scaledObject " + k.ScaledObject
		}
		if k.HPA != "" {
			d += " hpa " + k.HPA
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		out = append(out, "client side only")
	}
	return out
}
