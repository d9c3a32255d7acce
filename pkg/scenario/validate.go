package scenario

import (
	"math"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/surge-sh/surge/pkg/assert"
	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/problem"
	"github.com/surge-sh/surge/pkg/units"
)

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$`)

// validate reports every problem of a defaulted scenario.
func (s *Scenario) validate(ix *index, opts Options) problem.List {
	var ps problem.List
	if s.APIVersion != APIVersion {
		ps.Addf("apiVersion", "must be %q, got %q", APIVersion, s.APIVersion)
	}
	if s.Kind != Kind {
		ps.Addf("kind", "must be %q, got %q", Kind, s.Kind)
	}
	switch {
	case s.Name == "":
		ps.Addf("name", "is required")
	case !nameRE.MatchString(s.Name):
		ps.Addf("name", "%q must be lower-case letters, digits, '.', '_' or '-' (it names the output directory)", s.Name)
	}
	s.validateTarget(&ps, opts)
	stages := s.validateLoad(&ps)
	if c := s.Report.Compare; len(c) > 0 {
		if len(c) != 2 {
			ps.Addf("report.compare", "want two stage names (e.g. [baseline, peak]), got %d", len(c))
		}
		for i, name := range c {
			if !stages[name] {
				ps.Addf(problem.Index("report.compare", i), "no stage named %q", name)
			}
		}
	}
	for i, f := range s.Report.Formats {
		switch f {
		case "json", "md", "html", "junit":
		default:
			ps.Addf(problem.Index("report.formats", i), "unknown format %q (want json, md, html or junit)", f)
		}
	}
	ps.Nest("observe", s.Observe.Validate())
	var stageNames []string
	for _, st := range s.Load.Stages {
		stageNames = append(stageNames, st.Name)
	}
	ps.Nest("assert", assert.ValidateSpecs(s.Assert, stageNames))
	if s.SLO != nil && s.SLO.P95 == 0 && s.SLO.TimeoutRate == 0 {
		ps.Addf("slo", "set p95, timeoutRate or both")
	}
	return ps
}

func (s *Scenario) validateTarget(ps *problem.List, opts Options) {
	t := &s.Target
	switch {
	case t.Sim == nil && t.URL == "":
		ps.Addf("target", "set url, or sim to run the built-in simulator")
	case t.Sim != nil:
		ps.Nest("target.sim", t.Sim.Validate())
		if t.URL != "" {
			ps.Addf("target.url", "leave url out with sim: the simulator's address is chosen at run time (use path to change the endpoint)")
		}
	default:
		checkURL(ps, "target.url", t.URL)
	}
	checkMethod(ps, "target.method", t.Method)
	checkHeaders(ps, "target.headers", t.Headers)
	checkTemplate(ps, "target.body", t.Body)
	if t.Timeout <= 0 {
		ps.Addf("target.timeout", "must be positive")
	}
	if t.Data != nil {
		s.validateData(ps, opts)
	}
	seen := map[string]bool{}
	for i, k := range t.Requests {
		p := problem.Index("target.requests", i)
		switch {
		case k.Name == "":
			ps.Addf(p+".name", "is required")
		case seen[k.Name]:
			ps.Addf(p+".name", "%q is used by another request kind", k.Name)
		case !nameRE.MatchString(k.Name):
			ps.Addf(p+".name", "%q must be lower-case letters, digits, '.', '_' or '-'", k.Name)
		}
		seen[k.Name] = true
		if !(k.Weight > 0) || math.IsInf(k.Weight, 0) {
			ps.Addf(p+".weight", "must be a positive number")
		}
		if k.Method != "" {
			checkMethod(ps, p+".method", k.Method)
		}
		if k.URL != "" {
			if t.Sim != nil {
				ps.Addf(p+".url", "leave url out with sim (use path)")
			} else {
				checkURL(ps, p+".url", k.URL)
			}
		}
		if k.Path != "" && !strings.HasPrefix(k.Path, "/") {
			ps.Addf(p+".path", "must start with /")
		}
		checkHeaders(ps, p+".headers", k.Headers)
		checkTemplate(ps, p+".body", k.Body)
	}
}

func (s *Scenario) validateData(ps *problem.List, opts Options) {
	d := s.Target.Data
	if d.File == "" {
		ps.Addf("target.data.file", "is required")
		return
	}
	path := d.File
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	if opts.SkipFiles {
		// nothing to stat: reading back a saved copy
	} else if fi, err := os.Stat(path); err != nil {
		ps.Addf("target.data", "cannot read %q: %v", d.File, unwrapPathError(err))
	} else if fi.IsDir() {
		ps.Addf("target.data", "%q is a directory", d.File)
	}
	if d.Format == "" {
		d.Format = load.FeederFormat(d.File)
	}
	switch d.Format {
	case "csv", "jsonl":
	default:
		ps.Addf("target.data.format", "unknown format %q (want csv or jsonl; .csv, .jsonl and .ndjson files are detected)", d.Format)
	}
	switch d.Order {
	case "sequential", "random":
	default:
		ps.Addf("target.data.order", "want sequential or random, got %q", d.Order)
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// MaxScheduleDuration bounds a run's schedule: a week holds any soak test,
// while 1000h is a typo that would tie up a runner for a month.
const MaxScheduleDuration = 7 * 24 * time.Hour

// validateLoad checks the stages and returns the set of stage names.
func (s *Scenario) validateLoad(ps *problem.List) map[string]bool {
	names := map[string]bool{}
	l := &s.Load
	if len(l.Stages) == 0 {
		ps.Addf("load.stages", "at least one stage is required")
	}
	if l.MaxInFlight < 0 {
		ps.Addf("load.maxInFlight", "must be positive")
	}
	if l.MaxRate < 0 {
		ps.Addf("load.maxRate", "must be positive")
	}
	var total time.Duration
	defer func() {
		if total > MaxScheduleDuration {
			ps.Addf("load.stages", "the stages last %v together, longer than a run may last: at most %v", units.Duration(total), units.Duration(MaxScheduleDuration))
		}
	}()
	for i, st := range l.Stages {
		p := problem.Index("load.stages", i)
		switch {
		case st.Name == "":
			ps.Addf(p+".name", "is required")
		case names[st.Name]:
			ps.Addf(p+".name", "%q is used by another stage", st.Name)
		case !nameRE.MatchString(st.Name):
			ps.Addf(p+".name", "%q must be lower-case letters, digits, '.', '_' or '-'", st.Name)
		}
		names[st.Name] = true
		switch {
		case st.Duration <= 0:
			ps.Addf(p+".duration", "must be positive (e.g. 30s, 2m)")
		case st.Duration.D() > MaxScheduleDuration:
			ps.Addf(p+".duration", "%v is longer than a run may last: at most %v", st.Duration, units.Duration(MaxScheduleDuration))
		default:
			total += st.Duration.D()
		}
		shape, err := st.Rate.Parse()
		if err != nil {
			ps.Addf(p+".rate", "%v", err)
			continue
		}
		if l.MaxRate > 0 && shape.Peak() > l.MaxRate {
			ps.Addf(p+".rate", "peaks at %g requests/second, above load.maxRate %g", shape.Peak(), l.MaxRate)
		}
		if st.Duration > 0 {
			if _, err := shape.Segments(st.Duration.D()); err != nil {
				ps.Addf(p+".rate", "%v", err)
			}
		}
	}
	return names
}

func checkURL(ps *problem.List, path, raw string) {
	if strings.Contains(raw, "{{") {
		checkTemplate(ps, path, raw)
		return
	}
	u, err := url.Parse(raw)
	if err != nil {
		ps.Addf(path, "%v", err)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		ps.Addf(path, "%q: want an http:// or https:// URL", raw)
	} else if u.Host == "" {
		ps.Addf(path, "%q has no host", raw)
	}
}

func checkMethod(ps *problem.List, path, m string) {
	if !httpguts.ValidHeaderFieldName(m) || strings.ToUpper(m) != m {
		ps.Addf(path, "%q is not an HTTP method (want e.g. GET, POST)", m)
	}
}

func checkHeaders(ps *problem.List, path string, h map[string]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := h[k]
		if !httpguts.ValidHeaderFieldName(k) {
			ps.Addf(path+"."+k, "%q is not a valid header name", k)
		}
		if !strings.Contains(v, "{{") && !httpguts.ValidHeaderFieldValue(v) {
			ps.Addf(path+"."+k, "value has characters not allowed in a header")
		}
		checkTemplate(ps, path+"."+k, v)
	}
}

func checkTemplate(ps *problem.List, path, text string) {
	if err := load.CheckTemplate(text); err != nil {
		ps.Addf(path, "%v", err)
	}
}
