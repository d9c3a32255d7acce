// Package cli wires surge's commands. Each command is built by
// newCmdX(f *Factory, runF func(*XOptions) error) so that flag parsing and
// behaviour are tested apart; the process world (streams, environment,
// clock) comes in through Factory and is touched nowhere else.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// IOStreams are the standard streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// IsTerminal reports whether Out is an interactive terminal.
	IsTerminal bool
}

// Factory is the world a command runs in.
type Factory struct {
	IO     *IOStreams
	Now    func() time.Time
	Getenv func(string) string
	// Signals delivers interrupt requests (SIGINT, SIGTERM); nil in tests
	// that do not need it.
	Signals <-chan os.Signal
	// Exit ends the process at once (a second interrupt); nil in tests.
	Exit func(code int)
}

// Main runs surge with args against the real process world and returns the
// exit code.
func Main(args []string) int {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	f := &Factory{
		IO: &IOStreams{
			In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
			IsTerminal: isTerminal(os.Stdout),
		},
		Now:     time.Now,
		Getenv:  os.Getenv,
		Signals: sig,
		Exit:    os.Exit,
	}
	return Run(context.Background(), f, args)
}

// Run executes one command line in the world f and returns the exit code.
func Run(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, errSilent) {
		fmt.Fprintf(f.IO.ErrOut, "surge: %v\n", err)
	}
	return exitCode(err)
}

// errSilent marks an error whose message the command already printed.
var errSilent = errors.New("already reported")

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "surge",
		Short: "Load testing and scaling verification for services on Kubernetes",
		Long: `surge replays a traffic ramp against a target, watches CPU, GPU, queue depth,
latency, replicas and autoscaler decisions while it runs, and writes a
before/after report with a verdict that CI can gate on.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return flagError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(
		newCmdRun(f, nil),
		newCmdValidate(f, nil),
		newCmdInit(f, nil),
		newCmdVersion(f),
		newCmdCompletion(f),
		newCmdReport(f, nil),
		newCmdCompare(f, nil),
		newCmdGate(f, nil),
		newCmdSim(f, nil),
		newCmdAdvise(f, nil),
	)
	return root
}

// exactArgs is cobra.ExactArgs with errors that map to exit 2.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return flagError{fmt.Errorf("%s: want %s, got %d arguments (see '%s --help')", cmd.CommandPath(), what, len(args), cmd.CommandPath())}
		}
		return nil
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
