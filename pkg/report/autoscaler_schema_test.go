package report

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
)

// The fixture's scaling has no autoscaler settings (the simulator's runs
// have none); a run on a cluster does, and that report.json must match the
// schema, every key declared.
func TestAutoscalerInfoMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		info    *AutoscalerInfo
		wantErr bool
	}{
		{name: "cpu hpa", info: &AutoscalerInfo{Kind: "hpa", Name: "ai-inference", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MinReplicas: 1, MaxReplicas: 10}},
		{name: "keda scaling to zero", info: &AutoscalerInfo{Kind: "keda", Name: "ai-inference-scaler", ScalesOn: []string{"queue_depth", "p95_latency"}, MinReplicas: 0, MaxReplicas: 20}},
		{name: "unknown kind", info: &AutoscalerInfo{Kind: "vpa", Name: "x", ScalesOn: []string{}}, wantErr: true},
		{name: "scalesOn null", info: &AutoscalerInfo{Kind: "hpa", Name: "x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture()
			r.Scaling.Autoscaler = tt.info
			doc := renderJSON(t, r)
			err := sch.Validate(doc)
			if tt.wantErr {
				if err == nil {
					t.Fatal("schema accepted it")
				}
				return
			}
			if err != nil {
				t.Fatalf("report.json does not match %s:\n%v", schemaPath, err)
			}
			var missing []string
			walkKeys(schema, schema, doc, "", &missing)
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Fatalf("keys not declared in %s:\n%s", schemaPath, strings.Join(missing, "\n"))
			}
			if _, ok := doc.(map[string]any)["scaling"].(map[string]any)["autoscaler"]; !ok {
				t.Fatal("no scaling.autoscaler written")
			}
		})
	}
}
