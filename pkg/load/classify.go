package load

import "strings"

// Class is the outcome class of one request.
type Class uint8

// The outcome classes. Every request falls in exactly one.
const (
	ClassOK Class = iota
	ClassTimeout
	ClassRefused
	ClassReset
	Class4xx
	Class5xx
	ClassOther
	numClasses
)

var classNames = [numClasses]string{"ok", "timeout", "refused", "reset", "http4xx", "http5xx", "other"}

func (c Class) String() string { return classNames[c] }

// Classify sorts a result by its status code and error text. The text is
// what vegeta records (and what the results stream keeps), so a rebuilt
// report classes requests exactly as the live run did.
func Classify(code uint16, errText string) Class {
	if errText == "" && code >= 200 && code < 400 {
		return ClassOK
	}
	switch {
	case code >= 500 && code < 600:
		return Class5xx
	case code >= 400 && code < 500:
		return Class4xx
	}
	e := strings.ToLower(errText)
	switch {
	case strings.Contains(e, "timeout") || strings.Contains(e, "deadline exceeded"):
		return ClassTimeout
	case strings.Contains(e, "connection refused"):
		return ClassRefused
	case strings.Contains(e, "connection reset") || strings.Contains(e, "broken pipe") ||
		strings.HasSuffix(e, ": eof") || e == "eof" || strings.Contains(e, "server closed idle connection"):
		return ClassReset
	}
	return ClassOther
}
