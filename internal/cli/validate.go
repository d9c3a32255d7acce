package cli

import (
	"github.com/spf13/cobra"

	"github.com/surge-sh/surge/pkg/scenario"
)

// ValidateOptions are the inputs of `surge validate`.
type ValidateOptions struct {
	*Factory
	File string
	Set  []string
}

func newCmdValidate(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	o := &ValidateOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "validate SCENARIO.yaml",
		Short: "Check a scenario strictly and print the resolved plan",
		Long: `Check a scenario strictly — unknown keys, bad values and every other problem
are listed at once with their field path, line and column — and print the
resolved plan: each stage's start, end, rate shape and expected requests,
the total, the request mix and the signal sources.

Exit codes: 0 valid; 2 invalid.`,
		Args: exactArgs(1, "one scenario file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			if runF != nil {
				return runF(o)
			}
			return validateScenario(o)
		},
	}
	cmd.Flags().StringArrayVar(&o.Set, "set", nil, "override a scenario value, e.g. --set load.stages[1].rate=100 (repeatable)")
	return cmd
}

func validateScenario(o *ValidateOptions) error {
	s, err := scenario.LoadFile(o.File, scenario.Options{Set: o.Set})
	if err != nil {
		return Invalid(err)
	}
	if err := s.WritePlan(o.IO.Out); err != nil {
		return Invalid(err)
	}
	return nil
}
