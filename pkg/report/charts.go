package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart is one time-series chart of the report: its file name (without
// ".svg"), its title and the SVG document.
type Chart struct {
	Name  string
	Title string
	SVG   []byte
}

// chartSpec says which signals one chart draws.
type chartSpec struct {
	name, title, unit string
	series            []seriesSpec
	// sloMs draws the latency objective as a horizontal line.
	sloMs float64
	// fullScale keeps a ratio axis at 0..100% (utilisation reads against
	// its ceiling; a timeout rate reads better zoomed in).
	fullScale bool
}

type seriesSpec struct {
	signal, label string
	color         color.RGBA
	dashed, step  bool
}

var (
	colBlue   = color.RGBA{R: 0x1f, G: 0x6f, B: 0xd0, A: 0xff}
	colGreen  = color.RGBA{R: 0x2e, G: 0x9e, B: 0x4f, A: 0xff}
	colOrange = color.RGBA{R: 0xe0, G: 0x7b, B: 0x00, A: 0xff}
	colPurple = color.RGBA{R: 0x8e, G: 0x44, B: 0xad, A: 0xff}
	colRed    = color.RGBA{R: 0xcf, G: 0x22, B: 0x2e, A: 0xff}
	colGray   = color.RGBA{R: 0x6e, G: 0x77, B: 0x81, A: 0xff}
	colBand   = color.RGBA{R: 0xee, G: 0xf1, B: 0xf5, A: 0xff}
	colText   = color.RGBA{R: 0x57, G: 0x60, B: 0x6a, A: 0xff}
)

// chartSpecs lists the charts the report's signals allow, in reading order:
// the fixed story charts first, then one chart for every other signal.
func chartSpecs(r *Report) []chartSpec {
	fixed := []chartSpec{
		{name: "rate", title: "Request rate: target vs achieved", unit: "req/s", series: []seriesSpec{
			{signal: "target_rate", label: "target", color: colGray, dashed: true},
			{signal: "achieved_rate", label: "achieved", color: colBlue}}},
		{name: "latency", title: "P95 latency: client vs server", unit: "ms", series: []seriesSpec{
			{signal: "client_p95", label: "client P95", color: colBlue},
			{signal: "p95_latency", label: "server P95", color: colPurple}}},
		{name: "queue_depth", title: "Queue depth", unit: "requests", series: []seriesSpec{
			{signal: "queue_depth", label: "queue depth", color: colOrange}}},
		{name: "utilization", title: "CPU and GPU utilisation", unit: "ratio", fullScale: true, series: []seriesSpec{
			{signal: "cpu", label: "CPU", color: colBlue},
			{signal: "gpu", label: "GPU", color: colGreen}}},
		{name: "replicas", title: "Replicas", unit: "replicas", series: []seriesSpec{
			{signal: "replicas", label: "ready", color: colBlue, step: true},
			{signal: "replicas_desired", label: "desired", color: colOrange, dashed: true, step: true},
			{signal: "replicas_spec", label: "spec", color: colGray, dashed: true, step: true}}},
		{name: "timeout_rate", title: "Timeout rate", unit: "ratio", series: []seriesSpec{
			{signal: "timeout_rate", label: "timeouts", color: colRed}}},
	}
	if r.SLO != nil {
		fixed[1].sloMs = r.SLO.P95Ms
	}
	used := map[string]bool{}
	var out []chartSpec
	for _, c := range fixed {
		var series []seriesSpec
		for _, s := range c.series {
			used[s.signal] = true
			if sig := r.Signal(s.signal); sig != nil && len(finitePoints(sig.Points)) > 0 {
				series = append(series, s)
			}
		}
		if len(series) > 0 {
			c.series = series
			out = append(out, c)
		}
	}
	for _, sig := range r.Signals {
		if used[sig.Name] || len(finitePoints(sig.Points)) == 0 {
			continue
		}
		used[sig.Name] = true
		out = append(out, chartSpec{
			name: "signal-" + safeName(sig.Name), title: sig.Name, unit: sig.Unit,
			series: []seriesSpec{{signal: sig.Name, label: sig.Name, color: colBlue}},
		})
	}
	return out
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// safeName makes a signal name usable as a file name.
func safeName(s string) string { return unsafeChars.ReplaceAllString(s, "_") }

// Chart geometry in points: wide enough for a page, with a legend column.
const (
	chartWidth   = 720
	chartHeight  = 230
	legendColumn = 120
)

// Charts draws every chart the report's signals allow.
func Charts(r *Report) ([]Chart, error) {
	var out []Chart
	for _, spec := range chartSpecs(r) {
		svg, err := drawChart(r, spec)
		if err != nil {
			return nil, fmt.Errorf("draw chart %s: %w", spec.name, err)
		}
		out = append(out, Chart{Name: spec.name, Title: spec.title, SVG: svg})
	}
	return out, nil
}

// WriteCharts writes every chart as dir/charts/<name>.svg, the paths the
// Markdown report embeds, and returns the files written.
func WriteCharts(dir string, r *Report) ([]string, error) {
	charts, err := Charts(r)
	if err != nil {
		return nil, err
	}
	if len(charts) == 0 {
		return nil, nil
	}
	cdir := filepath.Join(dir, "charts")
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return nil, fmt.Errorf("write charts: %w", err)
	}
	var files []string
	for _, c := range charts {
		p := filepath.Join(cdir, c.Name+".svg")
		if err := os.WriteFile(p, c.SVG, 0o644); err != nil {
			return files, fmt.Errorf("write charts: %w", err)
		}
		files = append(files, p)
	}
	return files, nil
}

func drawChart(r *Report, spec chartSpec) ([]byte, error) {
	p := plot.New()
	styleText(p)
	p.Title.Text = spec.title
	p.X.Label.Text = "time since start"
	p.Y.Label.Text = axisLabel(spec.unit)
	p.X.Tick.Marker = clockTicks{}
	p.Y.Tick.Marker = unitTicks{unit: spec.unit}

	xMax := runSeconds(r)
	yMax := 0.0
	for _, s := range spec.series {
		for _, pt := range finitePoints(r.Signal(s.signal).Points) {
			yMax = math.Max(yMax, pt[1])
			xMax = math.Max(xMax, pt[0])
		}
	}
	yMax = math.Max(yMax, spec.sloMs)
	switch {
	case spec.fullScale:
		yMax = math.Max(yMax, 1)
	case yMax == 0:
		yMax = 1
	}
	yMax *= 1.12 // headroom for the stage names
	p.X.Min, p.X.Max = 0, math.Max(xMax, 1)
	p.Y.Min, p.Y.Max = 0, yMax

	if err := addStageBands(p, r, yMax); err != nil {
		return nil, err
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.RGBA{A: 0}
	grid.Horizontal.Color = color.RGBA{R: 0xd0, G: 0xd7, B: 0xde, A: 0xff}
	grid.Horizontal.Width = vg.Points(0.5)
	p.Add(grid)

	legend := plot.NewLegend()
	styleLegend(&legend)
	for _, s := range spec.series {
		thumb, err := addSeries(p, r.Signal(s.signal), s)
		if err != nil {
			return nil, err
		}
		legend.Add(s.label, thumb)
	}
	if spec.sloMs > 0 {
		l, err := hline(spec.sloMs, p.X.Min, p.X.Max, colRed)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		legend.Add("SLO "+fmtMs(spec.sloMs), l)
	}
	if err := addEventMarkers(p, &legend, r, yMax); err != nil {
		return nil, err
	}

	canvas := vgsvg.New(vg.Points(chartWidth), vg.Points(chartHeight))
	dc := draw.New(canvas)
	p.Draw(draw.Crop(dc, 0, -vg.Points(legendColumn), 0, -vg.Points(4)))
	legend.Draw(draw.Crop(dc, vg.Points(chartWidth-legendColumn+8), 0, 0, -vg.Points(22)))
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return nil, err
	}
	// vgsvg names the font the text was measured with and nothing else; a
	// viewer without Liberation would fall back to a serif face.
	return bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:Liberation Sans,Arial,Helvetica,sans-serif;")), nil
}

// runSeconds is the run's length: the end of the last stage.
func runSeconds(r *Report) float64 {
	end := 0.0
	for _, s := range r.Stages {
		end = math.Max(end, s.StartSeconds+s.DurationSeconds)
	}
	return end
}

// chartFont is a sans-serif face; plot's default is a serif one.
var chartFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

func styleText(p *plot.Plot) {
	p.Title.TextStyle.Font = font.From(chartFont, 12)
	p.Title.TextStyle.Color = color.Black
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(chartFont, 9)
		ax.Label.TextStyle.Color = colText
		ax.Tick.Label.Font = font.From(chartFont, 8)
		ax.Tick.Label.Color = colText
		ax.Color = colGray
		ax.Tick.Color = colGray
	}
}

