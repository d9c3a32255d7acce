package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/sim"
	"github.com/surge-sh/surge/pkg/units"
)

// SimOptions are the inputs of `surge sim`.
type SimOptions struct {
	*Factory
	Addr   string
	Config sim.Config
}

// simFlags holds flag values before they are laid over the config; only the
// flags the user set are applied.
type simFlags struct {
	file                                     string
	seed                                     int64
	replicas, slots                          int
	prefill, perToken, coldStart             units.Duration
	cpuBaseline, cpuPerSlot                  float64
	kinds                                    []string
	redis, redisList                         string
	policy                                   string
	minReplicas, maxReplicas                 int
	targetCPU, tolerance                     float64
	syncPeriod, stabilization, scaleUpPeriod units.Duration
	pollingInterval, cooldownPeriod          units.Duration
	minReplicaCount, maxReplicaCount         int
	redisTrigger, promTrigger                float64
	p95Window                                units.Duration
}

func newCmdSim(f *Factory, runF func(*SimOptions) error) *cobra.Command {
	o := &SimOptions{Factory: f}
	var fl simFlags
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve the built-in AI-inference simulator",
		Long: `Serve the built-in model of an AI inference service on Kubernetes: replicas
with GPU worker slots, a shared FIFO request queue, token-driven service times,
model cold starts, CPU that stays low while the GPU saturates, and an
autoscaler policy (none, hpa-cpu or keda) that follows the Kubernetes HPA and
KEDA algorithms.

Endpoints:
  POST /v1/enrich   {"kind": "summary", "tokens": 120} answers after the simulated
                    queue and service time with {kind, tokens, queueMs, serviceMs, replica}
  GET  /metrics     inference_queue_depth, inference_latency_seconds,
                    inference_gpu_utilization_ratio, inference_cpu_utilization_ratio,
                    inference_replicas_ready, inference_replicas_desired, ...
  GET  /healthz

Settings come from --config (a YAML file shaped like a scenario's target.sim
block) and then the flags; see docs/simulator.md for every key and default.`,
		Example: `  surge sim --policy hpa-cpu --target-cpu 70
  surge sim --policy keda --min-replica-count 2 --max-replica-count 20 \
    --redis-trigger 50 --prometheus-trigger 2000 --redis 127.0.0.1:6379
  surge sim --kind description=30..90 --kind summary=120..200 --slots 4`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := fl.config(cmd.Flags())
			if err != nil {
				return Invalid(err)
			}
			cfg.ApplyDefaults()
			if ps := cfg.Validate(); len(ps) > 0 {
				msgs := make([]string, len(ps))
				for i, p := range ps {
					msgs[i] = "  " + p.Error()
				}
				return Invalidf("sim: invalid settings:\n%s", strings.Join(msgs, "\n"))
			}
			o.Config = cfg
			if runF != nil {
				return runF(o)
			}
			return runSim(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8080", "address to listen on (HOST:PORT; port 0 picks a free one)")
	fs.StringVar(&fl.file, "config", "", "YAML `FILE` with simulator settings (the target.sim block of a scenario)")
	fs.Int64Var(&fl.seed, "seed", 0, "seed of the token draws")
	fs.IntVar(&fl.replicas, "replicas", sim.DefaultReplicas, "initial ready replicas")
	fs.IntVar(&fl.slots, "slots", sim.DefaultSlotsPerReplica, "GPU worker slots per replica")
	fs.Var(&durationFlag{&fl.prefill}, "prefill", "fixed part of each service time (default 30ms)")
	fs.Var(&durationFlag{&fl.perToken}, "per-token", "service time per token (default 1ms)")
	fs.Var(&durationFlag{&fl.coldStart}, "cold-start", "model loading time of a new replica (default 30s)")
	fs.Float64Var(&fl.cpuBaseline, "cpu-baseline", sim.DefaultCPUBaseline, "CPU utilisation of an idle replica (ratio)")
	fs.Float64Var(&fl.cpuPerSlot, "cpu-per-slot", sim.DefaultCPUPerBusySlot, "CPU utilisation added per busy GPU slot (ratio)")
	fs.StringArrayVar(&fl.kinds, "kind", nil, "request kind `NAME=MIN..MAX` (uniform tokens) or NAME=MEAN~STDDEV (normal); repeatable, the first is the default kind")
	fs.StringVar(&fl.redis, "redis", "", "mirror the queue into a Redis list at `HOST:PORT`")
	fs.StringVar(&fl.redisList, "redis-list", sim.DefaultRedisList, "name of the mirrored Redis list")
	fs.StringVar(&fl.policy, "policy", string(sim.PolicyNone), "autoscaler: none, hpa-cpu or keda")
	fs.IntVar(&fl.minReplicas, "min-replicas", sim.DefaultHPAMinReplicas, "hpa-cpu: minReplicas")
	fs.IntVar(&fl.maxReplicas, "max-replicas", sim.DefaultHPAMaxReplicas, "hpa-cpu: maxReplicas")
	fs.Float64Var(&fl.targetCPU, "target-cpu", sim.DefaultTargetCPU, "hpa-cpu: target mean CPU utilisation in percent")
	fs.Float64Var(&fl.tolerance, "tolerance", sim.DefaultTolerance, "HPA tolerance around a ratio of 1.0")
	fs.Var(&durationFlag{&fl.syncPeriod}, "sync-period", "HPA sync period (default 15s)")
	fs.Var(&durationFlag{&fl.stabilization}, "scale-down-stabilization", "HPA scale-down stabilization window (default 5m0s)")
	fs.Var(&durationFlag{&fl.scaleUpPeriod}, "scale-up-period", "period of the HPA scale-up policies (default 15s)")
	fs.Var(&durationFlag{&fl.pollingInterval}, "polling-interval", "keda: pollingInterval (default 30s)")
	fs.Var(&durationFlag{&fl.cooldownPeriod}, "cooldown-period", "keda: cooldownPeriod (default 5m0s)")
	fs.IntVar(&fl.minReplicaCount, "min-replica-count", 0, "keda: minReplicaCount")
	fs.IntVar(&fl.maxReplicaCount, "max-replica-count", sim.DefaultKEDAMaxReplicaCount, "keda: maxReplicaCount")
	fs.Float64Var(&fl.redisTrigger, "redis-trigger", 0, "keda: add a redis trigger with this listLength")
	fs.Float64Var(&fl.promTrigger, "prometheus-trigger", 0, "keda: add a prometheus trigger on P95 with this threshold (ms)")
	fs.Var(&durationFlag{&fl.p95Window}, "p95-window", "keda: window of the prometheus trigger's P95 (default 2m0s)")
	return cmd
}

// config reads --config and lays the set flags over it.
func (fl *simFlags) config(fs *pflag.FlagSet) (sim.Config, error) {
	var c sim.Config
	if fl.file != "" {
		data, err := os.ReadFile(fl.file)
		if err != nil {
			return c, fmt.Errorf("sim: --config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("sim: --config %s: %w", fl.file, err)
		}
	}
	set := func(name string, apply func()) {
		if fs.Changed(name) {
			apply()
		}
	}
	a := &c.Autoscaler
	set("seed", func() { c.Seed = fl.seed })
	set("replicas", func() { c.Replicas = fl.replicas })
	set("slots", func() { c.SlotsPerReplica = fl.slots })
	set("prefill", func() { c.Prefill = fl.prefill })
	set("per-token", func() { c.PerToken = fl.perToken })
	set("cold-start", func() { c.ColdStart = fl.coldStart })
	set("cpu-baseline", func() { c.CPU.Baseline = fl.cpuBaseline })
	set("cpu-per-slot", func() { c.CPU.PerBusySlot = fl.cpuPerSlot })
	set("redis", func() { c.Redis = fl.redis })
	set("redis-list", func() { c.RedisList = fl.redisList })
	set("policy", func() { a.Policy = sim.Policy(fl.policy) })
	set("min-replicas", func() { a.MinReplicas = fl.minReplicas })
	set("max-replicas", func() { a.MaxReplicas = fl.maxReplicas })
	set("target-cpu", func() { a.HPA.TargetCPU = fl.targetCPU })
	set("tolerance", func() { a.HPA.Tolerance = &fl.tolerance })
	set("sync-period", func() { a.HPA.SyncPeriod = fl.syncPeriod })
	set("scale-down-stabilization", func() { a.HPA.ScaleDownStabilization = &fl.stabilization })
	set("scale-up-period", func() { a.HPA.ScaleUpPeriod = fl.scaleUpPeriod })
	set("polling-interval", func() { a.KEDA.PollingInterval = fl.pollingInterval })
	set("cooldown-period", func() { a.KEDA.CooldownPeriod = fl.cooldownPeriod })
	set("min-replica-count", func() { a.KEDA.MinReplicaCount = &fl.minReplicaCount })
	set("max-replica-count", func() { a.KEDA.MaxReplicaCount = fl.maxReplicaCount })
	set("redis-trigger", func() {
		a.KEDA.Triggers = append(a.KEDA.Triggers, sim.Trigger{Type: sim.TriggerRedis, ListLength: sim.Number(fl.redisTrigger)})
	})
	set("prometheus-trigger", func() {
		a.KEDA.Triggers = append(a.KEDA.Triggers, sim.Trigger{Type: sim.TriggerPrometheus, Threshold: sim.Number(fl.promTrigger), Window: fl.p95Window})
	})
	if len(fl.kinds) > 0 {
		c.Kinds = nil
		for _, s := range fl.kinds {
			k, err := parseKind(s)
			if err != nil {
				return c, fmt.Errorf("sim: --kind %q: %w", s, err)
			}
			c.Kinds = append(c.Kinds, k)
		}
	}
	return c, nil
}

// parseKind reads NAME=MIN..MAX or NAME=MEAN~STDDEV.
func parseKind(s string) (sim.Kind, error) {
	name, dist, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return sim.Kind{}, errors.New("want NAME=MIN..MAX or NAME=MEAN~STDDEV")
	}
	k := sim.Kind{Name: name}
	if lo, hi, ok := strings.Cut(dist, ".."); ok {
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil {
			return k, errors.New("token bounds must be whole numbers, e.g. 30..90")
		}
		k.Tokens = sim.Tokens{Min: a, Max: b}
		return k, nil
	}
	if mean, sd, ok := strings.Cut(dist, "~"); ok {
		a, err1 := strconv.ParseFloat(strings.TrimSpace(mean), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(sd), 64)
		if err1 != nil || err2 != nil {
			return k, errors.New("mean and stddev must be numbers, e.g. 160~40")
		}
		k.Tokens = sim.Tokens{Mean: a, Stddev: b}
		return k, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(dist))
	if err != nil {
		return k, errors.New("want NAME=MIN..MAX, NAME=MEAN~STDDEV or NAME=TOKENS")
	}
	k.Tokens = sim.Tokens{Min: n, Max: n}
	return k, nil
}

func runSim(ctx context.Context, o *SimOptions) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, err := sim.Start(ctx, o.Config, o.Addr)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	c := o.Config
	fmt.Fprintf(o.IO.Out, "surge sim: serving on %s (policy %s, %d replicas × %d slots, cold start %s)\n",
		srv.URL(), c.Autoscaler.Policy, c.Replicas, c.SlotsPerReplica, c.ColdStart)
	fmt.Fprintf(o.IO.Out, "  POST %s/v1/enrich\n  GET  %s/metrics\n  GET  %s/healthz\n", srv.URL(), srv.URL(), srv.URL())
	if c.Redis != "" {
		fmt.Fprintf(o.IO.Out, "  queue mirrored to Redis list %q at %s\n", c.RedisList, c.Redis)
	}
	select {
	case <-ctx.Done():
	case <-o.Signals:
		fmt.Fprintln(o.IO.ErrOut, "surge sim: stopping")
	}
	return srv.Close()
}

// durationFlag reads a units.Duration ("500ms", "30s", or seconds).
type durationFlag struct{ d *units.Duration }

func (f *durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f *durationFlag) Set(s string) error {
	v, err := units.ParseDuration(s)
	if err != nil {
		return err
	}
	*f.d = v
	return nil
}

func (f *durationFlag) Type() string { return "duration" }
