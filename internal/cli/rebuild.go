package cli

import (
	"errors"

	"github.com/surge-sh/surge/pkg/report"
)

// rebuildReport rebuilds a report from a run directory's raw results stream
// (results.gob) and saved scenario, for runs whose report.json is missing.
func rebuildReport(dir string) (*report.Report, error) {
	return nil, errors.New("rebuild report: not implemented yet")
}
