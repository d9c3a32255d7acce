// Package observe watches the system under load while a run goes: a target's
// own /metrics, a Prometheus server and the Kubernetes API. Every source is
// polled on one interval, its samples are aligned with the run start and the
// stages, and the result lands in the report as signals (CPU, GPU, queue
// depth, P95, replicas), the scaling timeline and per-source health, with
// the stretches where a source failed recorded as gaps rather than aborting
// the load.
package observe

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"text/template"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/surge-sh/surge/pkg/problem"
	"github.com/surge-sh/surge/pkg/units"
)

// DefaultInterval is how often sources are polled when the scenario does not say.
const DefaultInterval = units.Duration(5 * time.Second)

// minInterval keeps a typo such as `interval: 5ms` from hammering a cluster.
const minInterval = units.Duration(100 * time.Millisecond)

// Config is the `observe:` block of a scenario.
type Config struct {
	// Interval is the poll period of every source, and the step of the
	// Prometheus range query at the end of the run.
	Interval   units.Duration    `yaml:"interval,omitempty" json:"interval,omitempty"`
	Scrape     *ScrapeConfig     `yaml:"scrape,omitempty" json:"scrape,omitempty"`
	Prometheus *PrometheusConfig `yaml:"prometheus,omitempty" json:"prometheus,omitempty"`
	Kubernetes *KubernetesConfig `yaml:"kubernetes,omitempty" json:"kubernetes,omitempty"`
}

// ScrapeConfig reads a target's /metrics directly, without a Prometheus server.
type ScrapeConfig struct {
	// URL of the metrics endpoint; empty means the built-in simulator's.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
	// Signals maps a metric family name to a signal name. Empty means the
	// simulator's metric names (see DefaultScrapeSignals).
	Signals map[string]string `yaml:"signals,omitempty" json:"signals,omitempty"`
	// Optional lets the run go on when the endpoint is unreachable at start.
	Optional bool `yaml:"optional,omitempty" json:"optional,omitempty"`
}

// PrometheusConfig reads signals from a Prometheus-compatible query API.
type PrometheusConfig struct {
	URL  string          `yaml:"url,omitempty" json:"url,omitempty"`
	Auth *PrometheusAuth `yaml:"auth,omitempty" json:"auth,omitempty"`
	// Signals maps a signal name to a preset name (cpu, gpu, queue_depth,
	// p95_latency) or to PromQL. An empty value under a preset's own name
	// selects that preset. Queries are Go templates over Vars.
	Signals map[string]string `yaml:"signals,omitempty" json:"signals,omitempty"`
	// Vars feed the query templates: namespace, deployment, pod, window,
	// histogram, listName, selector (see docs/observe.md).
	Vars map[string]string `yaml:"vars,omitempty" json:"vars,omitempty"`
	// Scale multiplies a signal's values, e.g. 1000 to turn seconds into ms.
	Scale    map[string]float64 `yaml:"scale,omitempty" json:"scale,omitempty"`
	Optional bool               `yaml:"optional,omitempty" json:"optional,omitempty"`
}

// PrometheusAuth holds the credentials and TLS settings for Prometheus.
// Secrets are read from the environment or from files, never written inline.
type PrometheusAuth struct {
	BearerTokenEnv  string            `yaml:"bearerTokenEnv,omitempty" json:"bearerTokenEnv,omitempty"`
	BearerTokenFile string            `yaml:"bearerTokenFile,omitempty" json:"bearerTokenFile,omitempty"`
	Basic           *BasicAuth        `yaml:"basic,omitempty" json:"basic,omitempty"`
	Headers         map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	CAFile          string            `yaml:"caFile,omitempty" json:"caFile,omitempty"`
	// InsecureSkipVerify turns TLS certificate verification off; it is on
	// unless this says otherwise.
	InsecureSkipVerify bool `yaml:"insecureSkipVerify,omitempty" json:"insecureSkipVerify,omitempty"`
}

// BasicAuth is HTTP basic authentication; the password comes from the
// environment or a file.
type BasicAuth struct {
	Username     string `yaml:"username,omitempty" json:"username,omitempty"`
	PasswordEnv  string `yaml:"passwordEnv,omitempty" json:"passwordEnv,omitempty"`
	PasswordFile string `yaml:"passwordFile,omitempty" json:"passwordFile,omitempty"`
}

