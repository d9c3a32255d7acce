package sim

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/problem"
)

// referenceKEDA is the ScaledObject of the problem story, as a sim config.
const referenceKEDA = `
autoscaler:
  policy: keda
  keda:
    pollingInterval: 30
    cooldownPeriod: 120
    minReplicaCount: 2
    maxReplicaCount: 20
    triggers:
      - type: redis
        listName: ai_request_queue
        listLength: "50"
      - type: prometheus
        threshold: "2000"
        query: histogram_quantile(0.95, sum(rate(inference_latency_bucket[2m])) by (le))
`

func decodeStrict(t *testing.T, src string) Config {
	t.Helper()
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return c
}

func TestReferenceKEDAConfig(t *testing.T) {
	c := decodeStrict(t, referenceKEDA)
	c.ApplyDefaults()
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("reference config invalid: %v", ps)
	}
	k := c.Autoscaler.KEDA
	if k.PollingInterval.D() != 30*time.Second || k.CooldownPeriod.D() != 120*time.Second {
		t.Errorf("pollingInterval %s, cooldownPeriod %s", k.PollingInterval, k.CooldownPeriod)
	}
	if *k.MinReplicaCount != 2 || k.MaxReplicaCount != 20 {
		t.Errorf("min %d max %d", *k.MinReplicaCount, k.MaxReplicaCount)
	}
	if lo, hi := c.minMax(); lo != 2 || hi != 20 {
		t.Errorf("minMax = %d, %d; want 2, 20", lo, hi)
	}
	r, p := k.Triggers[0], k.Triggers[1]
	if r.ListName != "ai_request_queue" || r.ListLength != 50 {
		t.Errorf("redis trigger %+v", r)
	}
	if p.Threshold != 2000 || !strings.HasPrefix(p.Query, "histogram_quantile(0.95") || p.Window.D() != DefaultP95Window {
		t.Errorf("prometheus trigger %+v", p)
	}
	// Round trip through YAML and JSON keeps KEDA's quoted numbers.
	var y bytes.Buffer
	if err := yaml.NewEncoder(&y).Encode(c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(y.String(), `listLength: "50"`) {
		t.Errorf("yaml lost the quoted listLength:\n%s", y.String())
	}
	again := decodeStrict(t, y.String())
	if again.Autoscaler.KEDA.Triggers[0].ListLength != 50 {
		t.Errorf("yaml round trip: %+v", again.Autoscaler.KEDA.Triggers[0])
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Config
	if err := json.Unmarshal(b, &fromJSON); err != nil {
		t.Fatalf("json round trip: %v\n%s", err, b)
	}
	if fromJSON.Autoscaler.KEDA.Triggers[1].Threshold != 2000 || fromJSON.ColdStart != c.ColdStart {
		t.Errorf("json round trip: %+v", fromJSON.Autoscaler.KEDA)
	}
}

func TestDefaults(t *testing.T) {
	var c Config
	c.ApplyDefaults()
	if ps := c.Validate(); len(ps) > 0 {
		t.Fatalf("defaults invalid: %v", ps)
	}
	h := c.Autoscaler.HPA
	if c.Autoscaler.Policy != PolicyNone || h.TargetCPU != 70 || h.SyncPeriod.D() != 15*time.Second ||
		*h.Tolerance != 0.1 || h.ScaleDownStabilization.D() != 300*time.Second || h.ScaleUpPods != 4 || h.ScaleUpPercent != 100 {
		t.Errorf("HPA defaults are not Kubernetes': %+v", h)
	}
	k := c.Autoscaler.KEDA
	if k.PollingInterval.D() != 30*time.Second || k.CooldownPeriod.D() != 300*time.Second || *k.MinReplicaCount != 0 || k.MaxReplicaCount != 100 {
		t.Errorf("KEDA defaults are not KEDA's: %+v", k)
	}
	if c.RedisList != "ai_request_queue" || len(c.Kinds) != 2 {
		t.Errorf("redisList %q, kinds %v", c.RedisList, c.Kinds)
	}
	// An explicit tolerance of 0 survives defaulting.
	c2 := decodeStrict(t, "autoscaler: {hpa: {tolerance: 0}}")
	c2.ApplyDefaults()
	if *c2.Autoscaler.HPA.Tolerance != 0 {
		t.Errorf("tolerance 0 replaced by %g", *c2.Autoscaler.HPA.Tolerance)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // "path: message"
	}{
		{name: "defaults", yaml: "{}"},
		{name: "reference keda", yaml: referenceKEDA},
		{name: "hpa-cpu", yaml: "autoscaler: {policy: hpa-cpu, minReplicas: 3, maxReplicas: 20, hpa: {targetCPU: 70}}"},
		{name: "normal tokens", yaml: "kinds: [{name: a, tokens: {mean: 100, stddev: 20}}]"},
		{
			name: "bad sizes",
			yaml: "slotsPerReplica: -1\nreplicas: -2\ncpu: {baseline: 1.5, perBusySlot: -0.1}",
			want: []string{
				"replicas: must not be negative",
				"slotsPerReplica: must be at least 1",
				"cpu.baseline: must be a ratio between 0 and 1, got 1.5",
				"cpu.perBusySlot: must be a ratio between 0 and 1, got -0.1",
			},
		},
		{
			name: "bad kinds",
			yaml: "kinds: [{name: a, tokens: {min: 10, max: 5}}, {name: a, tokens: {min: 1, max: 2, mean: 3}}, {tokens: {}}, {name: b, tokens: {mean: 0.5, stddev: -1}}]",
			want: []string{
				"kinds[0].tokens.max: must be at least min (10)",
				"kinds[1].name: duplicate kind \"a\"",
				"kinds[1].tokens: set either min/max or mean/stddev, not both",
				"kinds[2].name: is required",
				"kinds[2].tokens: set min/max or mean/stddev",
				"kinds[3].tokens.mean: must be at least 1",
				"kinds[3].tokens.stddev: must not be negative",
			},
		},
		{
			name: "bad policy and bounds",
			yaml: "autoscaler: {policy: vpa, minReplicas: 5, maxReplicas: 4, hpa: {targetCPU: 120, tolerance: 1.5}}",
			want: []string{
				"autoscaler.policy: unknown policy \"vpa\" (want none, hpa-cpu or keda)",
				"autoscaler.maxReplicas: must be at least minReplicas (5)",
				"autoscaler.hpa.targetCPU: must be a percentage in (0, 100], got 120",
				"autoscaler.hpa.tolerance: must be in [0, 1), got 1.5",
			},
		},
		{
			name: "keda without triggers",
			yaml: "autoscaler: {policy: keda, keda: {minReplicaCount: 5, maxReplicaCount: 3}}",
			want: []string{
				"autoscaler.keda.maxReplicaCount: must be at least 1 and at least minReplicaCount (5)",
				"autoscaler.keda.triggers: the keda policy needs at least one trigger",
			},
		},
		{
			name: "bad triggers",
			yaml: `autoscaler:
  policy: keda
  keda:
    triggers:
      - {type: redis}
      - {type: prometheus, threshold: "0", listLength: "5"}
      - {type: kafka}
      - {listLength: "5"}
      - {type: redis, listLength: "5", threshold: "9"}`,
			want: []string{
				"autoscaler.keda.triggers[0].listLength: must be a positive number",
				"autoscaler.keda.triggers[1].threshold: must be a positive number (P95 in ms)",
				"autoscaler.keda.triggers[1].type: listName and listLength belong to a redis trigger",
				"autoscaler.keda.triggers[2].type: unknown trigger type \"kafka\" (want redis or prometheus)",
				"autoscaler.keda.triggers[3].type: is required (redis or prometheus)",
				"autoscaler.keda.triggers[4].type: threshold and query belong to a prometheus trigger",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decodeStrict(t, tt.yaml)
			c.ApplyDefaults()
			got := c.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), render(got))
			}
			for i, p := range got {
				if s := p.Error(); s != tt.want[i] {
					t.Errorf("problem %d = %q, want %q", i, s, tt.want[i])
				}
			}
		})
	}
}

func TestStrictDecodeRejectsUnknownKeys(t *testing.T) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader("autoscaler: {keda: {pollingIntervall: 30}}"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err == nil || !strings.Contains(err.Error(), "pollingIntervall") {
		t.Fatalf("err = %v, want the unknown key named", err)
	}
	dec = yaml.NewDecoder(strings.NewReader("autoscaler: {keda: {triggers: [{type: redis, listLength: fifty}]}}"))
	if err := dec.Decode(&c); err == nil || !strings.Contains(err.Error(), `invalid number "fifty"`) {
		t.Fatalf("err = %v, want invalid number", err)
	}
}

func render(ps []problem.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Error() + "\n")
	}
	return b.String()
}
