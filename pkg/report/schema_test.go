package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaPath = "../../docs/report.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	abs, err := filepath.Abs(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return sch
}

// renderJSON renders r through the json format exactly as report.json is
// written and decodes it generically.
func renderJSON(t *testing.T, r *Report) any {
	t.Helper()
	render, _ := RendererFor(FormatJSON)
	var buf bytes.Buffer
	if err := render(&buf, r); err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func minimalReport() *Report {
	return &Report{SchemaVersion: SchemaVersion, Scenario: ScenarioRef{Name: "empty"},
		StartedAt: fxStart, EndedAt: fxStart.Add(time.Second), Verdict: VerdictAborted, Abort: "interrupted"}
}

func TestReportJSONMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	tests := []struct {
		name   string
		report func() *Report
	}{
		{name: "full fixture", report: fixture},
		{name: "aborted before any data", report: minimalReport},
		{name: "no observation sources", report: func() *Report {
			r := fixture()
			r.Signals, r.Sources, r.Scaling = nil, nil, Scaling{}
			return r
		}},
		{name: "finding without evidence", report: func() *Report {
			r := fixture()
			r.Diagnosis[0].Evidence = nil
			r.Scaling.Reaction.Steps = nil
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sch.Validate(renderJSON(t, tt.report())); err != nil {
				t.Fatalf("report.json does not match %s:\n%v", schemaPath, err)
			}
		})
	}
}

// The schema must reject what a consumer could not rely on; otherwise the
// test above proves nothing.
func TestSchemaRejectsBrokenReports(t *testing.T) {
	sch := compileSchema(t)
	tests := []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{name: "unknown verdict", mutate: func(m map[string]any) { m["verdict"] = "maybe" }},
		{name: "other schema version", mutate: func(m map[string]any) { m["schemaVersion"] = "surge.report/v0" }},
		{name: "stages missing", mutate: func(m map[string]any) { delete(m, "stages") }},
		{name: "assertions null", mutate: func(m map[string]any) { m["assertions"] = nil }},
		{name: "point with three values", mutate: func(m map[string]any) {
			sig := m["signals"].([]any)[0].(map[string]any)
			sig["points"] = []any{[]any{json.Number("1"), json.Number("2"), json.Number("3")}}
		}},
		{name: "negative request count", mutate: func(m map[string]any) {
			m["totals"].(map[string]any)["requests"] = json.Number("-1")
		}},
		{name: "startedAt not a time", mutate: func(m map[string]any) { m["startedAt"] = "yesterday" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := renderJSON(t, fixture()).(map[string]any)
			tt.mutate(doc)
			if err := sch.Validate(doc); err == nil {
				t.Fatal("schema accepted a broken report")
			}
		})
	}
}

// Every key the renderer writes must be declared in the schema, so the
// schema (and docs/report.md, which is checked against it) cannot fall
// behind the model.
func TestSchemaDeclaresEveryKey(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	var missing []string
	walkKeys(schema, schema, renderJSON(t, fixture()), "", &missing)
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("keys written to report.json but not declared in %s:\n%s", schemaPath, strings.Join(missing, "\n"))
	}
}

func walkKeys(root, sch map[string]any, v any, path string, missing *[]string) {
	for {
		ref, ok := sch["$ref"].(string)
		if !ok {
			break
		}
		sch = root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := sch["properties"].(map[string]any)
		extra, _ := sch["additionalProperties"].(map[string]any)
		if props == nil && extra == nil {
			return // a free-form object, such as a finding's evidence
		}
		for k, val := range x {
			sub, ok := props[k].(map[string]any)
			if !ok {
				sub = extra
			}
			if sub == nil {
				*missing = append(*missing, path+"."+k)
				continue
			}
			walkKeys(root, sub, val, path+"."+k, missing)
		}
	case []any:
		items, _ := sch["items"].(map[string]any)
		if items == nil {
			return
		}
		for _, it := range x {
			walkKeys(root, items, it, path+"[]", missing)
		}
	}
}

// docs/report.md documents report.json key by key; every property the
// schema declares must appear there in backticks.
func TestDocsNameEverySchemaKey(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/report.md")
	if err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for k := range props {
					keys[k] = true
				}
			}
			for _, sub := range x {
				collect(sub)
			}
		case []any:
			for _, sub := range x {
				collect(sub)
			}
		}
	}
	collect(schema)
	var undocumented []string
	for k := range keys {
		if !bytes.Contains(doc, []byte("`"+k+"`")) && !bytes.Contains(doc, []byte("."+k+"`")) && !bytes.Contains(doc, []byte("."+k+"[]`")) {
			undocumented = append(undocumented, k)
		}
	}
	sort.Strings(undocumented)
	if len(undocumented) > 0 {
		t.Fatalf("report.json keys not documented in docs/report.md: %v", undocumented)
	}
}
