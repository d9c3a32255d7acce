package scenario

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// applySet applies one "path=value" override to the document's root
// mapping. The value is read as YAML, so numbers, durations, lists and
// mappings all work: load.stages[1].rate=100, target.timeout=2s,
// target.headers={X-Env: staging}. Missing mapping keys are created; list
// indexes must exist.
func applySet(root *yaml.Node, kv string) error {
	path, value, ok := strings.Cut(kv, "=")
	if !ok || strings.TrimSpace(path) == "" {
		return fmt.Errorf("want key=value")
	}
	var v yaml.Node
	if err := yaml.Unmarshal([]byte(value), &v); err != nil {
		return fmt.Errorf("value: %w", err)
	}
	repl := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: ""}
	if len(v.Content) > 0 {
		repl = v.Content[0]
	}
	segs, err := splitPath(path)
	if err != nil {
		return err
	}
	n := root
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg.index >= 0 {
			if n.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s is not a list", seg.text)
			}
			if seg.index >= len(n.Content) {
				return fmt.Errorf("%s: index %d out of range (the list has %d items)", seg.text, seg.index, len(n.Content))
			}
			if last {
				n.Content[seg.index] = repl
				return nil
			}
			n = n.Content[seg.index]
			continue
		}
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: the parent is not a mapping", seg.text)
		}
		var child *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == seg.key {
				if last {
					n.Content[j+1] = repl
					return nil
				}
				child = n.Content[j+1]
			}
		}
		if child == nil {
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if last {
				child = repl
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: seg.key}, child)
			if last {
				return nil
			}
		}
		n = child
	}
	return nil
}

type pathSeg struct {
	key   string
	index int // -1 for a key
	text  string
}

// splitPath splits "load.stages[1].rate" into key and index segments.
func splitPath(p string) ([]pathSeg, error) {
	var out []pathSeg
	for _, part := range strings.Split(p, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			out = append(out, pathSeg{key: key, index: -1, text: key})
		}
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 {
				return nil, fmt.Errorf("bad list index in %q", p)
			}
			out = append(out, pathSeg{index: i, text: fmt.Sprintf("%s[%d]", key, i)})
			rest = strings.TrimPrefix(after, "[")
		}
		if key == "" && len(out) == 0 {
			return nil, fmt.Errorf("empty key in %q", p)
		}
	}
	return out, nil
}
