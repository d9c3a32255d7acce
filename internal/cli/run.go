package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/surge-sh/surge/pkg/analysis"
	"github.com/surge-sh/surge/pkg/assert"
	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/observe"
	"github.com/surge-sh/surge/pkg/redact"
	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/scenario"
	"github.com/surge-sh/surge/pkg/sim"
)

// DefaultMaxRequests is the planned request count above which `surge run`
// asks for --yes: a typo in a rate should not become a million requests.
const DefaultMaxRequests = 2_000_000

// RunOptions are the inputs of `surge run`.
type RunOptions struct {
	*Factory
	File        string
	Set         []string
	Out         string
	Quiet       bool
	Formats     []string
	Kubeconfig  string
	KubeContext string
	Baseline    string
	MaxRequests int64
	Yes         bool
	// ProgressEvery is the period of the plain progress line without a TTY.
	ProgressEvery time.Duration
	// MetricsAddr serves surge's own client-side metrics during the run.
	MetricsAddr string
}

func newCmdRun(f *Factory, runF func(*RunOptions) error) *cobra.Command {
	o := &RunOptions{Factory: f}
	var formats string
	cmd := &cobra.Command{
		Use:   "run SCENARIO.yaml",
		Short: "Run a scenario: load, observation, report and assertions",
		Long: `Run a scenario: send its traffic ramp, watch the target's signals while it
runs, and write report.json, report.md and report.html (and junit.xml on
request) into the output directory, with the raw results stream.

Exit codes: 0 every assertion passed; 1 runtime error; 2 invalid input;
3 an assertion failed; 130 interrupted (the partial report is written).`,
		Example: `  surge run scenarios/blackfriday.yaml
  surge run bf.yaml --set load.stages[2].rate=300 --out ./out/bf
  surge run bf.yaml --format json,md,junit --quiet`,
		Args: exactArgs(1, "one scenario file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if formats != "" {
				fs, err := report.ParseFormats(formats)
				if err != nil {
					return Invalid(err)
				}
				o.Formats = fs
			}
			if runF != nil {
				return runF(o)
			}
			return runScenario(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Out, "out", "o", "", "output directory (default ./surge-out/<scenario>-<timestamp>)")
	fl.StringArrayVar(&o.Set, "set", nil, "override a scenario value, e.g. --set load.stages[1].rate=100 (repeatable)")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing but errors and the report path")
	fl.StringVar(&formats, "format", "", "report formats to write: json,md,html,junit (default: the scenario's, else json,md,html)")
	fl.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG, then ~/.kube/config)")
	fl.StringVar(&o.KubeContext, "context", "", "kubeconfig context")
	fl.StringVar(&o.Baseline, "baseline", "", "a previous report.json for relative assertions (\"p95 <= +10% vs baseline\")")
	fl.Int64Var(&o.MaxRequests, "max-requests", DefaultMaxRequests, "refuse to start when the plan has more requests than this, unless --yes")
	fl.BoolVarP(&o.Yes, "yes", "y", false, "run even when the plan exceeds --max-requests")
	fl.DurationVar(&o.ProgressEvery, "progress-every", 5*time.Second, "period of the progress line when the output is not a terminal")
	fl.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve surge's own client-side metrics in Prometheus format on this address during the run (e.g. 127.0.0.1:9091)")
	return cmd
}

// runMeta is run.json: what a report rebuild needs besides the stream and
// the saved scenario.
type runMeta struct {
	Scenario string    `json:"scenario"`
	File     string    `json:"file"`
	Began    time.Time `json:"began"`
	Version  string    `json:"version"`
	BaseURL  string    `json:"baseURL,omitempty"`
}

// runState is one run in progress.
type runState struct {
	o      *RunOptions
	scn    *scenario.Scenario
	sched  *load.Schedule
	dir    string
	obs    *observe.Observer
	engine *load.Engine

	view        progressView
	onSample    func(load.Sample)
	onStart     func(time.Time)
	mu          sync.Mutex
	abortReason string
	interrupted bool
}

