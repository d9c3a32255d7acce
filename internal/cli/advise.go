package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/surge-sh/surge/pkg/analysis"
	"github.com/surge-sh/surge/pkg/scenario"
	"github.com/surge-sh/surge/pkg/sim"
)

// AdviseOptions are the inputs of `surge advise`.
type AdviseOptions struct {
	IO *IOStreams
	// Result is a report.json, or a run directory holding one.
	Result string
	// Out is the file to write the ScaledObject to; empty writes to
	// standard output.
	Out    string
	Verify bool

	ListName      string
	Histogram     string
	Deployment    string
	Namespace     string
	RedisAddress  string
	PrometheusURL string
	SLOP95        time.Duration
}

func newCmdAdvise(f *Factory, runF func(*AdviseOptions) error) *cobra.Command {
	o := &AdviseOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "advise RESULT.json",
		Short: "Propose a KEDA ScaledObject from a saved run, and check it by replay",
		Long: `Propose a KEDA ScaledObject (keda.sh/v1alpha1) for the run's target: a Redis
list-length trigger whose listLength is the queue one replica drains within
the SLO, a Prometheus P95 trigger at the SLO, min/max replicas from the
measured per-replica capacity and the lowest and peak rates, and
pollingInterval/cooldownPeriod suggestions. A comment block explains every
number. See docs/analysis.md.

RESULT.json is a report.json or a run directory. The scenario saved next to
it (scenario.yaml) names the deployment, the Prometheus server and, for the
built-in simulator, the service model.

With --verify, the run's arrival curve is replayed through the simulator
under the advised configuration in virtual time (seconds, not minutes), and
the predicted P95, timeout rate and replica curve are printed next to the
measured ones (on standard error when the ScaledObject goes to standard
output). The service model is the scenario's simulator when the target was
the simulator, else one estimated from the run.

Exit codes: 0 written (and, with --verify, the replay meets the SLO);
2 invalid input (unreadable report, no SLO, capacity not measurable);
3 --verify predicts the SLO is broken; 1 any other error.`,
		Example: `  surge advise surge-out/blackfriday-20261127-090000/report.json
  surge advise surge-out/blackfriday-20261127-090000 --out scaledobject.yaml --verify
  surge advise report.json --list ai_request_queue --histogram inference_latency_seconds_bucket`,
		Args: exactArgs(1, "one report file or run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Result = args[0]
			if o.SLOP95 < 0 {
				return Invalidf("advise: --slo-p95 must not be negative")
			}
			if runF != nil {
				return runF(o)
			}
			return runAdvise(o)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Out, "out", "o", "", "write the ScaledObject to this file instead of standard output")
	fl.BoolVar(&o.Verify, "verify", false, "replay the run's arrival curve under the advised configuration and compare")
	fl.StringVar(&o.ListName, "list", "", "Redis list holding the request queue (default: the simulator's, "+analysis.DefaultListName+")")
	fl.StringVar(&o.Histogram, "histogram", analysis.DefaultHistogram, "latency histogram bucket series for the P95 query")
	fl.StringVar(&o.Deployment, "deployment", "", "scale target (default: the scenario's observe.kubernetes.deployment, else its name)")
	fl.StringVar(&o.Namespace, "namespace", "", "namespace of the ScaledObject (default: the scenario's observe.kubernetes.namespace)")
	fl.StringVar(&o.RedisAddress, "redis-address", analysis.DefaultRedisAddress, "Redis host:port the redis trigger reads")
	fl.StringVar(&o.PrometheusURL, "prometheus-url", "", "Prometheus server of the prometheus trigger (default: the scenario's observe.prometheus.url, else "+analysis.DefaultPrometheusURL+")")
	fl.DurationVar(&o.SLOP95, "slo-p95", 0, "P95 objective to size for, overriding the report's SLO (e.g. 500ms)")
	return cmd
}

func runAdvise(o *AdviseOptions) error {
	path := o.Result
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "report.json")
	}
	r, err := loadSavedReport("advise", path)
	if err != nil {
		return err
	}
	scn := savedScenario(o.IO.ErrOut, filepath.Join(filepath.Dir(path), "scenario.yaml"))
	var simCfg *sim.Config
	if scn != nil {
		simCfg = scn.Target.Sim
	}
	if r.Scaling.Reaction == nil {
		analysis.Analyze(r, analysis.OptionsFor(r, simCfg))
	}

	ao := analysis.AdviseOptions{
		Deployment: o.Deployment, Namespace: o.Namespace, ListName: o.ListName, Histogram: o.Histogram,
		RedisAddress: o.RedisAddress, PrometheusURL: o.PrometheusURL,
		SLOP95Ms: float64(o.SLOP95) / float64(time.Millisecond),
	}
	if scn != nil {
		if k := scn.Observe.Kubernetes; k != nil {
			setIfEmpty(&ao.Deployment, k.Deployment)
			setIfEmpty(&ao.Namespace, k.Namespace)
		}
		if p := scn.Observe.Prometheus; p != nil {
			setIfEmpty(&ao.PrometheusURL, p.URL)
		}
	}
	if simCfg != nil {
		setIfEmpty(&ao.ListName, simCfg.RedisList)
		ao.ColdStartSeconds = simCfg.ColdStart.Seconds()
	}
	adv, err := analysis.Advise(r, ao)
	if err != nil {
		return Invalid(fmt.Errorf("advise %s: %w", path, err))
	}
	if err := writeToFileOr("advise", o.IO.Out, o.Out, adv.WriteYAML); err != nil {
		return err
	}
	if !o.Verify {
		return nil
	}

	in := analysis.VerifyInput{Seed: 1}
	if simCfg != nil {
		in.Service = *simCfg
		for _, k := range scn.Target.Requests {
			in.Mix = append(in.Mix, sim.KindWeight{Kind: k.Name, Weight: k.Weight})
		}
		if scn.Load.Seed != 0 {
			in.Seed = scn.Load.Seed
		}
	} else {
		if in.Service, err = analysis.EstimateService(r, adv.Capacity, adv.ColdStartSecond); err != nil {
			return Invalid(fmt.Errorf("advise %s: --verify: %w", path, err))
		}
		in.Estimated = true
	}
	v, err := analysis.Verify(r, adv, in)
	if err != nil {
		return fmt.Errorf("advise %s: %w", path, err)
	}
	out := o.IO.Out
	if o.Out == "" {
		out = o.IO.ErrOut // keep standard output a valid YAML document
	}
	if err := v.Write(out); err != nil {
		return err
	}
	if !v.Within {
		return WithCode(ExitAssertFail, fmt.Errorf("advise %s: the replay predicts P95 %.0f ms and %.1f%% timeouts during %q, outside the SLO", path, v.PredictedP95Ms, 100*v.PredictedTimeoutRate, v.Judged))
	}
	return nil
}

// savedScenario reads the scenario a run saved next to its report; a
// missing or unreadable one leaves the advice to the report alone.
func savedScenario(errOut io.Writer, path string) *scenario.Scenario {
	scn, err := scenario.LoadFile(path, scenario.Options{SkipFiles: true})
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(errOut, "surge: advise: ignoring %s: %v\n", path, err)
		}
		return nil
	}
	return scn
}

func setIfEmpty(p *string, v string) {
	if *p == "" {
		*p = v
	}
}
