package cli

import (
	"os"
	"testing"
)

func mkdirTemp(prefix string) (string, error) { return os.MkdirTemp("", prefix) }

func TestMain(m *testing.M) {
	code := m.Run()
	if demoDir.dir != "" {
		os.RemoveAll(demoDir.dir)
	}
	os.Exit(code)
}