func runScenario(ctx context.Context, o *RunOptions) error {
	scn, err := scenario.LoadFile(o.File, scenario.Options{Set: o.Set})
	if err != nil {
		return Invalid(err)
	}
	sched, err := scn.Schedule()
	if err != nil {
		return Invalid(err)
	}
	if n := sched.Planned(); n > o.MaxRequests && !o.Yes {
		return Invalidf("run %q: the plan sends %d requests, more than --max-requests %d; check the rates, or pass --yes to run it", scn.Name, n, o.MaxRequests)
	}
	var baseline *report.Report
	if o.Baseline != "" {
		if baseline, err = readReport(o.Baseline); err != nil {
			return err
		}
	}
	formats := o.Formats
	if len(formats) == 0 {
		formats = scn.Report.Formats
	}
	dir := o.Out
	if dir == "" {
		dir = filepath.Join("surge-out", scn.Name+"-"+o.Now().Format("20060102-150405"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("run %q: %w", scn.Name, err)
	}
	raw, err := os.ReadFile(o.File)
	if err != nil {
		return fmt.Errorf("run %q: %w", scn.Name, err)
	}
	saved, err := scenario.RedactedCopy(raw, o.Set)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "scenario.yaml"), saved, 0o644); err != nil {
		return fmt.Errorf("run %q: save scenario: %w", scn.Name, err)
	}

	st := &runState{o: o, scn: scn, sched: sched, dir: dir}
	return st.run(ctx, baseline, formats)
}

