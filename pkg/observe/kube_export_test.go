package observe

import "testing"

// SetServiceAccountDir points the in-cluster configuration at dir until
// the test ends. Tests that call it must not run in parallel.
func SetServiceAccountDir(t testing.TB, dir string) {
	old := serviceAccountDir
	serviceAccountDir = dir
	t.Cleanup(func() { serviceAccountDir = old })
}
