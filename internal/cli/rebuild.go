package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/surge-sh/surge/pkg/analysis"
	"github.com/surge-sh/surge/pkg/assert"
	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/scenario"
)

// rebuildReport rebuilds a report from a run directory's raw results stream
// (results.gob), the scenario copy saved beside it and run.json, for runs
// whose report.json is missing — a crash, a second Ctrl-C. The stream holds
// what clients saw; signals observed from the target were not saved, so a
// rebuilt report has the client side only and says so.
func rebuildReport(dir string) (*report.Report, error) {
	var meta runMeta
	b, err := os.ReadFile(filepath.Join(dir, "run.json"))
	if err != nil {
		return nil, fmt.Errorf("rebuild report: %w (the run never started sending)", err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("rebuild report: run.json: %w", err)
	}
	scn, err := scenario.LoadFile(filepath.Join(dir, "scenario.yaml"), scenario.Options{SkipFiles: true})
	if err != nil {
		return nil, fmt.Errorf("rebuild report: %w", err)
	}
	scn.File = meta.File
	sched, err := scn.Schedule()
	if err != nil {
		return nil, fmt.Errorf("rebuild report: %w", err)
	}
	reqs, err := scn.Requests(meta.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("rebuild report: %w", err)
	}
	mix, err := load.NewKindMix(reqs, scn.Load.Seed)
	if err != nil {
		return nil, fmt.Errorf("rebuild report: %w", err)
	}
	f, err := os.Open(filepath.Join(dir, "results.gob"))
	if err != nil {
		return nil, fmt.Errorf("rebuild report: %w", err)
	}
	defer f.Close()

	agg := load.NewAggregator(sched, mix.Names(), mix.KindFor, scn.Target.Timeout.D(), 0)
	dec := vegeta.NewDecoder(f)
	var n int
	var lastSent time.Duration
	var ended time.Time
	var tail error
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				tail = err
			}
			break
		}
		s := load.SampleOf(&r, meta.Began, sched)
		agg.Add(s)
		n++
		lastSent = max(lastSent, s.Sent)
		if e := r.End(); e.After(ended) {
			ended = e
		}
	}
	if n == 0 {
		if tail != nil {
			return nil, fmt.Errorf("rebuild report: results.gob: %w", tail)
		}
		return nil, errors.New("rebuild report: results.gob holds no results")
	}
	// A run that ended early planned nothing after its last send.
	ranFor := sched.Duration()
	// A stream that ends cleanly after the last scheduled second is complete
	// even if the in-flight cap left requests unsent; one cut mid-record is
	// not, whatever it holds.
	complete := tail == nil && (int64(n) >= sched.Planned() || lastSent >= sched.Duration()-time.Second)
	if !complete {
		ranFor = lastSent + time.Nanosecond
	}
	out := &load.Outcome{Began: meta.Began, Ended: ended}
	out.Stages, out.Totals = agg.Stats(ranFor)
	out.Seconds = agg.Seconds()

	rep, _ := newReport(scn, out, meta.BaseURL)
	rep.Warnings = append(rep.Warnings, "rebuilt from the raw results stream: client-side figures only (signals observed from the target were not saved)")
	if tail != nil {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the results stream ends in a partial record (%v): the %d results before it are counted", tail, n))
	}
	analysis.Analyze(rep, analysis.OptionsFor(rep, scn.Target.Sim))
	rep.Assertions, err = assert.Evaluate(scn.Assert, rep, nil)
	if err != nil {
		rep.Warnings = append(rep.Warnings, err.Error())
	}
	reason := ""
	if !complete {
		reason = fmt.Sprintf("the recorded run ends at %s of %s, before its schedule finished", clockOf(lastSent), clockOf(sched.Duration()))
	}
	judge(rep, reason)
	return rep, nil
}

// judge sets the verdict: aborted with a reason, else fail when any
// assertion failed, else pass.
func judge(rep *report.Report, abortReason string) {
	if rep.Assertions == nil {
		rep.Assertions = []report.Assertion{}
	}
	rep.Verdict = report.VerdictPass
	for _, a := range rep.Assertions {
		if !a.Pass {
			rep.Verdict = report.VerdictFail
		}
	}
	if abortReason != "" {
		rep.Verdict, rep.Abort = report.VerdictAborted, abortReason
	}
}
