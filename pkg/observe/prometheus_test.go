package observe

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProm answers the query API from a table of PromQL -> JSON result.
type fakeProm struct {
	mu      sync.Mutex
	results map[string]string // query -> the "data" object
	headers []http.Header
}

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f.mu.Lock()
	f.headers = append(f.headers, r.Header.Clone())
	data, ok := f.results[r.Form.Get("query")]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		msg, _ := json.Marshal("parse error in " + r.Form.Get("query"))
		fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":%s}`, msg)
		return
	}
	fmt.Fprintf(w, `{"status":"success","data":%s}`, data)
}

func vectorJSON(series ...string) string {
	return `{"resultType":"vector","result":[` + strings.Join(series, ",") + `]}`
}

func sample(labels string, v float64) string {
	return fmt.Sprintf(`{"metric":%s,"value":[%d,"%g"]}`, labels, t0.Unix(), v)
}

func TestRenderQueries(t *testing.T) {
	k := &KubernetesConfig{Namespace: "ai-services", Deployment: "ai-inference"}
	tests := []struct {
		name      string
		signals   map[string]string
		vars      map[string]string
		scale     map[string]float64
		want      string
		wantScale float64
		wantErr   string
	}{
		{
			name:      "gpu preset by its own name",
			signals:   map[string]string{"gpu": ""},
			want:      `avg(DCGM_FI_DEV_GPU_UTIL{namespace="ai-services",pod=~"ai-inference-[a-z0-9]+-[a-z0-9]+"}) / 100`,
			wantScale: 1,
		},
		{
			name:      "p95 preset in ms with a selector and window",
			signals:   map[string]string{"p95_latency": "p95_latency"},
			vars:      map[string]string{"selector": `job="sim"`, "window": "30s"},
			want:      `histogram_quantile(0.95, sum(rate(inference_latency_seconds_bucket{job="sim"}[30s])) by (le)) * 1000`,
			wantScale: 1,
		},
		{
			name:      "p95 preset over a histogram already in ms",
			signals:   map[string]string{"p95_latency": ""},
			vars:      map[string]string{"histogram": "inference_latency"},
			want:      `histogram_quantile(0.95, sum(rate(inference_latency_bucket{}[1m])) by (le)) * 1`,
			wantScale: 1,
		},
		{
			name:      "queue preset under another signal name",
			signals:   map[string]string{"backlog": "queue_depth"},
			vars:      map[string]string{"listName": "jobs"},
			want:      `sum(redis_key_size{key="jobs"})`,
			wantScale: 1,
		},
		{
			name:      "raw query in seconds is scaled to ms",
			signals:   map[string]string{"p95_latency": "histogram_quantile(0.95, sum(rate(inference_latency_seconds_bucket[2m])) by (le))"},
			want:      "histogram_quantile(0.95, sum(rate(inference_latency_seconds_bucket[2m])) by (le))",
			wantScale: 1000,
		},
		{
			name:      "raw query that scales itself",
			signals:   map[string]string{"p95_latency": "histogram_quantile(0.95, sum(rate(x_seconds_bucket[2m])) by (le)) * 1000"},
			want:      "histogram_quantile(0.95, sum(rate(x_seconds_bucket[2m])) by (le)) * 1000",
			wantScale: 1,
		},
		{
			name:      "explicit scale wins",
			signals:   map[string]string{"cpu": `avg(my_cpu_percent{ns="{{.namespace}}"})`},
			scale:     map[string]float64{"cpu": 0.01},
			want:      `avg(my_cpu_percent{ns="ai-services"})`,
			wantScale: 0.01,
		},
		{
			name:    "unknown variable",
			signals: map[string]string{"cpu": `avg(x{a="{{.nope}}"})`},
			wantErr: `signals.cpu: query template`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := newPrometheusSource(PrometheusConfig{URL: "http://127.0.0.1:9090", Signals: tt.signals, Vars: tt.vars, Scale: tt.scale}, k, Env{Getenv: func(string) string { return "" }})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q := src.queries[0]
			if q.query != tt.want || q.scale != tt.wantScale {
				t.Fatalf("got %q x%v\nwant %q x%v", q.query, q.scale, tt.want, tt.wantScale)
			}
		})
	}
}

