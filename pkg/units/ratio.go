package units

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Ratio is a fraction written as a percentage ("1%", "0.5%") or a plain
// fraction ("0.01"). It is stored as the fraction.
type Ratio float64

// ParseRatio reads "1%" (0.01) or "0.01".
func ParseRatio(s string) (Ratio, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != f {
		return 0, fmt.Errorf("invalid ratio %q (want e.g. 1%% or 0.01)", s)
	}
	if pct {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("ratio %q is outside 0%%..100%%", s)
	}
	return Ratio(f), nil
}

func (r Ratio) String() string { return strconv.FormatFloat(float64(r)*100, 'g', -1, 64) + "%" }

// UnmarshalYAML implements yaml.Unmarshaler. Errors are yaml.TypeErrors with
// the line, so that a scenario loader collects them all.
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return typeError(n, fmt.Errorf("want a ratio such as 1%%, got a %s", kindName(n.Kind)))
	}
	v, err := ParseRatio(n.Value)
	if err != nil {
		return typeError(n, err)
	}
	*r = v
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (r Ratio) MarshalYAML() (any, error) { return r.String(), nil }

// typeError wraps err as a yaml.TypeError carrying the node's position, which
// yaml.v3 collects (with its own type errors) instead of aborting the decode.
func typeError(n *yaml.Node, err error) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d:%d: %v", n.Line, n.Column, err)}}
}
