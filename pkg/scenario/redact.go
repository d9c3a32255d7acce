package scenario

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Redacted is what replaces a secret in a saved scenario.
const Redacted = "REDACTED"

// sensitiveHeader tells whether a header's value is a credential.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "x-auth-token":
		return true
	}
	for _, w := range []string{"token", "secret", "password", "passwd", "apikey", "api-key", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactedCopy returns the scenario file as run — with the --set overrides
// applied — and with literal credentials replaced by REDACTED: values of
// credential headers (the target's, each request kind's and the Prometheus
// auth headers), passwords in URLs and credential query parameters.
// Templated values ({{ env "TOKEN" }}) name a variable, not a secret, and
// are kept, so the copy reruns with the same environment.
func RedactedCopy(data []byte, set []string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("redact scenario: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("redact scenario: empty document")
	}
	root := doc.Content[0]
	for _, kv := range set {
		if err := applySet(root, kv); err != nil {
			return nil, fmt.Errorf("redact scenario: --set %s: %w", kv, err)
		}
	}
	target := child(root, "target")
	redactHeaders(child(target, "headers"))
	redactURLNode(child(target, "url"))
	if reqs := child(target, "requests"); reqs != nil && reqs.Kind == yaml.SequenceNode {
		for _, r := range reqs.Content {
			redactHeaders(child(r, "headers"))
			redactURLNode(child(r, "url"))
			redactURLNode(child(r, "path"))
		}
	}
	observe := child(root, "observe")
	prom := child(observe, "prometheus")
	redactURLNode(child(prom, "url"))
	redactHeaders(child(child(prom, "auth"), "headers"))
	redactURLNode(child(child(observe, "scrape"), "url"))
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("redact scenario: %w", err)
	}
	return buf.Bytes(), nil
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func redactHeaders(h *yaml.Node) {
	if h == nil || h.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(h.Content); i += 2 {
		k, v := h.Content[i], h.Content[i+1]
		if sensitiveHeader(k.Value) && v.Kind == yaml.ScalarNode && !strings.Contains(v.Value, "{{") {
			v.Value, v.Style = Redacted, 0
		}
	}
}

func redactURLNode(n *yaml.Node) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return
	}
	if r := RedactURL(n.Value); r != n.Value {
		n.Value = r
	}
}

// sensitiveParam tells whether a URL query parameter carries a credential
// (?api_key=..., ?access_token=..., a presigned URL's signature).
func sensitiveParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"token", "secret", "password", "passwd", "pwd", "key", "signature", "sig", "auth", "credential", "session"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// RedactURL hides a URL's password and the values of its credential query
// parameters. The rest of the text is kept byte for byte, so a templated
// URL stays readable; templated values name a variable and are kept.
func RedactURL(raw string) string {
	out := raw
	if scheme := strings.Index(out, "://"); scheme >= 0 {
		rest := out[scheme+3:]
		// The authority ends at the first /, ? or #; a @ after it is not userinfo.
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			if user, pw, ok := strings.Cut(rest[:at], ":"); ok && pw != "" && !strings.Contains(pw, "{{") {
				out = out[:scheme+3] + user + ":" + Redacted + rest[at:]
			}
		}
	}
	q := strings.Index(out, "?")
	if q < 0 {
		return out
	}
	query, frag := out[q+1:], ""
	if h := strings.Index(query, "#"); h >= 0 {
		query, frag = query[:h], query[h:]
	}
	params := strings.Split(query, "&")
	changed := false
	for i, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" || strings.Contains(v, "{{") {
			continue
		}
		name := k
		if u, err := url.QueryUnescape(k); err == nil {
			name = u
		}
		if sensitiveParam(name) {
			params[i] = k + "=" + Redacted
			changed = true
		}
	}
	if !changed {
		return out
	}
	return out[:q+1] + strings.Join(params, "&") + frag
}
