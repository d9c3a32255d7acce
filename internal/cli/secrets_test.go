package cli

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/surge-sh/surge/internal/testenv"
)

// seenHeaders is a loopback target that remembers what credentials reached
// it, so a test knows the secret was really used before checking that
// nothing written shows it.
type seenHeaders struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]bool
}

func newSeenHeaders(t *testing.T) *seenHeaders {
	s := &seenHeaders{seen: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_ = r.Header.Write(&b)
		body := make([]byte, 4096)
		n, _ := r.Body.Read(body)
		s.mu.Lock()
		s.seen[b.String()+"\n"+r.URL.String()+"\n"+string(body[:n])] = true
		s.mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *seenHeaders) saw(secret string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.seen {
		if strings.Contains(k, secret) {
			return true
		}
	}
	return false
}

// authProxy fronts a real Prometheus and lets through only requests that
// carry the expected Authorization header.
func authProxy(t *testing.T, promURL string) (*httptest.Server, *sync.Map) {
	u, err := url.Parse(promURL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	seen := &sync.Map{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		if a == "" {
			http.Error(w, "no credentials", http.StatusUnauthorized)
			return
		}
		seen.Store(a, true)
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

// outputsContaining lists the files under dir, and the streams, that hold s.
func outputsContaining(t *testing.T, dir, s string, streams map[string]string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			rel, _ := filepath.Rel(dir, path)
			hits = append(hits, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range streams {
		if strings.Contains(text, s) {
			hits = append(hits, name)
		}
	}
	return hits
}

func TestSecretsNeverWritten(t *testing.T) {
	target := newSeenHeaders(t)
	gauge := metricsTarget(t, "surge_test_queue_depth", 3)
	prom := testenv.Prometheus(t, testenv.PrometheusOptions{Targets: []string{strings.TrimPrefix(gauge.URL, "http://")}})
	prom.WaitForTargetsUp(t, 20*time.Second)
	proxy, promSeen := authProxy(t, prom.URL)
	tokenFile := filepath.Join(t.TempDir(), "prom-token")
	if err := os.WriteFile(tokenFile, []byte("file-SECRET-prom-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hostPort := strings.TrimPrefix(target.URL, "http://")

	tests := []struct {
		name   string
		target string // the target: block
		prom   string // the observe.prometheus.auth block, if any
		env    map[string]string
		set    []string
		// secrets must reach their destination and appear nowhere else.
		secrets []string
		// promSecrets reach Prometheus rather than the target.
		promSecrets []string
		// inURL: the secret travels in the request URL, which the raw
		// results stream records as sent (vegeta's format).
		inURL bool
	}{
		{
			name: "literal header values",
			target: `url: ` + target.URL + `
  headers: {Authorization: "Bearer lit-SECRET-bearer", X-Api-Key: lit-SECRET-apikey, Cookie: "session=lit-SECRET-cookie"}`,
			secrets: []string{"lit-SECRET-bearer", "lit-SECRET-apikey", "lit-SECRET-cookie"},
		},
		{
			name: "request kind headers",
			target: `url: ` + target.URL + `
  requests:
    - {name: a, weight: 1, headers: {X-Auth-Token: kind-SECRET-token}}`,
			secrets: []string{"kind-SECRET-token"},
		},
		{
			name: "env template values",
			target: `url: ` + target.URL + `
  headers: {Authorization: 'Bearer {{ env "SURGE_TEST_TOKEN" }}', X-Tenant: '{{ env "SURGE_TEST_TENANT" }}'}
  body: '{"key": "{{ env "SURGE_TEST_BODY_KEY" }}"}'
  method: POST`,
			env:     map[string]string{"SURGE_TEST_TOKEN": "env-SECRET-token", "SURGE_TEST_TENANT": "env-SECRET-tenant", "SURGE_TEST_BODY_KEY": "env-SECRET-body"},
			secrets: []string{"env-SECRET-token", "env-SECRET-tenant", "env-SECRET-body"},
		},
		{
			name:    "password in the target URL",
			target:  `url: http://alice:url-SECRET-password@` + hostPort + `/enrich`,
			secrets: []string{"url-SECRET-password"},
			inURL:   true,
		},
		{
			name:    "key in the target URL query",
			target:  `url: ` + target.URL + `/enrich?sku=1&api_key=query-SECRET-key&token=query-SECRET-token`,
			secrets: []string{"query-SECRET-key", "query-SECRET-token"},
			inURL:   true,
		},
		{
			name:    "env template in the target URL query",
			target:  `url: '` + target.URL + `/enrich?access_token={{ env "SURGE_TEST_URL_TOKEN" }}'`,
			env:     map[string]string{"SURGE_TEST_URL_TOKEN": "env-SECRET-url-token"},
			secrets: []string{"env-SECRET-url-token"},
			inURL:   true,
		},
		{
			name:    "header given with --set",
			target:  `url: ` + target.URL,
			set:     []string{"target.headers.Authorization=Bearer set-SECRET-bearer"},
			secrets: []string{"set-SECRET-bearer"},
		},
		{
			name:        "prometheus bearer token from the environment",
			target:      `url: ` + target.URL,
			prom:        `{bearerTokenEnv: SURGE_TEST_PROM_TOKEN}`,
			env:         map[string]string{"SURGE_TEST_PROM_TOKEN": "env-SECRET-prom-token"},
			promSecrets: []string{"env-SECRET-prom-token"},
		},
		{
			name:        "prometheus bearer token from a file",
			target:      `url: ` + target.URL,
			prom:        `{bearerTokenFile: ` + tokenFile + `}`,
			promSecrets: []string{"file-SECRET-prom-token"},
		},
		{
			name:   "prometheus basic auth and a header",
			target: `url: ` + target.URL,
			prom:   `{basic: {username: surge, passwordEnv: SURGE_TEST_PROM_PW}, headers: {X-Scope-OrgID: tenant-1, X-Api-Key: hdr-SECRET-prom}}`,
			env:    map[string]string{"SURGE_TEST_PROM_PW": "env-SECRET-prom-password"},
			// The basic password travels base64-encoded: check the raw value
			// never shows, and that Prometheus got a Basic header.
			promSecrets: []string{"hdr-SECRET-prom"},
			secrets:     []string{"env-SECRET-prom-password"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scn := fmt.Sprintf(`apiVersion: surge/v1alpha1
kind: Scenario
name: secrets
target:
  %s
  timeout: 2s
load:
  stages:
    - {name: steady, duration: 2s, rate: 10}
`, tt.target)
			if tt.prom != "" {
				scn += fmt.Sprintf(`observe:
  interval: 1s
  prometheus:
    url: %s
    signals: {queue_depth: surge_test_queue_depth}
    auth: %s
`, proxy.URL, tt.prom)
			}
			w := newTestWorld()
			w.f.Now = time.Now
			// The progress view may still print as the command returns.
			errOut := &lockedBuffer{}
			w.f.IO.ErrOut = errOut
			for k, v := range tt.env {
				w.env[k] = v
			}
			dir := t.TempDir()
			args := []string{"run", writeScenarioFile(t, scn), "--out", dir, "--format", "json,md,html,junit", "--progress-every", "1s"}
			for _, s := range tt.set {
				args = append(args, "--set", s)
			}
			code := w.run(args...)
			if code != ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, errOut)
			}
			rep := readRunReport(t, dir)
			if rep.Totals.Successes != 20 {
				t.Errorf("%d successes of 20: the run did not do its work", rep.Totals.Successes)
			}
			streams := map[string]string{"stderr": errOut.String(), "stdout": w.out.String()}
			for _, s := range tt.secrets {
				sent := s
				if strings.Contains(s, "url-SECRET-password") {
					sent = "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+s))
				}
				if !strings.Contains(s, "prom-password") && !target.saw(sent) {
					t.Errorf("the target never received %q: the test proves nothing", sent)
				}
				// results.gob included: the stream records each URL redacted.
				hits := outputsContaining(t, dir, s, streams)
				if len(hits) > 0 {
					t.Errorf("secret %q written to %v", s, hits)
				}
			}
			for _, s := range tt.promSecrets {
				found := false
				promSeen.Range(func(k, _ any) bool {
					found = found || strings.Contains(k.(string), s)
					return true
				})
				if !found && !strings.HasPrefix(s, "hdr-") {
					t.Errorf("Prometheus never received %q: the test proves nothing", s)
				}
				if hits := outputsContaining(t, dir, s, streams); len(hits) > 0 {
					t.Errorf("secret %q written to %v", s, hits)
				}
			}
			if tt.prom != "" {
				if sig := rep.Signal("queue_depth"); sig == nil || len(sig.Points) == 0 {
					t.Errorf("no queue_depth read through the authenticating proxy: %+v", rep.Sources)
				}
			}
			saved, err := os.ReadFile(filepath.Join(dir, "scenario.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if len(tt.secrets)+len(tt.promSecrets) > 0 && tt.prom == "" && !strings.Contains(string(saved), "REDACTED") && !strings.Contains(string(saved), "{{") {
				t.Errorf("the saved scenario shows no redaction:\n%s", saved)
			}
		})
	}
}

func TestTLSVerifiedByDefault(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	// Refused handshakes are the point here, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	tests := []struct {
		name        string
		insecure    string
		wantOK      int64
		wantClassed string
	}{
		{name: "self-signed certificate refused", wantClassed: "other"},
		{name: "insecureSkipVerify accepts it", insecure: "\n  insecureSkipVerify: true", wantOK: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scn := fmt.Sprintf(`apiVersion: surge/v1alpha1
kind: Scenario
name: tls
target:
  url: %s
  timeout: 2s%s
load:
  stages:
    - {name: steady, duration: 1s, rate: 10}
`, srv.URL, tt.insecure)
			w := newTestWorld()
			w.f.Now = time.Now
			dir := t.TempDir()
			if code := w.run("run", writeScenarioFile(t, scn), "--out", dir, "--quiet"); code != ExitOK {
				t.Fatalf("exit %d; stderr:\n%s", code, w.errOut)
			}
			tot := readRunReport(t, dir).Totals
			if tot.Successes != tt.wantOK {
				t.Errorf("%d successes, want %d", tot.Successes, tt.wantOK)
			}
			if tt.wantClassed != "" && tot.ErrorsByClass[tt.wantClassed] != tot.Requests {
				t.Errorf("errors by class %v of %d requests, want every one %q (certificate error)", tot.ErrorsByClass, tot.Requests, tt.wantClassed)
			}
		})
	}
	// Sanity: the server really is self-signed for a default client.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}
	if _, err := c.Get(srv.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a default client accepted the test server: %v", err)
	}
}

func TestSafetyLimits(t *testing.T) {
	srv := newCountingTarget(t, 0)
	tests := []struct {
		name     string
		load     string
		args     []string
		want     int
		wantErr  string
		wantSent bool
	}{
		{name: "rate above maxRate", load: "maxRate: 100\n  stages:\n    - {name: s, duration: 1s, rate: 150}", want: ExitInvalid, wantErr: "load.stages[0].rate: peaks at 150 requests/second, above load.maxRate 100"},
		{name: "ramp above maxRate", load: "maxRate: 100\n  stages:\n    - {name: s, duration: 10s, rate: 10..101}", want: ExitInvalid, wantErr: "above load.maxRate 100"},
		{name: "rate at maxRate", load: "maxRate: 10\n  stages:\n    - {name: s, duration: 1s, rate: 10}", want: ExitOK, wantSent: true},
		{name: "plan above --max-requests", load: "stages:\n    - {name: s, duration: 1s, rate: 10}", args: []string{"--max-requests", "5"}, want: ExitInvalid, wantErr: "the plan sends 10 requests, more than --max-requests 5"},
		{name: "--yes overrides --max-requests", load: "stages:\n    - {name: s, duration: 1s, rate: 10}", args: []string{"--max-requests", "5", "--yes"}, want: ExitOK, wantSent: true},
		{name: "default limit", load: "stages:\n    - {name: s, duration: 1h, rate: 1000}", want: ExitInvalid, wantErr: "the plan sends 3600000 requests, more than --max-requests 2000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scn := fmt.Sprintf("apiVersion: surge/v1alpha1\nkind: Scenario\nname: limits\ntarget: {url: %s}\nload:\n  %s\n", srv.URL, tt.load)
			before := srv.n.Load()
			w := newTestWorld()
			w.f.Now = time.Now
			args := append([]string{"run", writeScenarioFile(t, scn), "--out", t.TempDir(), "--quiet"}, tt.args...)
			if code := w.run(args...); code != tt.want {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.want, w.errOut)
			}
			if tt.wantErr != "" && !strings.Contains(w.errOut.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, w.errOut)
			}
			if sent := srv.n.Load() != before; sent != tt.wantSent {
				t.Errorf("requests sent: %v, want %v", sent, tt.wantSent)
			}
		})
	}
}
