package corpus

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStdlibOnly checks that package corpus imports nothing outside the
// standard library, as the package map in STYLE.md requires.
func TestStdlibOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/citebot/citebot/corpus" {
			t.Errorf("corpus depends on %s, want the standard library only", p)
		}
	}
}
