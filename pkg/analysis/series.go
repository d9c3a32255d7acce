package analysis

import (
	"math"
	"slices"
	"sort"

	"github.com/surge-sh/surge/pkg/report"
)

// series is a signal's points in time order, read as a step function: a
// sample holds until the next one.
type series []report.Point

// signalSeries returns the named signal's points without NaN samples.
func signalSeries(r *report.Report, name string) series {
	s := r.Signal(name)
	if s == nil {
		return nil
	}
	out := make(series, 0, len(s.Points))
	for _, p := range s.Points {
		if !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[1], 0) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// at is the value at t: the last sample at or before t, else the first
// sample; false for an empty series.
func (s series) at(t float64) (float64, bool) {
	if len(s) == 0 {
		return 0, false
	}
	i := sort.Search(len(s), func(i int) bool { return s[i][0] > t })
	if i == 0 {
		return s[0][1], true
	}
	return s[i-1][1], true
}

// integral is the area under the step function over [from, to]; before
// the first sample the first value holds.
func (s series) integral(from, to float64) float64 {
	if len(s) == 0 || to <= from {
		return 0
	}
	sum := 0.0
	t := from
	v, _ := s.at(from)
	for _, p := range s {
		if p[0] <= from {
			continue
		}
		if p[0] >= to {
			break
		}
		sum += v * (p[0] - t)
		t, v = p[0], p[1]
	}
	return sum + v*(to-t)
}

// interval is the median gap between samples (1 s with fewer than two).
func (s series) interval() float64 {
	if len(s) < 2 {
		return 1
	}
	gaps := make([]float64, 0, len(s)-1)
	for i := 1; i < len(s); i++ {
		gaps = append(gaps, s[i][0]-s[i-1][0])
	}
	return median(gaps)
}

// rises returns the times in [from, to) at which the value went up.
func (s series) rises(from, to float64) []float64 {
	var out []float64
	for i := 1; i < len(s); i++ {
		if t := s[i][0]; t >= from && t < to && s[i][1] > s[i-1][1] {
			out = append(out, t)
		}
	}
	return out
}

// changes returns the times in [from, to) at which the value changed.
func (s series) changes(from, to float64) []float64 {
	var out []float64
	for i := 1; i < len(s); i++ {
		if t := s[i][0]; t >= from && t < to && s[i][1] != s[i-1][1] {
			out = append(out, t)
		}
	}
	return out
}

// perSecond maps whole seconds to the value of the point at that second,
// for the client signals, which have one point per second of scheduled
// time and none for a second in which nothing was sent.
func (s series) perSecond() map[int]float64 {
	m := make(map[int]float64, len(s))
	for _, p := range s {
		m[int(math.Floor(p[0]))] = p[1]
	}
	return m
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	c := slices.Clone(v)
	slices.Sort(c)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

// round rounds to the given number of decimals.
func round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}

// ceilRatio is ceil(a/b) with the floating-point noise of a division
// that should be whole (220/55 = 4.000000001) taken out.
func ceilRatio(a, b float64) float64 {
	return math.Ceil(a/b - 1e-9)
}

func ptr(v float64) *float64 { return &v }
