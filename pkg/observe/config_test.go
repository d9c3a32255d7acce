package observe

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestConfigDecodeDefaultsValidate(t *testing.T) {
	tests := []struct {
		name        string
		yaml        string
		wantSignals []string
		wantPaths   []string
	}{
		{
			name: "scenario example",
			yaml: `
interval: 5s
prometheus:
  url: http://prometheus:9090
  signals:
    gpu: DCGM_FI_DEV_GPU_UTIL / 100
    p95_latency: histogram_quantile(0.95, sum(rate(inference_latency_seconds_bucket[2m])) by (le))
kubernetes:
  namespace: ai-services
  deployment: ai-inference-deployment
  scaledObject: ai-inference-scaler
`,
			wantSignals: []string{"gpu", "p95_latency"},
		},
		{
			name: "presets by default, cpu and gpu only with a deployment",
			yaml: `
prometheus: {url: "https://prom.example"}
`,
			wantSignals: []string{"p95_latency", "queue_depth"},
		},
		{
			name: "every preset with a deployment",
			yaml: `
prometheus: {url: "https://prom.example"}
kubernetes: {deployment: web}
`,
			wantSignals: []string{"cpu", "gpu", "p95_latency", "queue_depth"},
		},
		{
			name: "every mistake at once",
			yaml: `
interval: 10ms
scrape: {url: "ftp://x", signals: {some_metric: "Bad Name"}}
prometheus:
  url: ""
  auth: {bearerTokenEnv: A, bearerTokenFile: /f, basic: {passwordEnv: P}}
  signals: {latency_p95: "", gpu: "{{ .namespace "}
  scale: {gpu: 0}
kubernetes: {namespace: "Not_Valid", hpa: web}
`,
			wantSignals: []string{"gpu", "latency_p95"},
			wantPaths: []string{
				"interval", "scrape.url", "scrape.signals.some_metric", "prometheus.url", "prometheus.auth",
				"prometheus.auth.basic.username", "prometheus.auth", "prometheus.signals.gpu", "prometheus.signals.latency_p95",
				"prometheus.scale.gpu", "kubernetes.deployment", "kubernetes.namespace",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			dec := yaml.NewDecoder(strings.NewReader(tt.yaml))
			dec.KnownFields(true)
			if err := dec.Decode(&c); err != nil {
				t.Fatal(err)
			}
			c.ApplyDefaults()
			if c.Interval.D() < 10*time.Millisecond {
				t.Fatalf("interval %v", c.Interval)
			}
			if got := sortedKeys(c.Prometheus.Signals); !reflect.DeepEqual(got, tt.wantSignals) {
				t.Errorf("signals %v, want %v", got, tt.wantSignals)
			}
			var paths []string
			for _, p := range c.Validate() {
				paths = append(paths, p.Path)
			}
			if !reflect.DeepEqual(paths, tt.wantPaths) {
				t.Errorf("problems at\n %v\nwant\n %v", paths, tt.wantPaths)
			}
		})
	}
}

func TestApplyDefaultsInterval(t *testing.T) {
	var c Config
	c.ApplyDefaults()
	if c.Interval != DefaultInterval {
		t.Fatalf("interval %v, want %v", c.Interval, DefaultInterval)
	}
	if p := c.Validate(); len(p) != 0 {
		t.Fatalf("an empty observe block is valid, got %v", p)
	}
}