func (st *runState) run(ctx context.Context, baseline *report.Report, formats []string) error {
	o, scn := st.o, st.scn
	base := ""
	if scn.Target.Sim != nil {
		srv, err := sim.Start(ctx, *scn.Target.Sim, "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("run %q: %w", scn.Name, err)
		}
		defer srv.Close()
		base = srv.URL()
	}
	obsEnv := observe.Env{Getenv: o.Getenv, Kubeconfig: o.Kubeconfig, KubeContext: o.KubeContext, Now: o.Now}
	if base != "" {
		obsEnv.DefaultScrapeURL = base + "/metrics"
	}
	obs, err := observe.New(scn.Observe, obsEnv)
	if err != nil {
		return Invalid(fmt.Errorf("run %q: %w", scn.Name, err))
	}
	checkCtx, cancelCheck := context.WithTimeout(ctx, 30*time.Second)
	err = obs.Check(checkCtx)
	cancelCheck()
	if err != nil {
		return fmt.Errorf("run %q: a signal source is unreachable before the start (mark it optional: true to run without it): %w", scn.Name, err)
	}
	st.obs = obs

	feeder, err := scn.Feeder()
	if err != nil {
		return Invalid(fmt.Errorf("run %q: %w", scn.Name, err))
	}
	reqs, err := scn.Requests(base)
	if err != nil {
		return Invalid(fmt.Errorf("run %q: %w", scn.Name, err))
	}
	var fd load.Feeder
	if feeder != nil {
		fd = feeder
	}
	tr, err := load.NewTargeter(reqs, fd, scn.Load.Seed, o.Getenv)
	if err != nil {
		return Invalid(fmt.Errorf("run %q: %w", scn.Name, err))
	}
	stream, err := os.Create(filepath.Join(st.dir, "results.gob"))
	if err != nil {
		return fmt.Errorf("run %q: %w", scn.Name, err)
	}
	defer stream.Close()

	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	obsCtx, stopObs := context.WithCancel(ctx)
	defer stopObs()
	var obsDone sync.WaitGroup
	started := make(chan time.Time, 1)
	st.engine = load.NewEngine(load.Options{
		Schedule:           st.sched,
		Targeter:           tr,
		Timeout:            scn.Target.Timeout.D(),
		MaxInFlight:        scn.Load.MaxInFlight,
		InsecureSkipVerify: scn.Target.InsecureSkipVerify,
		KeepAlive:          *scn.Target.KeepAlive,
		Results:            stream,
		Name:               scn.Name,
		OnSample: func(sm load.Sample) {
			if st.onSample != nil {
				st.onSample(sm)
			}
		},
		OnStart: func(began time.Time) {
			if st.onStart != nil {
				st.onStart(began)
			}
			meta := runMeta{Scenario: scn.Name, File: scn.File, Began: began, Version: versionString(), BaseURL: base}
			if b, err := json.MarshalIndent(meta, "", "  "); err == nil {
				_ = os.WriteFile(filepath.Join(st.dir, "run.json"), b, 0o644)
			}
			obsDone.Add(1)
			go func() {
				defer obsDone.Done()
				obs.Run(obsCtx, began)
			}()
			started <- began
		},
	})

	if !o.Quiet {
		st.view = newProgressView(o.IO, scn.Name, st.sched.Duration(), o.ProgressEvery)
		defer st.view.Close()
	}
	if o.MetricsAddr != "" {
		stopMetrics, err := serveSelfMetrics(ctx, o.MetricsAddr, st.sched, scn.Name)
		if err != nil {
			return fmt.Errorf("run %q: --metrics-addr: %w", scn.Name, err)
		}
		defer stopMetrics.Close()
		st.onSample = stopMetrics.Observe
		st.onStart = stopMetrics.Start
	}
	// Interrupts: the first stops the load gracefully; the second exits now.
	watchDone := make(chan struct{})
	defer close(watchDone)
	go st.watchSignals(stopLoad, watchDone)
	var live sync.WaitGroup
	live.Add(1)
	go func() {
		defer live.Done()
		st.watchLive(loadCtx, stopLoad, started)
	}()

	out, runErr := st.engine.Run(loadCtx)
	// The live view and abort checks end with the load, before anything
	// else is printed; the view shows the final figures once.
	stopLoad()
	live.Wait()
	if st.view != nil {
		st.view.Update(st.engine.Snapshot(time.Now(), 10*time.Second), st.obs)
	}
	stopObs()
	obsDone.Wait()
	finCtx, cancelFin := context.WithTimeout(context.Background(), 30*time.Second)
	obs.Finish(finCtx, out.Ended)
	cancelFin()

	rep := st.buildReport(out, base)
	if runErr != nil {
		rep.Warnings = append(rep.Warnings, runErr.Error())
	}
	// Reaction figures and findings come before the assertions, which can
	// read them (reaction.decision < 45s).
	analysis.Analyze(rep, analysis.OptionsFor(rep, scn.Target.Sim))
	assertErr := error(nil)
	rep.Assertions, assertErr = assert.Evaluate(scn.Assert, rep, baseline)
	st.mu.Lock()
	reason, interrupted := st.abortReason, st.interrupted
	st.mu.Unlock()
	if out.Err != nil && reason == "" {
		reason = out.Err.Error()
	}
	judge(rep, reason)

	if err := report.WriteAll(st.dir, rep, formats); err != nil {
		return fmt.Errorf("run %q: write report: %w", scn.Name, err)
	}
	if err := report.AppendStepSummary(o.Getenv, rep); err != nil {
		fmt.Fprintf(o.IO.ErrOut, "surge: %v\n", err)
	}
	if !o.Quiet {
		if err := report.WriteTerminal(o.IO.Out, rep); err != nil {
			return err
		}
	}
	fmt.Fprintf(o.IO.Out, "report: %s\n", filepath.Join(st.dir, "report.md"))

	switch {
	case interrupted:
		return Interrupted
	case runErr != nil:
		return fmt.Errorf("run %q: %w", scn.Name, runErr)
	case out.Err != nil:
		return fmt.Errorf("run %q: %w", scn.Name, out.Err)
	case assertErr != nil:
		return Invalid(fmt.Errorf("run %q: assertions: %w", scn.Name, assertErr))
	case reason != "" || rep.Verdict == report.VerdictFail:
		return AssertionsFailed
	}
	return nil
}

// watchSignals turns the first interrupt into a graceful stop and the
// second into an immediate exit (the results stream is flushed every
// second, so it stays readable).
func (st *runState) watchSignals(stop context.CancelFunc, done <-chan struct{}) {
	if st.o.Signals == nil {
		return
	}
	count := 0
	for {
		select {
		case <-done:
			return
		case s := <-st.o.Signals:
			count++
			if count == 1 {
				st.mu.Lock()
				st.interrupted = true
				st.abortReason = fmt.Sprintf("interrupted by %v", s)
				st.mu.Unlock()
				fmt.Fprintf(st.o.IO.ErrOut, "\nsurge: %v: stopping the load and writing the partial report (again to quit now)\n", s)
				stop()
				continue
			}
			fmt.Fprintf(st.o.IO.ErrOut, "surge: %v again: exiting now; rebuild the report with: surge report %s\n", s, st.dir)
			if st.o.Exit != nil {
				st.o.Exit(ExitInterrupted)
			}
		}
	}
}

