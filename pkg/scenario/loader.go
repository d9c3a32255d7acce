package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/problem"
)

// MaxFileSize bounds a scenario file: anything larger is not a scenario.
const MaxFileSize = 4 << 20

// Error is an invalid scenario: every problem found, each with its field
// path and position.
type Error struct {
	File     string
	Problems []problem.Problem
}

func (e *Error) Error() string {
	var b strings.Builder
	name := e.File
	if name == "" {
		name = "<stdin>"
	}
	fmt.Fprintf(&b, "invalid scenario %q: %d problem", name, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Options adjust how a scenario is read.
type Options struct {
	// Set overrides values before validation: "load.stages[1].rate=100".
	Set []string
	// SkipFiles leaves out the checks of files the scenario names (data),
	// for reading back the copy saved in a run directory.
	SkipFiles bool
}

// LoadFile reads, defaults and validates the scenario at path.
func LoadFile(path string, opts Options) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("load scenario %q: %w", path, err)
	}
	s, err := Parse(data, path, opts)
	if err != nil {
		return nil, err
	}
	s.Dir = filepath.Dir(path)
	return s, nil
}

// Parse reads a scenario from data; file names it in errors and is the base
// for relative data paths.
func Parse(data []byte, file string, opts Options) (*Scenario, error) {
	fail := func(ps ...problem.Problem) error { return &Error{File: file, Problems: ps} }
	if len(data) > MaxFileSize {
		return nil, fail(problem.Problem{Message: fmt.Sprintf("file is larger than %d MiB; a scenario is a small YAML file", MaxFileSize>>20)})
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fail(problem.Problem{Message: "file is empty"})
		}
		ix := &index{}
		return nil, fail(hintTabs(data, parserLines(ix.typeProblems(err)))...)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fail(problem.Problem{Line: extra.Line, Message: "more than one YAML document; a scenario file holds one"})
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fail(problem.Problem{Line: doc.Line, Message: "want a mapping with apiVersion, kind, name, target and load"})
	}
	var probs problem.List
	for _, kv := range opts.Set {
		if err := applySet(doc.Content[0], kv); err != nil {
			probs.Addf("", "--set %s: %v", kv, err)
		}
	}

	ix := &index{}
	ix.checkKeys(&doc, reflect.TypeOf(Scenario{}), "", &probs)
	var s Scenario
	if err := doc.Decode(&s); err != nil {
		probs = append(probs, ix.typeProblems(err)...)
	}
	if len(probs) > 0 {
		return nil, fail(probs...)
	}
	s.File = file
	s.Dir = filepath.Dir(file)
	s.ApplyDefaults()
	for _, p := range s.validate(ix, opts) {
		probs = append(probs, ix.locate(p))
	}
	if len(probs) > 0 {
		return nil, fail(probs...)
	}
	return &s, nil
}

// hintTabs explains yaml.v3's "found character that cannot start any token"
// when the character is a tab: YAML indents with spaces only, and editors
// hide the difference.
func hintTabs(data []byte, ps []problem.Problem) []problem.Problem {
	lines := bytes.Split(data, []byte("\n"))
	for i, p := range ps {
		if p.Line < 1 || p.Line > len(lines) || !strings.Contains(p.Message, "cannot start any token") {
			continue
		}
		if bytes.ContainsRune(lines[p.Line-1], '\t') {
			ps[i].Message += " (a tab character: indent YAML with spaces)"
		}
	}
	return ps
}

// parserErrors are the messages of yaml.v3's parser (not its scanner),
// whose line numbers it reports counted from 0, and leaves out on the
// first line.
var parserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// parserLines turns the parser's 0-based lines into the editor's.
func parserLines(ps []problem.Problem) []problem.Problem {
	for i, p := range ps {
		if parserErrors[p.Message] {
			ps[i].Line = p.Line + 1
		}
	}
	return ps
}
