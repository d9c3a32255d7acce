package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/surge-sh/surge/pkg/liveview"
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

// liveWindow is the window of the P95 and error figures the view shows; the
// run takes its snapshots over it.
const liveWindow = 10 * time.Second

// DefaultProgressEvery is the period of the plain progress line.
const DefaultProgressEvery = 5 * time.Second

// newProgressView returns the view for the streams: a block redrawn in place
// about once a second on a terminal, else one plain line every period on
// ErrOut (CI logs, pipes).
func newProgressView(io *IOStreams, name string, total, every time.Duration) progressView {
	if every <= 0 {
		every = DefaultProgressEvery
	}
	if io.IsTerminal {
		return newTermView(io, name, total)
	}
	return &lineView{w: io.ErrOut, rate: rateMeter{}, name: name, total: total, every: every}
}

// rateMeter turns successive sent counts into a send rate.
type rateMeter struct {
	at   time.Duration
	sent uint64
	seen bool
}

func (m *rateMeter) next(l load.Live) float64 {
	var r float64
	switch {
	case !m.seen && l.Elapsed > 0:
		r = float64(l.Sent) / l.Elapsed.Seconds()
	case m.seen && l.Elapsed > m.at && l.Sent >= m.sent:
		r = float64(l.Sent-m.sent) / (l.Elapsed - m.at).Seconds()
	}
	m.at, m.sent, m.seen = l.Elapsed, l.Sent, true
	return r
}

func frameOf(name string, total time.Duration, l load.Live, achieved float64, obs *observe.Observer) liveview.Frame {
	f := liveview.Frame{Scenario: name, Total: total, Live: l, Window: liveWindow, Achieved: achieved}
	if l.Window.DurationSeconds > 0 {
		f.Window = time.Duration(l.Window.DurationSeconds * float64(time.Second))
	}
	if obs != nil {
		f.Replicas, f.HasReplicas = obs.Last("replicas")
		f.Queue, f.HasQueue = obs.Last("queue_depth")
	}
	return f
}

// lineView prints one plain line per update.
type lineView struct {
	w     io.Writer
	rate  rateMeter
	name  string
	total time.Duration
	every time.Duration
}

func (v *lineView) Every() time.Duration { return v.every }
func (v *lineView) Close()               {}

func (v *lineView) Update(l load.Live, obs *observe.Observer) {
	fmt.Fprintln(v.w, liveview.Line(frameOf(v.name, v.total, l, v.rate.next(l), obs)))
}

// termView redraws a block in place on the terminal. It takes over the
// streams while it is open: a message written to the same terminal on
// ErrOut (an interrupt notice) appears above the block, which is drawn
// again below it; anything written to Out (the final report) freezes the
// block where it is, so the report never gets overwritten.
type termView struct {
	mu     sync.Mutex
	term   *liveview.Terminal
	width  int
	name   string
	total  time.Duration
	rate   rateMeter
	last   []string
	frozen bool
}

func newTermView(ios *IOStreams, name string, total time.Duration) *termView {
	v := &termView{term: liveview.NewTerminal(ios.Out), width: 80, name: name, total: total}
	if f, ok := ios.Out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			v.width = w
		}
	}
	out := ios.Out
	ios.Out = &viewOut{v: v, w: out}
	if sameTerminal(out, ios.ErrOut) {
		ios.ErrOut = &viewErrOut{v: v, w: ios.ErrOut}
	}
	return v
}

// sameTerminal tells whether two streams are one terminal device.
func sameTerminal(a, b io.Writer) bool {
	fa, ok1 := a.(*os.File)
	fb, ok2 := b.(*os.File)
	if !ok1 || !ok2 {
		return false
	}
	sa, err1 := fa.Stat()
	sb, err2 := fb.Stat()
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

func (v *termView) Every() time.Duration { return time.Second }

func (v *termView) Update(l load.Live, obs *observe.Observer) {
	f := frameOf(v.name, v.total, l, v.rate.next(l), obs)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.frozen {
		return
	}
	// One column spare: a line that fills the last column makes some
	// terminals wrap, and the redraw would lose its place.
	v.last = liveview.Block(f, v.width-1)
	_ = v.term.Draw(v.last)
}

// Close leaves the last block on screen.
func (v *termView) Close() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.frozen = true
	v.term.Forget()
}

// viewOut passes writes to Out through, freezing the view first.
type viewOut struct {
	v *termView
	w io.Writer
}

func (o *viewOut) Write(p []byte) (int, error) {
	o.v.mu.Lock()
	defer o.v.mu.Unlock()
	if !o.v.frozen {
		o.v.frozen = true
		o.v.term.Forget()
	}
	return o.w.Write(p)
}

// viewErrOut writes a message above the block.
type viewErrOut struct {
	v *termView
	w io.Writer
}

func (o *viewErrOut) Write(p []byte) (int, error) {
	o.v.mu.Lock()
	defer o.v.mu.Unlock()
	if o.v.frozen {
		return o.w.Write(p)
	}
	_ = o.v.term.Erase()
	n, err := o.w.Write(p)
	if len(p) > 0 && p[len(p)-1] == '\n' && len(o.v.last) > 0 {
		_ = o.v.term.Draw(o.v.last)
	}
	return n, err
}

// clockOf formats an offset as m:ss.
func clockOf(d time.Duration) string { return liveview.Clock(d) }
