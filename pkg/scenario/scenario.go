// Package scenario reads surge scenario files: strict YAML (unknown keys are
// errors with line and column), defaults, and validation that reports every
// problem at once with its field path and position. A loaded scenario
// resolves into the arrival schedule the load engine runs.
package scenario

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/assert"
	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/observe"
	"github.com/surge-sh/surge/pkg/sim"
	"github.com/surge-sh/surge/pkg/units"
)

// APIVersion and Kind identify a scenario file.
const (
	APIVersion = "surge/v1alpha1"
	Kind       = "Scenario"
)

// Defaults applied to unset fields.
const (
	DefaultMaxInFlight = 10000
	DefaultMethod      = "GET"
	DefaultSimMethod   = "POST"
	DefaultSimPath     = "/v1/enrich"
)

// Scenario is one scenario file.
type Scenario struct {
	APIVersion  string `yaml:"apiVersion"`
	Kind        string `yaml:"kind"`
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	Target      Target `yaml:"target"`
	Load        Load   `yaml:"load"`
	// Observe says where signals are read from while the load runs.
	Observe observe.Config `yaml:"observe,omitempty"`
	Report  Report         `yaml:"report,omitempty"`
	SLO     *SLO           `yaml:"slo,omitempty"`
	// Assert holds the criteria the verdict rests on.
	Assert []assert.Spec `yaml:"assert,omitempty"`

	// File is the path the scenario was read from ("" for stdin).
	File string `yaml:"-"`
	// Dir is the directory relative paths (data files) resolve against.
	Dir string `yaml:"-"`
}

// Target is what the load is sent to.
type Target struct {
	// URL of the endpoint; with Sim set it defaults to the simulator's
	// inference endpoint.
	URL     string            `yaml:"url,omitempty"`
	Method  string            `yaml:"method,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty"`
	// Body is a Go template rendered per request.
	Body string `yaml:"body,omitempty"`
	// Data feeds template rows (.Row) from a CSV or JSON-lines file.
	Data *Data `yaml:"data,omitempty"`
	// Timeout is the user-facing timeout: a request that takes longer is
	// counted as a timeout, apart from other errors.
	Timeout units.Duration `yaml:"timeout,omitempty"`
	// Requests are weighted request kinds; each inherits the fields above
	// that it does not set.
	Requests []RequestKind `yaml:"requests,omitempty"`
	// Sim runs the built-in simulator in-process as the target.
	Sim *sim.Config `yaml:"sim,omitempty"`
	// InsecureSkipVerify turns off TLS certificate checks (on by default).
	InsecureSkipVerify bool `yaml:"insecureSkipVerify,omitempty"`
	// KeepAlive reuses connections (default true).
	KeepAlive *bool `yaml:"keepAlive,omitempty"`
}

// RequestKind is one weighted kind of request.
type RequestKind struct {
	Name   string  `yaml:"name"`
	Weight float64 `yaml:"weight"`
	Method string  `yaml:"method,omitempty"`
	// URL replaces the target URL; Path replaces only its path.
	URL     string            `yaml:"url,omitempty"`
	Path    string            `yaml:"path,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty"`
	Body    string            `yaml:"body,omitempty"`
}

// Data is a feeder file. In YAML it is either a path or a mapping.
type Data struct {
	File string `yaml:"file"`
	// Format is "csv" or "jsonl"; default from the file extension.
	Format string `yaml:"format,omitempty"`
	// Order is "sequential" (default, wrapping around) or "random".
	Order string `yaml:"order,omitempty"`
	// Seed makes random order repeatable (default: the load seed).
	Seed *int64 `yaml:"seed,omitempty"`
}

// UnmarshalYAML accepts `data: products.csv` or the mapping form, whose
// keys are checked strictly like the rest of the file.
func (d *Data) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.File = n.Value
		return nil
	}
	if n.Kind == yaml.MappingNode {
		var errs []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			switch k := n.Content[i]; k.Value {
			case "file", "format", "order", "seed":
			default:
				errs = append(errs, fmt.Sprintf("line %d:%d: unknown field %q in data (known: file, format, order, seed)", k.Line, k.Column, k.Value))
			}
		}
		if len(errs) > 0 {
			return &yaml.TypeError{Errors: errs}
		}
	}
	type plain Data
	return n.Decode((*plain)(d))
}

// Load is the arrival schedule and how it is sent.
type Load struct {
	Stages []Stage `yaml:"stages"`
	// MaxInFlight caps requests in flight; arrivals beyond it are sent late
	// (counted as delayed) or not at all (counted as unsent).
	MaxInFlight int `yaml:"maxInFlight,omitempty"`
	// MaxRate is a safety ceiling: a stage above it is invalid.
	MaxRate float64 `yaml:"maxRate,omitempty"`
	// Seed fixes the request-kind mix and random feeders.
	Seed int64 `yaml:"seed,omitempty"`
}

// Stage is one named piece of the schedule.
type Stage struct {
	Name     string         `yaml:"name"`
	Duration units.Duration `yaml:"duration"`
	Rate     Rate           `yaml:"rate"`
}

// Report chooses what the report shows.
type Report struct {
	// Compare names the two stages of the headline table.
	Compare []string `yaml:"compare,omitempty"`
	// Formats to write: md, html, json, junit (json is always written).
	Formats []string `yaml:"formats,omitempty"`
}

// SLO is the objective the analysis judges the run against.
type SLO struct {
	P95         units.Duration `yaml:"p95,omitempty"`
	TimeoutRate units.Ratio    `yaml:"timeoutRate,omitempty"`
}

// ApplyDefaults fills unset fields.
func (s *Scenario) ApplyDefaults() {
	t := &s.Target
	if t.Sim != nil {
		t.Sim.ApplyDefaults()
		if t.Method == "" {
			t.Method = DefaultSimMethod
		}
	}
	if t.Method == "" {
		t.Method = DefaultMethod
	}
	if t.Timeout == 0 {
		t.Timeout = units.Duration(load.DefaultTimeout)
	}
	if t.KeepAlive == nil {
		v := true
		t.KeepAlive = &v
	}
	if t.Data != nil && t.Data.Order == "" {
		t.Data.Order = "sequential"
	}
	if s.Load.MaxInFlight == 0 {
		s.Load.MaxInFlight = DefaultMaxInFlight
	}
	s.Observe.ApplyDefaults()
	if len(s.Report.Formats) == 0 {
		s.Report.Formats = []string{"json", "md", "html"}
	}
}
