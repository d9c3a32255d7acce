package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// JUnit XML, as read by CI test reporters (GitHub, GitLab, Jenkins): one
// test case per assertion, a failure carrying observed vs threshold.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit renders the assertions as a JUnit XML test suite (junit.xml).
// A run without assertions still yields a valid suite, with one test case
// for the run itself; an aborted run adds a test case in error saying why.
func WriteJUnit(w io.Writer, r *Report) error {
	class := "surge." + r.Scenario.Name
	secs := "0"
	if !r.StartedAt.IsZero() && r.EndedAt.After(r.StartedAt) {
		secs = strconv.FormatFloat(r.EndedAt.Sub(r.StartedAt).Seconds(), 'f', 3, 64)
	}
	suite := junitSuite{Name: class, Time: secs, Properties: []junitProperty{
		{Name: "scenario", Value: r.Scenario.Name},
		{Name: "scenarioFile", Value: r.Scenario.File},
		{Name: "verdict", Value: string(r.Verdict)},
		{Name: "schemaVersion", Value: r.SchemaVersion},
	}}
	if !r.StartedAt.IsZero() {
		suite.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	for _, a := range r.Assertions {
		c := junitCase{Name: a.Expr, Classname: class, Time: "0",
			SystemOut: fmt.Sprintf("observed %s, threshold %s", fmtObserved(a.Observed, a.Unit), fmtObserved(a.Threshold, a.Unit))}
		if a.Stage != "" {
			c.SystemOut += ", stage " + a.Stage
		}
		if !a.Pass {
			msg := fmt.Sprintf("observed %s, threshold %s", fmtObserved(a.Observed, a.Unit), fmtObserved(a.Threshold, a.Unit))
			text := a.Message
			if text == "" {
				text = a.Expr + ": " + msg
			}
			c.Failure = &junitProblem{Message: msg, Type: "AssertionFailed", Text: text}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	switch {
	case r.Verdict == VerdictAborted:
		reason := r.Abort
		if reason == "" {
			reason = "the run stopped early"
		}
		suite.Cases = append(suite.Cases, junitCase{Name: "run completed", Classname: class, Time: secs,
			Error: &junitProblem{Message: reason, Type: "Aborted", Text: "run aborted: " + reason}})
		suite.Errors++
	case len(r.Assertions) == 0:
		suite.Cases = append(suite.Cases, junitCase{Name: "run completed", Classname: class, Time: secs,
			SystemOut: "no assertions; " + VerdictLine(r)})
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "surge", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Time: secs, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
