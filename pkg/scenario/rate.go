package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/load"
	"github.com/surge-sh/surge/pkg/units"
)

// Rate is a stage's arrival rate as written in the scenario. The forms:
//
//	50                        constant, requests/second
//	50..400                   linear ramp across the stage
//	50..400 in 4 steps        staircase: 4 equal-length levels from 50 to 400
//	50 spike 400 for 10s      spike: 400 for 10s in the middle of the stage, 50 around it
//	50 spike 400 for 10s at 20s   the spike starts 20s into the stage
//
// The text is kept as written and parsed during validation, so that a bad
// rate is reported with its field path alongside every other problem.
type Rate struct {
	Text string
}

// RateShape is a parsed Rate.
type RateShape struct {
	Kind     string // "constant", "ramp", "steps", "spike"
	From, To float64
	Steps    int
	SpikeFor time.Duration
	SpikeAt  time.Duration // -1: centred
}

// UnmarshalYAML keeps the scalar text; structure errors carry their position.
func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d:%d: want a rate such as 50 or 50..400, got a list or mapping", n.Line, n.Column)}}
	}
	r.Text = strings.TrimSpace(n.Value)
	return nil
}

// MarshalYAML writes the rate as written.
func (r Rate) MarshalYAML() (any, error) { return r.Text, nil }

// Parse reads the rate text.
func (r Rate) Parse() (RateShape, error) {
	t := strings.Join(strings.Fields(r.Text), " ")
	if t == "" {
		return RateShape{}, fmt.Errorf("is required (e.g. 50, 50..400, 50..400 in 4 steps, 50 spike 400 for 10s)")
	}
	if base, rest, ok := strings.Cut(t, " spike "); ok {
		return parseSpike(base, rest)
	}
	if ramp, steps, ok := strings.Cut(t, " in "); ok {
		from, to, err := parseRange(ramp)
		if err != nil {
			return RateShape{}, err
		}
		ns, ok := strings.CutSuffix(steps, " steps")
		if !ok {
			return RateShape{}, fmt.Errorf("%q: want \"A..B in N steps\"", r.Text)
		}
		n, err := strconv.Atoi(ns)
		if err != nil || n < 2 || n > 1000 {
			return RateShape{}, fmt.Errorf("%q: the number of steps must be a whole number from 2 to 1000", r.Text)
		}
		return RateShape{Kind: "steps", From: from, To: to, Steps: n}, nil
	}
	if strings.Contains(t, "..") {
		from, to, err := parseRange(t)
		if err != nil {
			return RateShape{}, err
		}
		return RateShape{Kind: "ramp", From: from, To: to}, nil
	}
	v, err := parseRateNumber(t)
	if err != nil {
		return RateShape{}, err
	}
	return RateShape{Kind: "constant", From: v, To: v}, nil
}

func parseSpike(base, rest string) (RateShape, error) {
	from, err := parseRateNumber(base)
	if err != nil {
		return RateShape{}, err
	}
	f := strings.Fields(rest)
	// "400 for 10s" or "400 for 10s at 20s"
	if !(len(f) == 3 || len(f) == 5) || f[1] != "for" || (len(f) == 5 && f[3] != "at") {
		return RateShape{}, fmt.Errorf("want \"BASE spike PEAK for DURATION [at OFFSET]\", e.g. 50 spike 400 for 10s")
	}
	to, err := parseRateNumber(f[0])
	if err != nil {
		return RateShape{}, err
	}
	dur, err := units.ParseDuration(f[2])
	if err != nil || dur <= 0 {
		return RateShape{}, fmt.Errorf("spike duration %q: want a positive duration such as 10s", f[2])
	}
	s := RateShape{Kind: "spike", From: from, To: to, SpikeFor: dur.D(), SpikeAt: -1}
	if len(f) == 5 {
		at, err := units.ParseDuration(f[4])
		if err != nil {
			return RateShape{}, fmt.Errorf("spike offset %q: %v", f[4], err)
		}
		s.SpikeAt = at.D()
	}
	return s, nil
}

func parseRange(t string) (float64, float64, error) {
	a, b, _ := strings.Cut(t, "..")
	from, err := parseRateNumber(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, err
	}
	to, err := parseRateNumber(strings.TrimSpace(b))
	if err != nil {
		return 0, 0, err
	}
	return from, to, nil
}

// maxRateValue bounds any single rate: far above what one machine sends,
// low enough that schedule arithmetic stays exact.
const maxRateValue = 10_000_000

func parseRateNumber(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a rate (want requests/second, e.g. 50 or 50..400)", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("rate %s is negative", s)
	}
	if v > maxRateValue {
		return 0, fmt.Errorf("rate %s is above %d requests/second", s, maxRateValue)
	}
	return v, nil
}

// Segments expands the shape over a stage of duration d.
func (s RateShape) Segments(d time.Duration) ([]load.Segment, error) {
	switch s.Kind {
	case "constant", "ramp":
		return []load.Segment{{Duration: d, From: s.From, To: s.To}}, nil
	case "steps":
		segs := make([]load.Segment, s.Steps)
		var used time.Duration
		for i := range segs {
			level := s.From + (s.To-s.From)*float64(i)/float64(s.Steps-1)
			sd := d / time.Duration(s.Steps)
			if i == s.Steps-1 {
				sd = d - used
			}
			used += sd
			segs[i] = load.Segment{Duration: sd, From: level, To: level}
		}
		for _, sg := range segs {
			if sg.Duration <= 0 {
				return nil, fmt.Errorf("%d steps do not fit in %v", s.Steps, d)
			}
		}
		return segs, nil
	case "spike":
		if s.SpikeFor > d {
			return nil, fmt.Errorf("spike lasts %v, longer than the stage (%v)", s.SpikeFor, d)
		}
		at := s.SpikeAt
		if at < 0 {
			at = (d - s.SpikeFor) / 2
		}
		if at+s.SpikeFor > d {
			return nil, fmt.Errorf("spike at %v for %v ends after the stage (%v)", at, s.SpikeFor, d)
		}
		var segs []load.Segment
		if at > 0 {
			segs = append(segs, load.Segment{Duration: at, From: s.From, To: s.From})
		}
		segs = append(segs, load.Segment{Duration: s.SpikeFor, From: s.To, To: s.To})
		if rest := d - at - s.SpikeFor; rest > 0 {
			segs = append(segs, load.Segment{Duration: rest, From: s.From, To: s.From})
		}
		return segs, nil
	}
	return nil, fmt.Errorf("unknown rate shape %q", s.Kind)
}

// Peak is the highest rate the shape reaches.
func (s RateShape) Peak() float64 { return math.Max(s.From, s.To) }
