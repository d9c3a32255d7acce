package scenario

import (
	"bytes"
	"fmt"
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
// applied — and with literal credentials in request headers replaced by
// REDACTED. Templated values ({{ env "TOKEN" }}) name a variable, not a
// secret, and are kept, so the copy reruns with the same environment.
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
	if reqs := child(target, "requests"); reqs != nil && reqs.Kind == yaml.SequenceNode {
		for _, r := range reqs.Content {
			redactHeaders(child(r, "headers"))
		}
	}
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

// RedactURL hides a URL's password.
func RedactURL(raw string) string {
	at := strings.Index(raw, "@")
	scheme := strings.Index(raw, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return raw
	}
	userinfo := raw[scheme+3 : at]
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return raw[:scheme+3] + user + ":" + Redacted + raw[at:]
	}
	return raw
}
