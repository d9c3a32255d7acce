package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/surge-sh/surge/pkg/compare"
	"github.com/surge-sh/surge/pkg/report"
)

// CompareOptions are the inputs of `surge compare`.
type CompareOptions struct {
	IO            *IOStreams
	Before, After string
	Labels        [2]string
	Format        string
	// Out is the file to write; empty writes to standard output.
	Out string
}

func newCmdCompare(f *Factory, runF func(*CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{IO: f.IO}
	var labels string
	cmd := &cobra.Command{
		Use:   "compare BEFORE.json AFTER.json",
		Short: "Compare two saved runs: the before/after table with deltas",
		Long: `Compare two saved runs (report.json files) side by side: client and server P95
at peak, timeout rate at peak, peak queue depth, replicas, CPU and GPU at peak,
time to first scale-up, and the whole-run P95 and error rate, each with its
change and a mark: better or worse for figures with a direction (lower latency
is better), changed for replicas and utilisation, which are means rather than
ends. "At peak" is the report's second compared stage, else the stage with the
highest target rate.`,
		Example: `  surge compare hpa/report.json keda/report.json --labels "Before KEDA,After KEDA"
  surge compare old.json new.json --format md --out comparison.md`,
		Args: exactArgs(2, "two report files"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Before, opts.After = args[0], args[1]
			l, err := parseCompareLabels(labels)
			if err != nil {
				return err
			}
			opts.Labels = l
			if _, ok := compare.Writers[opts.Format]; !ok {
				return Invalidf("compare: unknown --format %q (want %s)", opts.Format, sortedFormatNames(compare.Writers))
			}
			if runF != nil {
				return runF(opts)
			}
			return runCompare(opts)
		},
	}
	cmd.Flags().StringVar(&labels, "labels", strings.Join(compare.DefaultLabels[:], ","), "names of the two runs, comma-separated")
	cmd.Flags().StringVar(&opts.Format, "format", "terminal", "output format: terminal, md or json")
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "", "write to this file instead of standard output")
	return cmd
}

func runCompare(opts *CompareOptions) error {
	before, err := loadSavedReport("compare", opts.Before)
	if err != nil {
		return err
	}
	after, err := loadSavedReport("compare", opts.After)
	if err != nil {
		return err
	}
	t := compare.Compare(before, after, opts.Labels)
	return writeToFileOr("compare", opts.IO.Out, opts.Out, func(w io.Writer) error {
		return compare.Writers[opts.Format](w, t)
	})
}

// parseCompareLabels reads --labels "Before KEDA,After KEDA".
func parseCompareLabels(s string) ([2]string, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[1]) == "" {
		return [2]string{}, Invalidf(`compare: --labels %q: want two names separated by a comma, e.g. "Before KEDA,After KEDA"`, s)
	}
	return [2]string{strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])}, nil
}

// loadSavedReport reads a saved report.json; a missing or malformed file is
// invalid input (exit 2).
func loadSavedReport(op, path string) (*report.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Invalidf("%s: read %q: no such file", op, path)
		}
		return nil, Invalidf("%s: read %q: %w", op, path, err)
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		return nil, Invalidf("%s: read %q: %w", op, path, err)
	}
	return r, nil
}

// writeToFileOr renders to the named file, or to out when path is empty.
func writeToFileOr(op string, out io.Writer, path string, render func(io.Writer) error) error {
	if path == "" {
		return render(out)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%s: write %q: %w", op, path, err)
	}
	if err := render(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: write %q: %w", op, path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%s: write %q: %w", op, path, err)
	}
	return nil
}

func sortedFormatNames[V any](m map[string]V) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