func styleLegend(l *plot.Legend) {
	l.TextStyle.Font = font.From(chartFont, 9)
	l.TextStyle.Color = colText
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(18)
	l.Padding = vg.Points(3)
}

// axisLabel names the value axis; percentages and latencies carry their
// unit in the tick labels already.
func axisLabel(unit string) string {
	switch unit {
	case "ratio", "ms":
		return ""
	}
	return unit
}

func addSeries(p *plot.Plot, sig *Signal, s seriesSpec) (plot.Thumbnailer, error) {
	var first *plotter.Line
	for _, seg := range segments(sig.Points) {
		if len(seg) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(seg))
		for i, pt := range seg {
			xys[i].X, xys[i].Y = pt[0], pt[1]
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.Color = s.color
		l.Width = vg.Points(1.6)
		if s.dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		if s.step {
			l.StepStyle = plotter.PostStep
		}
		p.Add(l)
		if first == nil {
			first = l
		}
	}
	return first, nil
}

// finitePoints drops points that cannot be drawn: a PromQL quantile over
// no data is NaN, and one bad sample must not cost the report its charts.
func finitePoints(pts []Point) []Point {
	out := make([]Point, 0, len(pts))
	for _, p := range pts {
		if !math.IsNaN(p[0]) && !math.IsInf(p[0], 0) && !math.IsNaN(p[1]) && !math.IsInf(p[1], 0) {
			out = append(out, p)
		}
	}
	return out
}

