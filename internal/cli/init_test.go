package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/surge-sh/surge/pkg/scenario"
)

func TestInitWritesAValidScenario(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	w := newTestWorld()
	if code := w.run("init", file, "--name", "checkout"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, w.errOut)
	}
	s, err := scenario.LoadFile(file, scenario.Options{})
	if err != nil {
		t.Fatalf("the starter scenario does not validate: %v", err)
	}
	if s.Name != "checkout" || s.Target.Sim == nil || len(s.Assert) == 0 {
		t.Fatalf("starter: %+v", s)
	}
	// a second init does not overwrite without --force
	w = newTestWorld()
	if code := w.run("init", file); code != ExitInvalid || !strings.Contains(w.errOut.String(), "exists") {
		t.Fatalf("exit %d: %s", code, w.errOut)
	}
	w = newTestWorld()
	if code := w.run("init", file, "--force", "--name", "Bad Name"); code != ExitInvalid {
		t.Fatalf("bad name: exit %d", code)
	}
	if code := newTestWorld().run("init", file, "--force"); code != ExitOK {
		t.Fatalf("--force: exit %d", code)
	}
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), "name: my-service") {
		t.Fatal("--force did not rewrite the file")
	}
}
