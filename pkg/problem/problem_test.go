package problem

import (
	"strings"
	"testing"
)

func TestProblemError(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{name: "full", p: Problem{Path: "load.stages[2].rate", Message: "must be positive", Line: 12, Column: 7}, want: "line 12:7: load.stages[2].rate: must be positive"},
		{name: "no position", p: Problem{Path: "name", Message: "is required"}, want: "name: is required"},
		{name: "no path", p: Problem{Message: "empty file", Line: 1}, want: "line 1: empty file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNestAndJoin(t *testing.T) {
	var l List
	l.Addf("name", "is required")
	l.Nest("target.sim", []Problem{{Path: "autoscaler.maxReplicas", Message: "x"}, {Path: "[0].rate", Message: "y"}, {Message: "z"}})
	want := []string{"name", "target.sim.autoscaler.maxReplicas", "target.sim[0].rate", "target.sim"}
	if len(l) != len(want) {
		t.Fatalf("got %d problems", len(l))
	}
	for i, w := range want {
		if l[i].Path != w {
			t.Errorf("problem %d path %q, want %q", i, l[i].Path, w)
		}
	}
}

func TestNearest(t *testing.T) {
	known := []string{"rate", "name", "duration", "timeout", "stages"}
	tests := []struct {
		word, want string
		ok         bool
	}{
		{"ratee", "rate", true},
		{"Timout", "timeout", true},
		{"stagez", "stages", true},
		{"nmae", "name", true},
		{"bananas", "", false},
		{"", "", false},
		{strings.Repeat("x", 100), "", false},
	}
	for _, tt := range tests {
		got, ok := Nearest(tt.word, known)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Nearest(%q) = %q, %v; want %q, %v", tt.word, got, ok, tt.want, tt.ok)
		}
	}
	// ties go to the alphabetically first, whatever the order given
	if got, _ := Nearest("cat", []string{"cut", "bat"}); got != "bat" {
		t.Errorf("tie: %q", got)
	}
}