func TestPrometheusPoll(t *testing.T) {
	fp := &fakeProm{results: map[string]string{
		"1":             `{"resultType":"scalar","result":[0,"1"]}`,
		"one":           vectorJSON(sample(`{}`, 42)),
		"none":          vectorJSON(),
		"many":          vectorJSON(sample(`{"pod":"a"}`, 1), sample(`{"pod":"b"}`, 2)),
		"lat_seconds":   vectorJSON(sample(`{}`, 0.25)),
		"histogram_nan": vectorJSON(`{"metric":{},"value":[0,"NaN"]}`),
	}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	src, err := newPrometheusSource(PrometheusConfig{URL: srv.URL, Signals: map[string]string{
		"queue_depth": "one", "gpu": "none", "cpu": "many", "p95_latency": "lat_seconds", "p99_latency": "histogram_nan",
	}, Scale: map[string]float64{"p95_latency": 1000}}, nil, Env{Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.check(context.Background()); err != nil {
		t.Fatalf("check: %v", err)
	}
	rs, _, err := src.poll(context.Background(), t0, t0)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	got := map[string]reading{}
	for _, r := range rs {
		got[r.signal] = r
	}
	tests := []struct {
		signal  string
		want    float64
		wantErr []string
	}{
		{signal: "queue_depth", want: 42},
		{signal: "p95_latency", want: 250},
		{signal: "gpu", wantErr: []string{`query "none"`, "no series"}},
		{signal: "cpu", wantErr: []string{`query "many"`, "2 series", `{pod="a"} => 1`, `{pod="b"} => 2`}},
	}
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			r := got[tt.signal]
			if tt.wantErr == nil {
				if r.err != nil || r.value != tt.want {
					t.Fatalf("got %v %v, want %v", r.value, r.err, tt.want)
				}
				return
			}
			if r.err == nil {
				t.Fatalf("no error, value %v", r.value)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(r.err.Error(), w) {
					t.Errorf("error %q lacks %q", r.err, w)
				}
			}
		})
	}
}

