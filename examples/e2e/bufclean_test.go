package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeBufGenCleansRenamedWorkload: with the README's buf.gen.yaml
// (clean: true), renaming a workload and running buf generate again leaves
// no deploy/ directory of the old name, whose stale Component would still
// patch the old Deployment.
func TestReadmeBufGenCleansRenamedWorkload(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	for _, b := range readmeBlocks(t) {
		if b.section == "Quickstart: from an empty directory to a server and its manifests" && b.file != "" {
			files[b.file] = b.body
		}
	}
	gen := files["buf.gen.yaml"]
	const entry = "opt: [emit=k8s, port=50051]"
	if !strings.Contains(gen, "\nclean: true") || strings.Count(gen, entry) != 1 || files["buf.yaml"] == "" || files["proto/helloworld/helloworld.proto"] == "" {
		t.Fatalf("the README's quickstart has no buf.yaml, proto and buf.gen.yaml with clean: true and one %q:\n%s", entry, gen)
	}
	dir := t.TempDir()
	for name, body := range files {
		if name != "buf.gen.yaml" {
			writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), body)
		}
	}
	generate := func(workload string) {
		t.Helper()
		writeFile(t, filepath.Join(dir, "buf.gen.yaml"), strings.Replace(gen, entry, "opt: [emit=k8s, port=50051, workload="+workload+"]", 1))
		if r := runCmd(cmdTimeout, dir, toolEnv(t), tool(t, "buf"), "generate"); r.code != 0 {
			t.Fatalf("buf generate (workload=%s): exit %d\n%s", workload, r.code, r.out)
		}
	}
	generate("greeter")
	if _, err := os.Stat(filepath.Join(dir, "deploy", "greeter", "kustomization.yaml")); err != nil {
		t.Fatal(err)
	}
	generate("hello")
	entries, err := os.ReadDir(filepath.Join(dir, "deploy"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "hello" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("deploy/ after renaming greeter to hello: %q, want only hello", names)
	}
	if _, err := os.Stat(filepath.Join(dir, "gen", "helloworld", "helloworld.health.go")); err != nil {
		t.Errorf("the Go entries' output: %v", err)
	}
}
