// Package sim is surge's built-in model of an AI inference service on
// Kubernetes: GPU worker slots, a shared request queue, model cold starts and
// an autoscaler (none, HPA on CPU, or KEDA on queue length and P95).
package sim

import "github.com/surge-sh/surge/pkg/problem"

// Config describes a simulated service. It is the `target.sim` block of a
// scenario and the flags of `surge sim`.
// STUB: being replaced by the simulator implementation.
type Config struct {
	Seed int64 `yaml:"seed,omitempty" json:"seed,omitempty"`
}

// ApplyDefaults fills unset fields.
func (c *Config) ApplyDefaults() {}

// Validate reports every invalid setting.
func (c *Config) Validate() []problem.Problem { return nil }
