package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(htmlSource))

// htmlView is what the HTML template shows, every figure already formatted.
type htmlView struct {
	Title, Verdict, VerdictLine, Abort string
	Meta                               []string
	Headline                           Table
	HeadlineNotes                      bool
	StageHeader                        []string
	Stages                             [][]string
	Total                              []string
	ErrorClasses                       []string
	Kinds                              [][]string
	Charts                             []htmlChart
	SignalHeader                       []string
	Signals                            [][]string
	Gaps                               []string
	Replicas                           string
	EventHeader                        []string
	Events                             [][]string
	ReactionHeader                     []string
	Reaction                           [][]string
	ReactionSummary                    string
	Assertions                         []htmlAssertion
	Findings                           []htmlFinding
	Warnings                           []string
	Sources                            []SourceInfo
	SchemaVersion                      string
}

type htmlChart struct {
	Name, Title string
	SVG         template.HTML
}

type htmlAssertion struct {
	Pass                             bool
	Expr, Stage, Observed, Threshold string
	Message                          string
}

type htmlFinding struct {
	Severity, ID, Message, Evidence string
}

// WriteHTML renders a self-contained HTML page (report.html): inline CSS,
// the charts inlined as SVG, no script and nothing fetched, so it opens
// offline from a CI artifact.
func WriteHTML(w io.Writer, r *Report) error {
	v := htmlView{
		Title: r.Scenario.Name, Verdict: string(r.Verdict), VerdictLine: VerdictLine(r), Abort: r.Abort,
		Headline: Headline(r), StageHeader: stageHeader, EventHeader: eventHeader,
		ReactionHeader: reactionHeader, SchemaVersion: SchemaVersion, Sources: r.Sources,
		Warnings: r.Warnings, Replicas: upperFirst(replicaLine(r.Scaling.Replicas)),
	}
	v.HeadlineNotes = v.Headline.HasNotes()
	if r.Scenario.File != "" {
		v.Meta = append(v.Meta, "scenario "+r.Scenario.File)
	}
	v.Meta = append(v.Meta, "started "+startedLine(r), "ran "+runDuration(r))
	if t := targetLine(r); t != "" {
		v.Meta = append(v.Meta, t)
	}
	for _, s := range r.Stages {
		v.Stages = append(v.Stages, compactStageRow(s))

		for _, k := range s.Kinds {
			v.Kinds = append(v.Kinds, kindRow(s.Name, k))
		}
	}
	if len(r.Stages) > 0 {
		v.Total = compactStageRow(r.Totals)
		v.Total[0] = "total"
	}
	v.ErrorClasses = stageErrorClasses(r)
	for _, k := range r.Totals.Kinds {
		v.Kinds = append(v.Kinds, kindRow("total", k))
	}

	charts, err := Charts(r)
	if err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	for _, c := range charts {
		// The SVG is generated here, from numbers and names that vgsvg
		// escapes, so it is safe to inline as markup.
		v.Charts = append(v.Charts, htmlChart{Name: c.Name, Title: c.Title, SVG: template.HTML(inlineSVG(c.SVG))}) //nolint:gosec
	}

	v.SignalHeader = []string{"Signal", "Unit", "Source"}
	for _, s := range r.Stages {
		v.SignalHeader = append(v.SignalHeader, s.Name)
	}
	for _, sig := range r.Signals {
		row := []string{sig.Name, sig.Unit, sig.Source}
		for _, s := range r.Stages {
			if a, ok := sig.ByStage[s.Name]; ok && a.Samples > 0 {
				row = append(row, fmtValue(a.Avg, sig.Unit)+" / "+fmtValue(a.Max, sig.Unit))
			} else {
				row = append(row, dash)
			}
		}
		v.Signals = append(v.Signals, row)
		for _, g := range sig.Gaps {
			v.Gaps = append(v.Gaps, fmt.Sprintf("%s: no data from %s to %s (%s)", sig.Name, fmtClock(g.FromSeconds), fmtClock(g.ToSeconds), g.Error))
		}
	}
	for _, e := range r.Scaling.Events {
		v.Events = append(v.Events, eventRow(e))
	}
	if re := r.Scaling.Reaction; re != nil {
		for _, s := range re.Steps {
			v.Reaction = append(v.Reaction, reactionRow(s))
		}
		v.ReactionSummary = upperFirst(reactionSummary(re))
	}
	for _, a := range r.Assertions {
		v.Assertions = append(v.Assertions, htmlAssertion{Pass: a.Pass, Expr: a.Expr, Stage: a.Stage,
			Observed: fmtObserved(a.Observed, a.Unit), Threshold: fmtObserved(a.Threshold, a.Unit), Message: a.Message})
	}
	for _, f := range r.Diagnosis {
		v.Findings = append(v.Findings, htmlFinding{Severity: f.Severity, ID: f.ID, Message: f.Message, Evidence: evidenceText(f.Evidence)})
	}
	var buf bytes.Buffer
	if err := htmlTemplate.Execute(&buf, v); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// compactStageRow keeps the errors column to a count, so the table fits a
// page or a terminal; the split by class is listed under it.
func compactStageRow(s Stats) []string {
	row := stageRow(s)
	row[6] = fmtInt(s.Errors)
	return row
}

// stageErrorClasses lists each stage's errors by class: "peak: http5xx 41".
func stageErrorClasses(r *Report) []string {
	var out []string
	for _, s := range r.Stages {
		if c := errorClasses(s.ErrorsByClass); c != "" && s.Errors > 0 {
			out = append(out, s.Name+": "+c)
		}
	}
	return out
}

func kindRow(stage string, k Stats) []string {
	return []string{stage, k.Name, fmtRate(k.TargetRate), fmtRate(k.AchievedRate), fmtInt(k.Requests),
		fmtInt(k.Successes), fmtInt(k.Timeouts), fmtInt(k.Errors), fmtMs(k.LatencyMs.P50), fmtMs(k.LatencyMs.P95), fmtMs(k.LatencyMs.P99)}
}

// inlineSVG drops the XML prolog and generator comment, which have no
// place inside an HTML document.
func inlineSVG(svg []byte) string {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s
}
