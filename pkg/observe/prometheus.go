package observe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/template"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// presets are the PromQL for the usual signals, as Go templates over the
// vars (docs/observe.md lists them with their defaults).
var presets = map[string]string{
	// CPU used by the target's containers over what they requested: the
	// figure a CPU-based HPA scales on.
	SignalCPU: `sum(rate(container_cpu_usage_seconds_total{namespace="{{.namespace}}",pod=~"{{.pod}}",container!="",container!="POD"}[{{.window}}]))` +
		` / sum(kube_pod_container_resource_requests{namespace="{{.namespace}}",pod=~"{{.pod}}",resource="cpu"})`,
	// NVIDIA DCGM exporter: GPU utilisation in percent, averaged over the
	// target's pods.
	SignalGPU: `avg(DCGM_FI_DEV_GPU_UTIL{namespace="{{.namespace}}",pod=~"{{.pod}}"}) / 100`,
	// redis_exporter with --check-keys: the length of the request list.
	SignalQueueDepth: `sum(redis_key_size{key="{{.listName}}"})`,
	// Server-side P95 from a histogram, in ms.
	SignalP95Latency: `histogram_quantile(0.95, sum(rate({{.histogram}}_bucket{ {{- .selector -}} }[{{.window}}])) by (le)) * {{.toMs}}`,
}

// defaultVars returns the template variables before the scenario's own.
func defaultVars(k *KubernetesConfig) map[string]string {
	v := map[string]string{
		"namespace":  "default",
		"deployment": "",
		"pod":        ".+",
		"window":     "1m",
		"histogram":  "inference_latency_seconds",
		"listName":   "ai_request_queue",
		"selector":   "",
	}
	if k != nil {
		if k.Namespace != "" {
			v["namespace"] = k.Namespace
		}
		v["deployment"] = k.Deployment
	}
	return v
}

type promQuery struct {
	signal, query string
	scale         float64
}

// promSource reads signals from a Prometheus query API: instant queries
// while the run goes, one range query per signal at the end.
type promSource struct {
	url     string
	opt     bool
	api     v1.API
	queries []promQuery
}

func newPrometheusSource(cfg PrometheusConfig, k *KubernetesConfig, env Env) (*promSource, error) {
	vars := defaultVars(k)
	for name, v := range cfg.Vars {
		vars[name] = v
	}
	if _, set := cfg.Vars["pod"]; !set && vars["deployment"] != "" {
		// A Deployment's pods are named <deployment>-<replicaset hash>-<suffix>.
		vars["pod"] = vars["deployment"] + "-[a-z0-9]+-[a-z0-9]+"
	}
	vars["toMs"] = "1"
	if strings.HasSuffix(vars["histogram"], "_seconds") {
		vars["toMs"] = "1000"
	}
	queries, err := renderQueries(cfg.Signals, vars, cfg.Scale)
	if err != nil {
		return nil, err
	}
	rt, err := cfg.Auth.roundTripper(env.Getenv)
	if err != nil {
		return nil, err
	}
	client, err := api.NewClient(api.Config{Address: cfg.URL, RoundTripper: rt})
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", cfg.URL, err)
	}
	return &promSource{url: cfg.URL, opt: cfg.Optional, api: v1.NewAPI(client), queries: queries}, nil
}

// renderQueries resolves presets and fills the templates. A raw query for
// a latency signal in ms that reads a seconds histogram and does not scale
// it itself is multiplied by 1000, since that is what the signal promises.
func renderQueries(signals map[string]string, vars map[string]string, scale map[string]float64) ([]promQuery, error) {
	var out []promQuery
	for _, name := range sortedKeys(signals) {
		text := signals[name]
		raw := true
		if text == "" {
			text = name
		}
		if p, ok := presets[text]; ok {
			text, raw = p, false
		}
		t, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("signals.%s: query template: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, vars); err != nil {
			return nil, fmt.Errorf("signals.%s: query template: %w", name, err)
		}
		q := promQuery{signal: name, query: strings.TrimSpace(b.String()), scale: 1}
		if raw && unitOf(name, "") == "ms" && strings.Contains(q.query, "_seconds_bucket") && !strings.Contains(q.query, "1000") {
			q.scale = 1000
		}
		if s, ok := scale[name]; ok {
			q.scale = s
		}
		out = append(out, q)
	}
	return out, nil
}

func (p *promSource) meta() sourceMeta {
	return sourceMeta{name: "prometheus", kind: "prometheus", detail: fmt.Sprintf("%s, %d signals", redact(p.url), len(p.queries)), optional: p.opt, priority: 2}
}

// check reaches the server and has it parse every query. A query that
// finds nothing yet is fine at the start (no traffic, no histogram); one
// that does not parse is not.
func (p *promSource) check(ctx context.Context) error {
	if _, _, _, err := p.api.Query(ctx, "1", time.Now()); err != nil {
		return fmt.Errorf("query %s: %w", p.url, err)
	}
	var errs []error
	for _, q := range p.queries {
		_, _, _, err := p.api.Query(ctx, q.query, time.Now())
		var apiErr *v1.Error
		if errors.As(err, &apiErr) && apiErr.Type == v1.ErrBadData {
			errs = append(errs, fmt.Errorf("signal %s: query %q: %w", q.signal, q.query, err))
		}
	}
	return errors.Join(errs...)
}

