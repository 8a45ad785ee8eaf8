package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBufDirectoryStrategySplitWorkload: a workload whose services live in
// two directories, generated with buf's default strategy (directory: one
// plugin run per directory, each seeing only its own files), fails with the
// plugin's message instead of silently keeping one run's manifests; with
// strategy: all it generates one workload with both services.
func TestBufDirectoryStrategySplitWorkload(t *testing.T) {
	t.Parallel()
	buf := tool(t, "buf")
	dir := t.TempDir()
	for _, svc := range []struct{ pkg, name string }{{"cart", "CartService"}, {"catalog", "CatalogService"}} {
		writeFile(t, filepath.Join(dir, "proto", svc.pkg, "v1", svc.pkg+".proto"), `syntax = "proto3";

package `+svc.pkg+`.v1;

import "health/options/v1/options.proto";

service `+svc.name+` {
  option (health.options.v1.service) = { workload: "shop" };
  rpc Get(GetRequest) returns (GetResponse);
}

message GetRequest {}
message GetResponse {}
`)
	}
	options, err := os.ReadFile(filepath.Join(root, "proto/health/options/v1/options.proto"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "third_party/health/options/v1/options.proto"), string(options))
	writeFile(t, filepath.Join(dir, "buf.yaml"), `version: v2
modules:
  - path: proto
  - path: third_party
`)
	template := func(strategy string) string {
		return `version: v2
inputs:
  - directory: proto
plugins:
  - local: protoc-gen-health
    out: deploy
` + strategy + `    opt: [emit=k8s]
`
	}

	writeFile(t, filepath.Join(dir, "buf.gen.yaml"), template(""))
	r := runCmd(cmdTimeout, dir, toolEnv(t), buf, "generate")
	want := "another run of the plugin writes workload shop too; generate every file of a workload in one run (with buf: strategy: all)"
	if r.code == 0 || !strings.Contains(r.out, want) {
		t.Errorf("buf generate with strategy: directory: exit %d, want a failure saying %q:\n%s", r.code, want, r.out)
	}

	if err := os.RemoveAll(filepath.Join(dir, "deploy")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "buf.gen.yaml"), template("    strategy: all\n"))
	mustRun(t, dir, buf, "generate")
	probes, err := os.ReadFile(filepath.Join(dir, "deploy/shop/probes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{"cart/v1/cart.proto", "catalog/v1/catalog.proto"} {
		if !strings.Contains(string(probes), src) {
			t.Errorf("with strategy: all, deploy/shop/probes.yaml does not come from %s:\n%s", src, probes)
		}
	}
}