// liveView adapts the engine and observer to the assertion checker.
type liveView struct {
	l   load.Live
	obs *observe.Observer
}

func (v liveView) Window(time.Duration) report.Stats { return v.l.Window }
func (v liveView) Signal(name string) (float64, bool) {
	if v.obs == nil {
		return 0, false
	}
	return v.obs.Last(name)
}
func (v liveView) Stage() string { return v.l.Stage }

// watchLive prints progress and stops the load when an abortOnFail
// assertion fails on its sliding window.
func (st *runState) watchLive(ctx context.Context, stop context.CancelFunc, started <-chan time.Time) {
	var began time.Time
	select {
	case began = <-started:
	case <-ctx.Done():
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastPrint := began
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for _, spec := range st.scn.Assert {
				if !spec.AbortOnFail {
					continue
				}
				snap := st.engine.Snapshot(now, spec.WindowOrDefault())
				if abort, why := assert.CheckLive([]assert.Spec{spec}, liveView{l: snap, obs: st.obs}, snap.Elapsed); abort {
					st.mu.Lock()
					if st.abortReason == "" {
						st.abortReason = "abortOnFail: " + why
					}
					st.mu.Unlock()
					fmt.Fprintf(st.o.IO.ErrOut, "surge: stopping the load: %s\n", why)
					stop()
					return
				}
			}
			if st.view != nil && now.Sub(lastPrint) >= st.view.Every() {
				lastPrint = now
				st.view.Update(st.engine.Snapshot(now, 10*time.Second), st.obs)
			}
		}
	}
}

// buildReport assembles the report model from what the engine measured and
// the observer read.
func (st *runState) buildReport(out *load.Outcome, base string) *report.Report {
	rep, spans := newReport(st.scn, out, base)
	signals, scaling, sources := st.obs.Result(spans)
	rep.Signals = append(rep.Signals, signals...)
	rep.Scaling = scaling
	if rep.Scaling.Events == nil {
		rep.Scaling.Events = []report.ScaleEvent{}
	}
	rep.Sources = sources
	return rep
}

// newReport builds the client side of a report — stages, totals, client
// signals, warnings — from an engine outcome, live or rebuilt from the
// results stream.
func newReport(scn *scenario.Scenario, out *load.Outcome, base string) (*report.Report, []observe.Span) {
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Scenario:      report.ScenarioRef{Name: scn.Name, File: scn.File},
		StartedAt:     out.Began.UTC(),
		EndedAt:       out.Ended.UTC(),
		Compare:       scn.Report.Compare,
		Stages:        out.Stages,
		Totals:        out.Totals,
		Target: report.TargetInfo{
			Method:  scn.Target.Method,
			URL:     redact.URL(scn.Target.URL),
			Timeout: scn.Target.Timeout.Seconds(),
		},
		Scaling:   report.Scaling{Events: []report.ScaleEvent{}},
		Diagnosis: []report.Finding{},
	}
	if scn.Target.Sim != nil {
		rep.Target.URL = base + scenario.DefaultSimPath
		rep.Target.Sim = string(scn.Target.Sim.Autoscaler.Policy)
	}
	if scn.SLO != nil {
		rep.SLO = &report.SLO{P95Ms: float64(scn.SLO.P95.D()) / float64(time.Millisecond), TimeoutRate: float64(scn.SLO.TimeoutRate)}
	}
	spans := make([]observe.Span, 0, len(out.Stages))
	for _, s := range out.Stages {
		spans = append(spans, observe.Span{Name: s.Name, Start: s.StartSeconds, End: s.StartSeconds + s.DurationSeconds})
	}
	rep.Signals = load.ClientSignals(out.Seconds)
	for i := range rep.Signals {
		rep.Signals[i].ByStage = observe.Aggregate(rep.Signals[i].Points, spans)
	}
	// A handful of late sends is timer jitter; a share that matters, or any
	// request never sent, is worth a line.
	if out.Totals.Unsent > 0 || out.Totals.Delayed*100 > out.Totals.Requests {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"the load generator fell behind the schedule: %d requests went out more than %v late and %d were never sent (in-flight cap %d, or this machine's limits); latency is measured from the scheduled time, so users' waits are reported in full",
			out.Totals.Delayed, load.DefaultLateTolerance, out.Totals.Unsent, scn.Load.MaxInFlight))
	}
	return rep, spans
}