// segments splits a series where samples are missing (a source gap, or
// values that are not numbers, shows as a break in the line rather than a
// straight bridge over it).
func segments(all []Point) [][]Point {
	var out [][]Point
	var cur []Point
	for _, p := range all {
		if len(finitePoints([]Point{p})) == 0 {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, p)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	var split [][]Point
	for _, seg := range out {
		split = append(split, splitGaps(seg)...)
	}
	return split
}

// splitGaps breaks a run of finite points where the time step is well
// above the usual one.
func splitGaps(pts []Point) [][]Point {
	if len(pts) < 3 {
		return [][]Point{pts}
	}
	steps := make([]float64, 0, len(pts)-1)
	for i := 1; i < len(pts); i++ {
		steps = append(steps, pts[i][0]-pts[i-1][0])
	}
	sort.Float64s(steps)
	limit := steps[len(steps)/2] * 2.5
	var out [][]Point
	start := 0
	for i := 1; i < len(pts); i++ {
		if pts[i][0]-pts[i-1][0] > limit {
			out = append(out, pts[start:i])
			start = i
		}
	}
	return append(out, pts[start:])
}

func addStageBands(p *plot.Plot, r *Report, yMax float64) error {
	var labels plotter.XYLabels
	for i, s := range r.Stages {
		x0, x1 := s.StartSeconds, s.StartSeconds+s.DurationSeconds
		if i%2 == 0 {
			band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: 0}, {X: x1, Y: 0}, {X: x1, Y: yMax}, {X: x0, Y: yMax}})
			if err != nil {
				return err
			}
			band.Color = colBand
			band.LineStyle.Width = 0
			p.Add(band)
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: x0, Y: yMax})
		labels.Labels = append(labels.Labels, s.Name)
	}
	if len(labels.Labels) == 0 {
		return nil
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = font.From(chartFont, 8)
		l.TextStyle[i].Color = colText
		l.TextStyle[i].YAlign = draw.YTop
	}
	l.Offset = vg.Point{X: vg.Points(3), Y: -vg.Points(2)}
	p.Add(l)
	return nil
}

// addEventMarkers draws scale decisions and readiness as vertical lines.
// Actuations ("spec") sit a moment after their decision and would only
// thicken the line, so they are left to the timeline table.
func addEventMarkers(p *plot.Plot, legend *plot.Legend, r *Report, yMax float64) error {
	type mark struct {
		label string
		color color.RGBA
		dash  []vg.Length
	}
	marks := map[string]mark{
		"desired": {"scale decision", colOrange, []vg.Length{vg.Points(2), vg.Points(2)}},
		"ready":   {"replicas ready", colGreen, []vg.Length{vg.Points(5), vg.Points(2)}},
		"event":   {"scaling event", colGray, []vg.Length{vg.Points(1), vg.Points(2)}},
	}
	seen := map[string]bool{}
	for _, kind := range []string{"desired", "ready", "event"} {
		m := marks[kind]
		for _, e := range r.Scaling.Events {
			k := e.Kind
			if k == "" {
				k = "event"
			}
			if k != kind {
				continue
			}
			l, err := plotter.NewLine(plotter.XYs{{X: e.Seconds, Y: 0}, {X: e.Seconds, Y: yMax}})
			if err != nil {
				return err
			}
			l.Color = m.color
			l.Width = vg.Points(1)
			l.Dashes = m.dash
			p.Add(l)
			if !seen[kind] {
				seen[kind] = true
				legend.Add(m.label, l)
			}
		}
	}
	return nil
}

func hline(y, x0, x1 float64, c color.RGBA) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return nil, err
	}
	l.Color = c
	l.Width = vg.Points(1)
	l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	return l, nil
}

// clockTicks labels the time axis in minutes and seconds (T+mm:ss reads
// badly on an axis, so "2:30").
type clockTicks struct{}

func (clockTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	step := 3600.0
	for _, s := range []float64{10, 15, 30, 60, 120, 300, 600, 900, 1800} {
		if span/s <= 10 {
			step = s
			break
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		sec := int(math.Round(v))
		ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%d:%02d", sec/60, sec%60)})
	}
	return ticks
}

// unitTicks labels the value axis in the signal's unit.
type unitTicks struct{ unit string }

func (u unitTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label == "" {
			continue
		}
		v := ticks[i].Value
		switch {
		case v == 0:
			ticks[i].Label = "0"
		case u.unit == "ratio":
			ticks[i].Label = FormatNumber(v*100, 1) + "%"
		case u.unit == "ms":
			ticks[i].Label = strings.Replace(fmtMs(v), " ", "\u00a0", 1)
		default:
			ticks[i].Label = FormatNumber(v, 2)
		}
	}
	return ticks
}
