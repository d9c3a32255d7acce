package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// testWorld is an in-memory world for running commands in tests.
type testWorld struct {
	f      *Factory
	out    *bytes.Buffer
	errOut *bytes.Buffer
	env    map[string]string
}

func newTestWorld() *testWorld {
	w := &testWorld{out: &bytes.Buffer{}, errOut: &bytes.Buffer{}, env: map[string]string{}}
	w.f = &Factory{
		IO:     &IOStreams{In: strings.NewReader(""), Out: w.out, ErrOut: w.errOut},
		Now:    func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) },
		Getenv: func(k string) string { return w.env[k] },
	}
	return w
}

func (w *testWorld) run(args ...string) int {
	return Run(context.Background(), w.f, args)
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{name: "version", args: []string{"version"}, want: ExitOK},
		{name: "unknown flag", args: []string{"version", "--bogus"}, want: ExitInvalid},
		{name: "extra argument", args: []string{"version", "x"}, want: ExitInvalid},
		{name: "unknown shell", args: []string{"completion", "tcsh"}, want: ExitInvalid},
		{name: "bash completion", args: []string{"completion", "bash"}, want: ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			if got := w.run(tt.args...); got != tt.want {
				t.Fatalf("exit %d, want %d; stderr: %s", got, tt.want, w.errOut)
			}
		})
	}
}
