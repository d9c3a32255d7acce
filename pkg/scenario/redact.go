package scenario

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/redact"
)

// Redacted is what replaces a secret in a saved scenario.
const Redacted = redact.Marker

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
		if redact.Header(k.Value) && v.Kind == yaml.ScalarNode && !strings.Contains(v.Value, "{{") {
			v.Value, v.Style = Redacted, 0
		}
	}
}

func redactURLNode(n *yaml.Node) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return
	}
	if r := redact.URL(n.Value); r != n.Value {
		n.Value = r
	}
}
