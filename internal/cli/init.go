package cli

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

//go:embed starter.yaml
var starterScenario string

// InitOptions are the inputs of `surge init`.
type InitOptions struct {
	*Factory
	File  string
	Name  string
	Force bool
}

func newCmdInit(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	o := &InitOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "init [FILE]",
		Short: "Write a commented starter scenario",
		Long: `Write a commented starter scenario (default scenario.yaml; "-" for stdout).
It runs as it is against the built-in simulator; the comments show how to
point it at a real service, its Prometheus and its cluster.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = "scenario.yaml"
			if len(args) == 1 {
				o.File = args[0]
			}
			if runF != nil {
				return runF(o)
			}
			return initScenario(o)
		},
	}
	cmd.Flags().StringVar(&o.Name, "name", "my-service", "the scenario's name")
	cmd.Flags().BoolVar(&o.Force, "force", false, "overwrite an existing file")
	return cmd
}

func initScenario(o *InitOptions) error {
	if !nameOK(o.Name) {
		return Invalidf("init: --name %q must be lower-case letters, digits, '.', '_' or '-'", o.Name)
	}
	text := strings.Replace(starterScenario, "name: my-service", "name: "+o.Name, 1)
	if o.File == "-" {
		_, err := fmt.Fprint(o.IO.Out, text)
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if o.Force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	fh, err := os.OpenFile(o.File, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return Invalidf("init: %s exists (use --force to overwrite)", o.File)
	}
	if err != nil {
		return fmt.Errorf("init: %w", err)
	}
	if _, err := fh.WriteString(text); err != nil {
		fh.Close()
		return fmt.Errorf("init: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	fmt.Fprintf(o.IO.Out, "wrote %s: check it with 'surge validate %s', run it with 'surge run %s'\n", o.File, o.File, o.File)
	return nil
}

func nameOK(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case (r == '.' || r == '_' || r == '-') && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}
