package prismd_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/prismd/prismd"

// allowed lists, for each of our packages, which of our packages its
// non-test code may import. Packages not listed may import nothing of ours
// except what a prefix rule below grants.
var allowed = map[string][]string{
	"log":                  {},
	"projections":          {"log"},
	"backends":             {},
	"backends/mem":         {"backends"},
	"backends/fs":          {"backends"},
	"backends/s3":          {"backends"},
	"backends/faulty":      {"backends"},
	"backends/backendtest": {"backends"},
	"replica":              {"log", "backends"},
	"replica/storetest":    {"replica"},
	"engine":               {"log", "projections", "backends", "replica", "engine/datapath", "access"},
	"engine/datapath":      {"log", "backends"},
	"access":               {"log"},
	"s3":                   {"engine", "log", "access", "cors"},
	"cors":                 {},
	"admin":                {"engine", "log", "s3", "admin/discovery"},
	"admin/discovery":      {},
	"bench":                {"engine", "log", "projections", "backends", "backends/mem"},
}

// concrete backends may be imported only by cmd (and by tests).
var concrete = []string{"backends/fs", "backends/s3"}

// TestImportDirection checks the package graph of DESIGN.md: projections
// and log import nothing of ours but log; backends imports nothing of ours;
// only cmd imports concrete backends.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], module), "/")
		var ours []string
		for _, imp := range f[1:] {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				ours = append(ours, rel)
			}
		}
		checked++
		if strings.HasPrefix(pkg, "cmd/") || pkg == "e2e" || pkg == "" || strings.HasSuffix(pkg, "test") {
			continue // wiring, the test tree and test-helper packages (backendtest, s3test) may import anything
		}
		for _, imp := range ours {
			if slices.Contains(concrete, imp) {
				t.Errorf("%s imports the concrete backend %s: only cmd may", pkg, imp)
				continue
			}
			rules, known := allowed[pkg]
			if !known {
				t.Errorf("%s is not in the import rules of imports_test.go; add it deliberately", pkg)
				break
			}
			if !slices.Contains(rules, imp) {
				t.Errorf("%s imports %s, which DESIGN.md's direction forbids", pkg, imp)
			}
		}
	}
	if checked < 5 {
		t.Fatalf("go list returned only %d packages", checked)
	}
}