func (p *promSource) poll(ctx context.Context, _, now time.Time) ([]reading, []timedEvent, error) {
	var out []reading
	failed := 0
	var first error
	for _, q := range p.queries {
		r := reading{signal: q.signal, query: q.query}
		v, _, _, err := p.api.Query(ctx, q.query, now)
		if err == nil {
			r.value, err = single(q.query, v)
			r.value *= q.scale
		} else {
			err = fmt.Errorf("query %q: %w", q.query, err)
		}
		if err != nil {
			r.err = err
			failed++
			if first == nil {
				first = err
			}
		}
		out = append(out, r)
	}
	if failed > 0 && failed == len(p.queries) {
		// Nothing answered: the server, not a query, is the problem.
		return out, nil, first
	}
	return out, nil, nil
}

// single takes the one value an instant query should give.
func single(query string, v model.Value) (float64, error) {
	switch v := v.(type) {
	case *model.Scalar:
		return float64(v.Value), nil
	case model.Vector:
		if len(v) == 1 {
			return float64(v[0].Value), nil
		}
		return 0, fmt.Errorf("query %q: want 1 series, got %s", query, describeVector(v))
	default:
		return 0, fmt.Errorf("query %q: want a vector, got a %s", query, v.Type())
	}
}

func describeVector(v model.Vector) string {
	if len(v) == 0 {
		return "no series (is the metric scraped, and do the labels match?)"
	}
	var parts []string
	for i, s := range v {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(v)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s => %s", s.Metric, s.Value))
	}
	return fmt.Sprintf("%d series: %s (aggregate them, e.g. with sum(...))", len(v), strings.Join(parts, ", "))
}

func (p *promSource) finish(ctx context.Context, start, end time.Time, step time.Duration) []rangeResult {
	var out []rangeResult
	for _, q := range p.queries {
		r := rangeResult{signal: q.signal, query: q.query}
		v, _, _, err := p.api.QueryRange(ctx, q.query, v1.Range{Start: start, End: end, Step: step})
		if err != nil {
			r.err = fmt.Errorf("range query %q: %w", q.query, err)
			out = append(out, r)
			continue
		}
		m, ok := v.(model.Matrix)
		switch {
		case !ok:
			r.err = fmt.Errorf("range query %q: want a matrix, got a %s", q.query, v.Type())
		case len(m) != 1:
			var labels []string
			for _, ss := range m {
				labels = append(labels, ss.Metric.String())
			}
			r.err = fmt.Errorf("range query %q: want 1 series, got %d: %s", q.query, len(m), strings.Join(labels, ", "))
		default:
			for _, sp := range m[0].Values {
				r.points = append(r.points, timedValue{at: sp.Timestamp.Time(), v: float64(sp.Value) * q.scale})
			}
		}
		out = append(out, r)
	}
	return out
}

// roundTripper builds the HTTP transport: TLS verification stays on unless
// insecureSkipVerify says otherwise; credentials come from the environment
// or files, read once here so that a missing one fails before the run.
func (a *PrometheusAuth) roundTripper(getenv func(string) string) (http.RoundTripper, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	if a == nil {
		return base, nil
	}
	tc := &tls.Config{InsecureSkipVerify: a.InsecureSkipVerify} //nolint:gosec // only when the scenario asks for it
	if a.CAFile != "" {
		pem, err := os.ReadFile(a.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read auth.caFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("read auth.caFile %s: no PEM certificate in it", a.CAFile)
		}
		tc.RootCAs = pool
	}
	base.TLSClientConfig = tc
	h := http.Header{}
	for k, v := range a.Headers {
		h.Set(k, v)
	}
	token, err := secret(getenv, "auth.bearerToken", a.BearerTokenEnv, a.BearerTokenFile)
	if err != nil {
		return nil, err
	}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if b := a.Basic; b != nil {
		pw, err := secret(getenv, "auth.basic.password", b.PasswordEnv, b.PasswordFile)
		if err != nil {
			return nil, err
		}
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(b.Username, pw)
		h.Set("Authorization", req.Header.Get("Authorization"))
	}
	return headerTransport{base: base, header: h}, nil
}

func secret(getenv func(string) string, what, env, file string) (string, error) {
	switch {
	case env != "":
		v := getenv(env)
		if v == "" {
			return "", fmt.Errorf("%s: environment variable %s is empty or unset", what, env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", what, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// redact hides a password written into a URL, since details end up in reports.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

// headerTransport adds fixed headers to every request.
type headerTransport struct {
	base   http.RoundTripper
	header http.Header
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range t.header {
		r.Header[k] = vs
	}
	return t.base.RoundTrip(r)
}
