package scenario

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/problem"
)

// index maps field paths to the YAML nodes that hold their values, so that a
// problem found by validation can be reported with its line and column.
type index struct {
	nodes map[string]*yaml.Node
	// byLine lists the paths whose value starts on a line, in walk order.
	byLine map[int][]string
}

var (
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	nodeType        = reflect.TypeOf(yaml.Node{})
)

// checkKeys walks n against the Go type t the way yaml.v3 will decode it,
// records every path's node, and reports each key that t has no field for.
// yaml.v3's own KnownFields stops at the first unknown key and gives no
// column; a scenario author wants them all, placed exactly.
func (ix *index) checkKeys(n *yaml.Node, t reflect.Type, path string, probs *problem.List) {
	if n == nil {
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) > 0 {
			ix.checkKeys(n.Content[0], t, path, probs)
		}
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	ix.record(path, n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nodeType {
		return // decoded later by the block's own package
	}
	custom := reflect.PointerTo(t).Implements(unmarshalerType)
	switch t.Kind() {
	case reflect.Struct:
		// A type with its own unmarshaler checks its own keys.
		if custom || n.Kind != yaml.MappingNode {
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				probs.Addf(path, "%s", unknownKey(k.Value, fields))
				(*probs)[len(*probs)-1].Line, (*probs)[len(*probs)-1].Column = k.Line, k.Column
				continue
			}
			ix.checkKeys(v, ft, problem.Join(path, k.Value), probs)
		}
	case reflect.Slice, reflect.Array:
		if custom || n.Kind != yaml.SequenceNode {
			return
		}
		for i, el := range n.Content {
			ix.checkKeys(el, t.Elem(), fmt.Sprintf("%s[%d]", path, i), probs)
		}
	case reflect.Map:
		if custom || n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			ix.checkKeys(n.Content[i+1], t.Elem(), problem.Join(path, n.Content[i].Value), probs)
		}
	}
}

func (ix *index) record(path string, n *yaml.Node) {
	if ix.nodes == nil {
		ix.nodes = map[string]*yaml.Node{}
		ix.byLine = map[int][]string{}
	}
	if _, seen := ix.nodes[path]; !seen {
		ix.nodes[path] = n
		ix.byLine[n.Line] = append(ix.byLine[n.Line], path)
	}
}

// locate fills in the position of p from its path, falling back to the
// nearest recorded parent path.
func (ix *index) locate(p problem.Problem) problem.Problem {
	if p.Line > 0 {
		return p
	}
	for path := p.Path; ; path = parentPath(path) {
		if n, ok := ix.nodes[path]; ok {
			p.Line, p.Column = n.Line, n.Column
			return p
		}
		if path == "" {
			return p
		}
	}
}

func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// yamlFields maps YAML keys to field types, following inline structs.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// unknownKey words an unknown-key problem, suggesting the nearest known key.
func unknownKey(key string, fields map[string]reflect.Type) string {
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	sort.Strings(known)
	if best, ok := problem.Nearest(key, known); ok {
		return fmt.Sprintf("unknown field %q (did you mean %q?)", key, best)
	}
	return fmt.Sprintf("unknown field %q (known: %s)", key, strings.Join(known, ", "))
}

var (
	yamlErrLine = regexp.MustCompile(`^line (\d+)(?::(\d+))?: (.*)$`)
	// yamlErrValue is the offending value yaml.v3 quotes, cut to a prefix
	// and "..." when long: cannot unmarshal !!str `many` into int.
	yamlErrValue = regexp.MustCompile("`([^`]*)`")
)

// pathOfValue picks, among the paths whose values start on one line (a flow
// mapping such as {maxInFlight: many, stages: [...]}), the one holding the
// value an error message quotes; else the innermost, last one.
func (ix *index) pathOfValue(paths []string, msg string) string {
	last := paths[len(paths)-1]
	m := yamlErrValue.FindStringSubmatch(msg)
	if m == nil {
		return last
	}
	v, cut := strings.CutSuffix(m[1], "...")
	for _, path := range paths {
		n := ix.nodes[path]
		if n.Kind != yaml.ScalarNode {
			continue
		}
		if n.Value == v || cut && strings.HasPrefix(n.Value, v) {
			return path
		}
	}
	return last
}

// typeProblems turns yaml.v3's decode errors into problems placed on the
// field path whose value sits on the reported line.
func (ix *index) typeProblems(err error) []problem.Problem {
	var msgs []string
	switch e := err.(type) {
	case *yaml.TypeError:
		msgs = e.Errors
	default:
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out []problem.Problem
	for _, m := range msgs {
		p := problem.Problem{Message: m}
		if sm := yamlErrLine.FindStringSubmatch(m); sm != nil {
			p.Line, _ = strconv.Atoi(sm[1])
			p.Column, _ = strconv.Atoi(sm[2])
			p.Message = sm[3]
			if paths := ix.byLine[p.Line]; len(paths) > 0 {
				p.Path = paths[len(paths)-1]
				if p.Column > 0 {
					for _, path := range paths {
						if ix.nodes[path].Column == p.Column {
							p.Path = path
						}
					}
				} else {
					p.Path = ix.pathOfValue(paths, sm[3])
					p.Column = ix.nodes[p.Path].Column
				}
			}
		}
		p.Message = strings.Replace(p.Message, "cannot unmarshal !!", "cannot read YAML ", 1)
		out = append(out, p)
	}
	return out
}
