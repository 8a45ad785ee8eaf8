package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	var err error
	if root, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if buildDir, err = os.MkdirTemp("", "e2e-servers-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// The plugin and verify-probes are built from this checkout, never
	// taken from bin/, which may be older than the sources.
	ownBin = filepath.Join(buildDir, "bin")
	build := exec.Command("go", append([]string{"build", "-o", ownBin + string(filepath.Separator)}, ownPackages...)...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building %v: %v\n%s", ownPackages, err, out)
		os.RemoveAll(buildDir)
		os.Exit(2)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(buildDir)
		os.Exit(code)
	}))
}
