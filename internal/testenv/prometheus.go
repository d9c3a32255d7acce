package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DefaultScrapeInterval is the scrape and rule evaluation interval when
// PrometheusOptions.ScrapeInterval is zero: short, so tests see data quickly.
const DefaultScrapeInterval = time.Second

// PrometheusOptions configures the Prometheus server of one test.
type PrometheusOptions struct {
	// Targets are host:port addresses scraped by one job named "surge-test".
	Targets []string
	// ScrapeInterval defaults to DefaultScrapeInterval; the scrape timeout
	// equals it.
	ScrapeInterval time.Duration
	// MetricsPath defaults to /metrics.
	MetricsPath string
	// Rules, when set, is the YAML content of a rule file (recording or
	// alerting rules), evaluated every ScrapeInterval.
	Rules string
}

// PrometheusServer is a running Prometheus with its TSDB in a temporary
// directory. It is killed when the test ends.
type PrometheusServer struct {
	// URL is the base URL of the HTTP API, e.g. http://127.0.0.1:41234.
	URL string
	// Addr is the host:port part of URL.
	Addr string

	daemon
}

// Prometheus starts a Prometheus server that scrapes opts.Targets and waits
// until it is ready.
func Prometheus(t testing.TB, opts PrometheusOptions) *PrometheusServer {
	t.Helper()
	bin := binary(t, prometheusBin)
	dir := t.TempDir()
	interval := opts.ScrapeInterval
	if interval <= 0 {
		interval = DefaultScrapeInterval
	}
	configPath := filepath.Join(dir, "prometheus.yml")
	var ruleFiles []string
	if opts.Rules != "" {
		rulePath := filepath.Join(dir, "rules.yml")
		if err := os.WriteFile(rulePath, []byte(opts.Rules), 0o644); err != nil {
			t.Fatalf("testenv: write prometheus rules: %v", err)
		}
		ruleFiles = append(ruleFiles, rulePath)
	}
	cfg := prometheusConfig(opts.Targets, interval, opts.MetricsPath, ruleFiles)
	if err := os.WriteFile(configPath, []byte(cfg), 0o644); err != nil {
		t.Fatalf("testenv: write prometheus config: %v", err)
	}
	s := &PrometheusServer{daemon: daemon{t: t, name: "prometheus", bin: bin, log: filepath.Join(dir, "prometheus.log")}}
	s.probe = func() error { return httpOK(s.URL + "/-/ready") }
	tsdb := filepath.Join(dir, "data")
	s.proc = startWithRetry(t, func(int) (*process, error) {
		s.Addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
		s.URL = "http://" + s.Addr
		s.args = []string{
			"--config.file=" + configPath,
			"--storage.tsdb.path=" + tsdb,
			"--web.listen-address=" + s.Addr,
			"--web.enable-lifecycle",
			"--log.level=info",
		}
		p := startProcess(t, "prometheus", s.log, bin, s.args, nil)
		return p, p.waitReady(readyTimeout, s.probe)
	})
	return s
}

// prometheusConfig renders prometheus.yml. Targets are quoted so that any
// host:port form survives YAML.
func prometheusConfig(targets []string, interval time.Duration, metricsPath string, ruleFiles []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  scrape_timeout: %s\n  evaluation_interval: %s\n",
		promDuration(interval), promDuration(interval), promDuration(interval))
	if len(ruleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range ruleFiles {
			fmt.Fprintf(&b, "  - %s\n", strconv.Quote(f))
		}
	}
	b.WriteString("scrape_configs:\n")
	if len(targets) == 0 {
		return b.String() + "  []\n"
	}
	if metricsPath == "" {
		metricsPath = "/metrics"
	}
	fmt.Fprintf(&b, "  - job_name: surge-test\n    metrics_path: %s\n    static_configs:\n      - targets:\n",
		strconv.Quote(metricsPath))
	for _, target := range targets {
		fmt.Fprintf(&b, "          - %s\n", strconv.Quote(target))
	}
	return b.String()
}

// promDuration writes d in Prometheus's duration syntax, which has no
// fractional units: 1500ms, not 1.5s.
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// WaitForTargetsUp waits until every configured target has been scraped
// successfully at least once, so that queries see its series.
func (s *PrometheusServer) WaitForTargetsUp(t testing.TB, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = s.targetsUp(ctx); last == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("testenv: prometheus targets not up after %s: %v", timeout, last)
		case <-tick.C:
		}
	}
}

func (s *PrometheusServer) targetsUp(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/targets?state=active", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return fmt.Errorf("decode targets: %w", err)
	}
	if len(body.Data.ActiveTargets) == 0 {
		return fmt.Errorf("no active targets yet")
	}
	for _, tg := range body.Data.ActiveTargets {
		if tg.Health != "up" {
			return fmt.Errorf("target %s is %q (%s)", tg.ScrapeURL, tg.Health, tg.LastError)
		}
	}
	return nil
}

// httpOK succeeds when GET url answers 200.
func httpOK(url string) error {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
