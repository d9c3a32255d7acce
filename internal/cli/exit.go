package cli

import (
	"errors"
	"fmt"
)

// Exit codes: the table in docs/exit-codes.md. This file is the only place
// that maps outcomes to them.
const (
	ExitOK          = 0   // every assertion passed
	ExitError       = 1   // runtime error: a source unreachable, I/O, a crash
	ExitInvalid     = 2   // invalid input: flags, scenario, report files
	ExitAssertFail  = 3   // one or more assertions failed
	ExitInterrupted = 130 // SIGINT/SIGTERM; the partial report is written
)

// ExitError carries an exit code with the error that caused it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// Invalid marks err as invalid input (exit 2).
func Invalid(err error) error { return &exitError{code: ExitInvalid, err: err} }

// Invalidf formats an invalid-input error (exit 2).
func Invalidf(format string, a ...any) error { return Invalid(fmt.Errorf(format, a...)) }

// AssertionsFailed is returned when a run or gate finished with failed
// assertions (exit 3); the report says which.
var AssertionsFailed = &exitError{code: ExitAssertFail, err: errors.New("one or more assertions failed")}

// Interrupted is returned when a run was stopped by a signal (exit 130).
var Interrupted = &exitError{code: ExitInterrupted, err: errors.New("interrupted: partial report written, marked aborted")}

// WithCode attaches an explicit exit code to err.
func WithCode(code int, err error) error { return &exitError{code: code, err: err} }

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var fe flagError
	if errors.As(err, &fe) {
		return ExitInvalid
	}
	return ExitError
}

// flagError wraps cobra's flag and argument errors (exit 2).
type flagError struct{ error }

func (e flagError) Unwrap() error { return e.error }
