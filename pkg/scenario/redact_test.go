package scenario

import (
	"strings"
	"testing"
)

func TestRedactedCopy(t *testing.T) {
	const scn = `apiVersion: surge/v1alpha1
kind: Scenario
name: bf
target:
  url: http://svc:pw-SECRET-1@127.0.0.1:8080/enrich?api_key=key-SECRET-2&sku=1
  headers:
    Authorization: Bearer hdr-SECRET-3
    X-Api-Key: hdr-SECRET-4
    X-Session-Id: hdr-SECRET-5
    Content-Type: application/json
    X-Token-From-Env: '{{ env "TOKEN" }}'
  requests:
    - {name: a, weight: 1, headers: {Cookie: "sid=hdr-SECRET-6"}, url: "http://h/x?token=key-SECRET-7"}
load:
  stages:
    - {name: s, duration: 1s, rate: 1}
observe:
  prometheus:
    url: https://reader:pw-SECRET-8@prom.example
    auth:
      bearerTokenEnv: PROM_TOKEN
      headers: {X-Scope-OrgID: tenant-a, Authorization: "Bearer hdr-SECRET-9"}
  scrape:
    url: http://h/metrics?token=key-SECRET-10
`
	tests := []struct {
		name      string
		set       []string
		gone      []string
		kept      []string
		redacted  int
		wantError string
	}{
		{
			name:     "every literal credential",
			gone:     []string{"SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4", "SECRET-5", "SECRET-6", "SECRET-7", "SECRET-8", "SECRET-9", "SECRET-10"},
			kept:     []string{"application/json", `{{ env "TOKEN" }}`, "tenant-a", "PROM_TOKEN", "sku=1", "http://svc:REDACTED@127.0.0.1:8080/enrich"},
			redacted: 10,
		},
		{
			name:     "a credential given with --set",
			set:      []string{"target.headers.Proxy-Authorization=Basic set-SECRET-11", "load.stages[0].rate=5"},
			gone:     []string{"set-SECRET-11"},
			kept:     []string{"rate: 5"},
			redacted: 11,
		},
		{
			name:      "a --set that does not apply",
			set:       []string{"load.stages[3].rate=5"},
			wantError: "--set load.stages[3].rate=5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := RedactedCopy([]byte(scn), tt.set)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := string(out)
			for _, s := range tt.gone {
				if strings.Contains(got, s) {
					t.Errorf("%q survived redaction:\n%s", s, got)
				}
			}
			for _, s := range tt.kept {
				if !strings.Contains(got, s) {
					t.Errorf("%q was lost:\n%s", s, got)
				}
			}
			if n := strings.Count(got, Redacted); n != tt.redacted {
				t.Errorf("%d values redacted, want %d:\n%s", n, tt.redacted, got)
			}
			// The copy is still a valid scenario: it reruns.
			if _, err := Parse(out, "copy.yaml", Options{}); err != nil {
				t.Errorf("the redacted copy does not load: %v", err)
			}
		})
	}
}
