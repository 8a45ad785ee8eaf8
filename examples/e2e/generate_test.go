package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestProtocAndBufGenerateTheSameGo generates each example's Go with protoc
// and with buf, both running the plugins in bin/, and requires every
// .health.go to be byte for byte the checked-in one. Only .health.go is
// compared: protoc-gen-go's headers name the compiler's version.
func TestProtocAndBufGenerateTheSameGo(t *testing.T) {
	t.Parallel()
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Fatalf("protoc is not on PATH: run `make protoc` (Debian's protobuf-compiler) (%v)", err)
	}
	buf := tool(t, "buf")
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			protoDir := filepath.Join("examples", ex.name, "proto")
			protos := filesUnder(t, filepath.Join(root, protoDir), ".proto")

			protocOut := t.TempDir()
			args := []string{protoc, "-I", protoDir, "-I", "proto"}
			for _, plugin := range []string{"go", "go-grpc", "health"} {
				args = append(args, "--"+plugin+"_out=paths=source_relative:"+protocOut)
			}
			mustRun(t, root, append(args, protos...)...)

			bufOut := t.TempDir()
			mustRun(t, ex.dir(), buf, "generate", "--output", bufOut)

			checkedIn := healthGo(t, filepath.Join(ex.dir(), "gen"))
			if len(checkedIn) != len(protos) {
				t.Fatalf("%d checked-in .health.go files for %d proto files (each declares a service): %v", len(checkedIn), len(protos), protos)
			}
			if diff := cmp.Diff(healthGo(t, protocOut), healthGo(t, filepath.Join(bufOut, "gen"))); diff != "" {
				t.Errorf("protoc and buf differ (-protoc +buf):\n%s", diff)
			}
			if diff := cmp.Diff(checkedIn, healthGo(t, protocOut)); diff != "" {
				t.Errorf("protoc differs from the checked-in code (-checked-in +protoc):\n%s", diff)
			}
			if diff := cmp.Diff(checkedIn, healthGo(t, filepath.Join(bufOut, "gen"))); diff != "" {
				t.Errorf("buf differs from the checked-in code (-checked-in +buf):\n%s", diff)
			}
		})
	}
}
