package ledgercore

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbiddenImports would let the core see the clock, randomness, the
// filesystem, the network or shared memory, and so break determinism.
var forbiddenImports = map[string]bool{
	"os": true, "net": true, "time": true, "math/rand": true, "math/rand/v2": true,
	"crypto/rand": true, "sync": true, "sync/atomic": true, "unsafe": true, "io/fs": true,
	"syscall": true, "runtime": true, "reflect": true,
}

// TestPurity fails if any non-test file of the package imports something
// that could make Decide or Apply depend on more than their arguments.
func TestPurity(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbiddenImports[path] || strings.HasPrefix(path, "net/") {
				t.Errorf("%s imports %q: ledgercore must stay pure (no clock, randomness, I/O or shared memory)", name, path)
			}
			if strings.Contains(path, ".") && path != "github.com/shopspring/decimal" {
				t.Errorf("%s imports %q: ledgercore may import only the standard library and shopspring/decimal", name, path)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("checked only %d files: is the test running in the package directory?", checked)
	}
}
