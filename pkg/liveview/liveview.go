// Package liveview renders the progress of a run for people watching it: a
// small block redrawn in place on a terminal, or one plain line at a time for
// CI logs and pipes. Rendering is a pure function of a Frame, so what the
// screen shows is tested as text; the Terminal type only moves the cursor.
package liveview

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/surge-sh/surge/pkg/load"
)

// Frame is everything one redraw shows.
type Frame struct {
	Scenario string
	// Total is the length of the whole schedule.
	Total time.Duration
	Live  load.Live
	// Window is the length of Live.Window (the P95 and error window).
	Window time.Duration
	// Achieved is the send rate since the previous frame (requests/second).
	Achieved float64
	// Replicas and Queue are the latest observed values, when a source has one.
	Replicas, Queue       float64
	HasReplicas, HasQueue bool
}

// Block renders the terminal view: a fixed number of lines, each cut to
// width columns so that none wraps (a wrapped line would break the redraw).
func Block(f Frame, width int) []string {
	l := f.Live
	l.Elapsed = f.elapsed()
	lines := make([]string, 0, 4)

	head := fmt.Sprintf("surge %s  stage %s  %s / %s  %s",
		f.Scenario, orDash(l.Stage), Clock(l.Elapsed), Clock(f.Total), bar(l.Elapsed, f.Total, 20))
	lines = append(lines, head)

	lines = append(lines, fmt.Sprintf("  rate      target %s/s  achieved %s/s  in flight %d",
		num(l.TargetRate), num(f.Achieved), l.InFlight))

	p95 := "-"
	if l.Window.Requests > 0 {
		p95 = ms(l.Window.LatencyMs.P95)
	}
	lines = append(lines, fmt.Sprintf("  p95 %-5s %s  errors %s",
		Seconds(f.Window), p95, errorsText(l)))

	if f.HasReplicas || f.HasQueue {
		var parts []string
		if f.HasReplicas {
			parts = append(parts, "replicas "+num(f.Replicas))
		}
		if f.HasQueue {
			parts = append(parts, "queue "+num(f.Queue))
		}
		lines = append(lines, "  observed  "+strings.Join(parts, "  "))
	}
	for i := range lines {
		lines[i] = cut(lines[i], width)
	}
	return lines
}

// Line renders the plain progress line for logs.
func Line(f Frame) string {
	l := f.Live
	l.Elapsed = f.elapsed()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/%s stage=%s target=%s/s achieved=%s/s in-flight=%d",
		f.Scenario, Clock(l.Elapsed), Clock(f.Total), orDash(l.Stage), num(l.TargetRate), num(f.Achieved), l.InFlight)
	if l.Window.Requests > 0 {
		fmt.Fprintf(&b, " p95(%s)=%s", Seconds(f.Window), strings.ReplaceAll(ms(l.Window.LatencyMs.P95), " ", ""))
	} else {
		fmt.Fprintf(&b, " p95(%s)=-", Seconds(f.Window))
	}
	fmt.Fprintf(&b, " failed=%d/%d", l.Failed, l.Done)
	if f.HasReplicas {
		fmt.Fprintf(&b, " replicas=%s", num(f.Replicas))
	}
	if f.HasQueue {
		fmt.Fprintf(&b, " queue=%s", num(f.Queue))
	}
	return b.String()
}

// elapsed is the run time to show: the view keeps drawing while the run
// finishes its observation and report, and the clock stops at the end of
// the schedule.
func (f Frame) elapsed() time.Duration {
	if f.Total > 0 && f.Live.Elapsed > f.Total {
		return f.Total
	}
	return f.Live.Elapsed
}

// errorsText is the run's failed requests and the window's split by class.
func errorsText(l load.Live) string {
	if l.Failed == 0 {
		return "0"
	}
	s := fmt.Sprintf("%d (%s)", l.Failed, pct(float64(l.Failed), float64(l.Done)))
	w := l.Window
	byClass := map[string]int64{}
	if w.Timeouts > 0 {
		byClass["timeout"] = w.Timeouts
	}
	for c, n := range w.ErrorsByClass {
		if n > 0 {
			byClass[c] = n
		}
	}
	if len(byClass) == 0 {
		return s
	}
	names := make([]string, 0, len(byClass))
	for c := range byClass {
		names = append(names, c)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, c := range names {
		parts[i] = fmt.Sprintf("%s %d", c, byClass[c])
	}
	return s + "  last " + Seconds(time.Duration(w.DurationSeconds*float64(time.Second))) + ": " + strings.Join(parts, ", ")
}

// Clock formats an offset as m:ss (h:mm:ss past an hour).
func Clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// Seconds formats a window length: "10s".
func Seconds(d time.Duration) string {
	return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
}

func bar(done, total time.Duration, n int) string {
	frac := 0.0
	if total > 0 {
		frac = min(max(float64(done)/float64(total), 0), 1)
	}
	full := int(frac * float64(n))
	return "[" + strings.Repeat("#", full) + strings.Repeat("-", n-full) + fmt.Sprintf("] %3.0f%%", 100*frac)
}

// num prints a rate or a count without noise: 212, 9.5, 0.25.
func num(v float64) string {
	switch {
	case v >= 100 || v == float64(int64(v)):
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

func ms(v float64) string {
	if v >= 10_000 {
		return fmt.Sprintf("%.1f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func pct(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*a/b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cut shortens s to at most width columns (runes: the view prints no wide
// characters), marking the cut.
func cut(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	if width == 1 {
		return string(r[:1])
	}
	return string(r[:width-1]) + "~"
}

// Terminal redraws a block in place: the cursor goes back up over the
// previous block and every line is cleared before it is written, so the
// screen holds one copy of the block however often it is drawn.
type Terminal struct {
	w     io.Writer
	drawn int
}

// NewTerminal draws on w, which must be a terminal that understands ANSI
// cursor movement.
func NewTerminal(w io.Writer) *Terminal { return &Terminal{w: w} }

// Draw replaces the previous block with lines.
func (t *Terminal) Draw(lines []string) error {
	var b strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", t.drawn)
	}
	for _, l := range lines {
		b.WriteString("\r\x1b[2K")
		b.WriteString(l)
		b.WriteString("\n")
	}
	// A block shorter than the last one leaves no stale lines below it.
	if len(lines) < t.drawn {
		b.WriteString("\x1b[J")
	}
	t.drawn = len(lines)
	_, err := io.WriteString(t.w, b.String())
	return err
}

// Erase removes the block, leaving the cursor where it began, so that other
// output can take its place; the next Draw starts a new block below it. The
// line under the block goes too: it holds what the terminal echoed since the
// last draw (a typed ^C). Lines are cleared one by one rather than with
// "clear to end of screen", which some terminals (tmux) turn into pushing the
// whole screen into the scrollback when the block starts at the top.
func (t *Terminal) Erase() error {
	if t.drawn == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("\r\x1b[2K")
	for range t.drawn {
		b.WriteString("\x1b[A\r\x1b[2K")
	}
	t.drawn = 0
	_, err := io.WriteString(t.w, b.String())
	return err
}

// Forget leaves the block on the screen as it is: the next Draw starts a
// new one below.
func (t *Terminal) Forget() { t.drawn = 0 }
