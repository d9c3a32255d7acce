package testenv

import "testing"

// Chromium returns the path of the Chromium binary, for tests that render
// surge's HTML report. Start it with ChromiumArgs.
func Chromium(t testing.TB) string {
	t.Helper()
	return binary(t, chromiumBin)
}

// ChromiumArgs returns the flags headless Chromium needs here, followed by
// extra: it runs as root in CI (no sandbox), has no GPU, and must not try to
// reach the network on its own, which this machine refuses. Each call gets a
// fresh profile in the test's temporary directory.
func ChromiumArgs(t testing.TB, extra ...string) []string {
	t.Helper()
	args := []string{
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-dev-shm-usage",
		"--disable-quic",
		"--no-first-run",
		"--no-default-browser-check",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--disable-extensions",
		"--user-data-dir=" + t.TempDir(),
	}
	return append(args, extra...)
}