func TestPrometheusCheckRejectsBadQueries(t *testing.T) {
	fp := &fakeProm{results: map[string]string{"1": `{"resultType":"scalar","result":[0,"1"]}`}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	src, err := newPrometheusSource(PrometheusConfig{URL: srv.URL, Signals: map[string]string{"gpu": "sum(oops"}}, nil, Env{Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	err = src.check(context.Background())
	if err == nil || !strings.Contains(err.Error(), `signal gpu: query "sum(oops"`) {
		t.Fatalf("check() = %v", err)
	}
}

func TestPrometheusUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	src, err := newPrometheusSource(PrometheusConfig{URL: url, Signals: map[string]string{"gpu": "x", "cpu": "y"}}, nil, Env{Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.check(context.Background()); err == nil || !strings.Contains(err.Error(), url) {
		t.Fatalf("check() = %v, want an error naming %s", err, url)
	}
	if _, _, err := src.poll(context.Background(), t0, t0); err == nil {
		t.Fatal("poll of a stopped server: no source error")
	}
}

func TestPrometheusAuth(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("file-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PROM_TOKEN": "env-token", "PROM_PASSWORD": "s3cret"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name       string
		auth       *PrometheusAuth
		wantHeader map[string]string
		wantErr    string
	}{
		{name: "bearer from env", auth: &PrometheusAuth{BearerTokenEnv: "PROM_TOKEN"}, wantHeader: map[string]string{"Authorization": "Bearer env-token"}},
		{name: "bearer from file", auth: &PrometheusAuth{BearerTokenFile: tokenFile}, wantHeader: map[string]string{"Authorization": "Bearer file-token"}},
		{name: "basic", auth: &PrometheusAuth{Basic: &BasicAuth{Username: "surge", PasswordEnv: "PROM_PASSWORD"}}, wantHeader: map[string]string{"Authorization": "Basic c3VyZ2U6czNjcmV0"}},
		{name: "custom headers", auth: &PrometheusAuth{Headers: map[string]string{"X-Scope-OrgID": "team-a"}}, wantHeader: map[string]string{"X-Scope-Orgid": "team-a"}},
		{name: "unset token variable", auth: &PrometheusAuth{BearerTokenEnv: "NOPE"}, wantErr: "environment variable NOPE is empty or unset"},
		{name: "missing token file", auth: &PrometheusAuth{BearerTokenFile: filepath.Join(dir, "absent")}, wantErr: "auth.bearerToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp := &fakeProm{results: map[string]string{"1": `{"resultType":"scalar","result":[0,"1"]}`}}
			srv := httptest.NewServer(fp)
			defer srv.Close()
			src, err := newPrometheusSource(PrometheusConfig{URL: srv.URL, Auth: tt.auth}, nil, Env{Getenv: getenv})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := src.check(context.Background()); err != nil {
				t.Fatal(err)
			}
			h := fp.headers[0]
			for k, v := range tt.wantHeader {
				if h.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, h.Get(k), v)
				}
			}
		})
	}
}

func TestPrometheusTLS(t *testing.T) {
	fp := &fakeProm{results: map[string]string{"1": `{"resultType":"scalar","result":[0,"1"]}`}}
	srv := httptest.NewTLSServer(fp)
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		auth    *PrometheusAuth
		wantErr bool
	}{
		{name: "verified by default", auth: nil, wantErr: true},
		{name: "trusted CA file", auth: &PrometheusAuth{CAFile: caFile}},
		{name: "explicitly insecure", auth: &PrometheusAuth{InsecureSkipVerify: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := newPrometheusSource(PrometheusConfig{URL: srv.URL, Auth: tt.auth}, nil, Env{Getenv: os.Getenv})
			if err != nil {
				t.Fatal(err)
			}
			err = src.check(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("check() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestFinishReplacesLiveSamples: the range query over the run replaces the
// instant samples, and its holes are no gaps of the signal.
func TestFinishReplacesLiveSamples(t *testing.T) {
	matrix := func(vals ...float64) string {
		var ps []string
		for i, v := range vals {
			ps = append(ps, fmt.Sprintf(`[%d,"%g"]`, t0.Unix()+int64(5*i), v))
		}
		return `{"resultType":"matrix","result":[{"metric":{},"values":[` + strings.Join(ps, ",") + `]}]}`
	}
	fp := &fakeProm{results: map[string]string{
		"q":     vectorJSON(sample(`{}`, 7)),
		"other": vectorJSON(sample(`{}`, 1)),
	}}
	srv := httptest.NewServer(fp)
	defer srv.Close()
	clock := &fakeClock{t: t0}
	o, err := New(Config{Interval: DefaultInterval, Prometheus: &PrometheusConfig{URL: srv.URL, Signals: map[string]string{"queue_depth": "q", "gpu": "other"}}}, Env{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	o.start = t0
	o.pollOnce(context.Background(), o.sources[0])
	clock.Set(t0.Add(5 * time.Second))
	o.pollOnce(context.Background(), o.sources[0])

	// From now on the server answers range queries for q only.
	fp.mu.Lock()
	fp.results["q"] = matrix(1, 2, 3)
	delete(fp.results, "other")
	fp.mu.Unlock()
	o.Finish(context.Background(), t0.Add(10*time.Second))
	signals, _, infos := o.Result(nil)
	got := map[string]string{}
	for _, s := range signals {
		b, _ := json.Marshal(s.Points)
		got[s.Name] = string(b)
	}
	if got["queue_depth"] != "[[0,1],[5,2],[10,3]]" {
		t.Errorf("queue_depth %s, want the range query's points", got["queue_depth"])
	}
	if got["gpu"] != "[[0,1],[5,1]]" {
		t.Errorf("gpu %s, want the live samples kept", got["gpu"])
	}
	if !strings.Contains(infos[0].Detail, "range query at the end failed") {
		t.Errorf("detail %q", infos[0].Detail)
	}
}