// KubernetesConfig reads the target Deployment, its autoscaler, its Pods and
// their Events from the Kubernetes API.
type KubernetesConfig struct {
	// Kubeconfig and Context override KUBECONFIG and the current context;
	// the --kubeconfig/--context flags override both.
	Kubeconfig string `yaml:"kubeconfig,omitempty" json:"kubeconfig,omitempty"`
	Context    string `yaml:"context,omitempty" json:"context,omitempty"`
	// Namespace defaults to the kubeconfig context's namespace, then "default".
	Namespace  string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Deployment string `yaml:"deployment,omitempty" json:"deployment,omitempty"`
	// HPA names an autoscaling/v2 HorizontalPodAutoscaler. With a
	// ScaledObject and no HPA, the HPA that KEDA owns is read.
	HPA          string `yaml:"hpa,omitempty" json:"hpa,omitempty"`
	ScaledObject string `yaml:"scaledObject,omitempty" json:"scaledObject,omitempty"`
	Optional     bool   `yaml:"optional,omitempty" json:"optional,omitempty"`
}

// ApplyDefaults fills unset fields.
func (c *Config) ApplyDefaults() {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if p := c.Prometheus; p != nil && len(p.Signals) == 0 {
		// Without a namespace and a deployment the cpu and gpu presets
		// would select nothing, so they only come by default with them.
		p.Signals = map[string]string{"queue_depth": "", "p95_latency": ""}
		if k := c.Kubernetes; k != nil && k.Deployment != "" || p.Vars["deployment"] != "" {
			p.Signals["cpu"] = ""
			p.Signals["gpu"] = ""
		}
	}
}

var signalName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Validate reports every invalid setting, with paths relative to `observe`.
func (c *Config) Validate() []problem.Problem {
	var l problem.List
	if c.Interval < minInterval {
		l.Addf("interval", "must be at least %s, got %s", minInterval, c.Interval)
	}
	if s := c.Scrape; s != nil {
		if s.URL != "" {
			checkURL(&l, "scrape.url", s.URL)
		}
		for _, metric := range sortedKeys(s.Signals) {
			if sig := s.Signals[metric]; !signalName.MatchString(sig) {
				l.Addf("scrape.signals."+metric, "signal name %q must be lower_snake_case", sig)
			}
		}
	}
	if p := c.Prometheus; p != nil {
		l.Nest("prometheus", p.validate())
	}
	if k := c.Kubernetes; k != nil {
		l.Nest("kubernetes", k.validate())
	}
	return l
}

func (p *PrometheusConfig) validate() []problem.Problem {
	var l problem.List
	if p.URL == "" {
		l.Addf("url", "is required")
	} else {
		checkURL(&l, "url", p.URL)
	}
	if a := p.Auth; a != nil {
		if a.BearerTokenEnv != "" && a.BearerTokenFile != "" {
			l.Addf("auth", "bearerTokenEnv and bearerTokenFile exclude each other")
		}
		if b := a.Basic; b != nil {
			if b.Username == "" {
				l.Addf("auth.basic.username", "is required")
			}
			if b.PasswordEnv != "" && b.PasswordFile != "" {
				l.Addf("auth.basic", "passwordEnv and passwordFile exclude each other")
			}
			if a.BearerTokenEnv != "" || a.BearerTokenFile != "" {
				l.Addf("auth", "basic and bearer token authentication exclude each other")
			}
		}
	}
	for _, name := range sortedKeys(p.Signals) {
		path := "signals." + name
		if !signalName.MatchString(name) {
			l.Addf(path, "signal name must be lower_snake_case")
		}
		q := p.Signals[name]
		if q == "" {
			if _, ok := presets[name]; !ok {
				l.Addf(path, "no preset named %q: give a preset name (%s) or a PromQL query", name, presetNames())
			}
			continue
		}
		if _, ok := presets[q]; ok {
			continue
		}
		if _, err := template.New(name).Option("missingkey=error").Parse(q); err != nil {
			l.Addf(path, "query template: %v", err)
		}
	}
	for _, name := range sortedKeys(p.Scale) {
		if p.Scale[name] == 0 {
			l.Addf("scale."+name, "must not be 0")
		}
	}
	return l
}

func (k *KubernetesConfig) validate() []problem.Problem {
	var l problem.List
	if k.Deployment == "" {
		l.Addf("deployment", "is required: the Deployment that serves the target")
	}
	for _, f := range []struct{ path, v string }{
		{"namespace", k.Namespace}, {"deployment", k.Deployment}, {"hpa", k.HPA}, {"scaledObject", k.ScaledObject},
	} {
		if f.v == "" {
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(f.v) {
			l.Addf(f.path, "%q: %s", f.v, msg)
		}
	}
	return l
}

func checkURL(l *problem.List, path, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		l.Addf(path, "invalid URL: %v", err)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		l.Addf(path, "want an http:// or https:// URL, got %q", raw)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func presetNames() string {
	return fmt.Sprintf("%v", sortedKeys(presets))
}
