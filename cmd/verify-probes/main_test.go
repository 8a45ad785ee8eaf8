package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

// The test protos: helloworld.Greeter; shop.v2.Cart and shop.v2.Checkout
// (skipped by its service option); legacy.Old (skipped by its file option)
// and legacy.Kept (which sets skip: false); grpc.health.v1.Health, which the
// runtime never registers as a health name.
var testProtos = []string{"helloworld/helloworld.proto", "shop/v2/cart.proto", "legacy/legacy.proto", "grpc/health/v1/health.proto"}

// compileProtos compiles testdata/proto in-process, resolving our options
// from the repository's proto directory: the files with their imports first.
var compileProtos = sync.OnceValues(func() (*descriptorpb.FileDescriptorSet, error) {
	return protoreq.Compile([]string{"testdata/proto", "../../proto"}, testProtos)
})

// writeDescriptors writes a FileDescriptorSet of the test protos to a
// temporary file, with their imports first (as protoc --include_imports
// does) or without them, and returns its path.
func writeDescriptors(t testing.TB, includeImports bool) string {
	t.Helper()
	all, err := compileProtos()
	if err != nil {
		t.Fatal(err)
	}
	set := &descriptorpb.FileDescriptorSet{File: all.File}
	if !includeImports {
		set = &descriptorpb.FileDescriptorSet{}
		for _, f := range all.File {
			if slices.Contains(testProtos, f.GetName()) {
				set.File = append(set.File, f)
			}
		}
	}
	data, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "set.binpb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func lines(s ...string) string {
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, "\n") + "\n"
}

const usageText = "usage: verify-probes --descriptors FILE [--names=healthreg|services|overall] [--name NAME]... [--names-file FILE] [--require-probes] [--expect DIR]... [--server ADDR [-tls ...]] [--strict] [--format=text|json] [--chart DIR [--values FILE]... [--set K=V]...] [PATH...]\n"

func TestRun(t *testing.T) {
	desc := writeDescriptors(t, true)
	descNoImports := writeDescriptors(t, false)
	empty := filepath.Join(t.TempDir(), "empty.binpb")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	emptyDir := t.TempDir()
	const m = "testdata/manifests/"

	tests := []struct {
		name       string
		args       []string // $DESC is the descriptor set
		stdin      string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name: "correct manifests of every kind", args: []string{"--descriptors", "$DESC", m + "good"},
		},
		{
			name: "correct manifests, descriptors without imports", args: []string{"--descriptors", descNoImports, m + "good"},
		},
		{
			name: "typo in a service name", args: []string{"--descriptors", "$DESC", m + "typo.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/typo.yaml:13: error: Deployment/greeter greeter livenessProbe: unknown health service "livenes": not in the descriptors, nor "liveness", "readiness" or ""; did you mean "liveness"?`,
				`testdata/manifests/typo.yaml:13: warning: Deployment/greeter greeter livenessProbe: liveness probe checks "livenes": a failing dependency would restart the pod; probe "liveness"`,
				`testdata/manifests/typo.yaml:17: error: Deployment/greeter greeter readinessProbe: unknown health service "helloworld.Greter": not in the descriptors, nor "liveness", "readiness" or ""; did you mean "helloworld.Greeter"?`,
			),
		},
		{
			name: "wrong package version", args: []string{"--descriptors", "$DESC", m + "version.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/version.yaml:11: error: StatefulSet/cart cart readinessProbe: unknown health service "shop.v1.Cart": not in the descriptors, nor "liveness", "readiness" or ""; did you mean "shop.v2.Cart"?`,
				`testdata/manifests/version.yaml:15: error: StatefulSet/cart cart startupProbe: unknown health service "Something.Else": not in the descriptors, nor "liveness", "readiness" or ""; if the server registers it, allow it with --name Something.Else`,
			),
		},
		{
			name: "liveness probe names a service", args: []string{"--descriptors", "$DESC", m + "liveness.yaml"},
			wantStdout: lines(`testdata/manifests/liveness.yaml:11: warning: Deployment/greeter greeter livenessProbe: liveness probe checks "helloworld.Greeter": a failing dependency would restart the pod; probe "liveness"`),
		},
		{
			name: "liveness probe names a service, strict, flag after the path", args: []string{"--descriptors", "$DESC", m + "liveness.yaml", "--strict"}, wantCode: 1,
			wantStdout: lines(`testdata/manifests/liveness.yaml:11: error: Deployment/greeter greeter livenessProbe: liveness probe checks "helloworld.Greeter": a failing dependency would restart the pod; probe "liveness"`),
		},
		{
			name: "exec timeouts do not fit", args: []string{"--descriptors", "$DESC", m + "timeouts.yaml"},
			wantStdout: lines(
				`testdata/manifests/timeouts.yaml:11: warning: Deployment/greeter greeter readinessProbe.timeoutSeconds: grpc_health_probe's -connect-timeout 1s + -rpc-timeout 1s = 2s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds 1 or the kubelet may kill the probe and count a failure; raise timeoutSeconds to 3 or lower the timeouts`,
				`testdata/manifests/timeouts.yaml:14: warning: Deployment/greeter greeter livenessProbe.timeoutSeconds: grpc_health_probe's -connect-timeout 3s + -rpc-timeout 2s = 5s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds 4 or the kubelet may kill the probe and count a failure; raise timeoutSeconds to 6 or lower the timeouts`,
			),
		},
		{
			name: "ports not among the container's", args: []string{"--descriptors", "$DESC", m + "ports.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/ports.yaml:13: warning: Pod/ports app readinessProbe.exec.command: port 50052 is not among the container's ports (grpc=50051, 9090)`,
				`testdata/manifests/ports.yaml:16: warning: Pod/ports app startupProbe.grpc.port: port 8080 is not among the container's ports (grpc=50051, 9090)`,
				`testdata/manifests/ports.yaml:18: error: Pod/ports app livenessProbe.httpGet.port: port name "metrics" is not among the container's ports (grpc=50051, 9090)`,
			),
		},
		{
			name: "skipped services", args: []string{"--descriptors", "$DESC", m + "skipped.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/skipped.yaml:11: error: Deployment/shop shop readinessProbe: service "shop.v2.Checkout" is skipped by its health options (skip: true), so the health server never registers it`,
				`testdata/manifests/skipped.yaml:13: error: Deployment/shop shop startupProbe: service "legacy.Old" is skipped by its health options (skip: true), so the health server never registers it`,
			),
		},
		{
			name: "skipped services, descriptors without imports", args: []string{"--descriptors", descNoImports, m + "skipped.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/skipped.yaml:11: error: Deployment/shop shop readinessProbe: service "shop.v2.Checkout" is skipped by its health options (skip: true), so the health server never registers it`,
				`testdata/manifests/skipped.yaml:13: error: Deployment/shop shop startupProbe: service "legacy.Old" is skipped by its health options (skip: true), so the health server never registers it`,
			),
		},
		{
			name: "probe rules", args: []string{"--descriptors", "$DESC", m + "rules.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/rules.yaml:9: error: Pod/rules init readinessProbe: an init container may have probes only as a sidecar, with restartPolicy: Always`,
				`testdata/manifests/rules.yaml:15: error: Pod/rules app livenessProbe.grpc.port: must be between 1 and 65535, inclusive, not 0`,
				`testdata/manifests/rules.yaml:15: error: Pod/rules app livenessProbe.successThreshold: must be 1 for liveness probes, not 2`,
				`testdata/manifests/rules.yaml:18: error: Pod/rules app readinessProbe.periodSeconds: must be greater than or equal to 0, not -1`,
				`testdata/manifests/rules.yaml:18: error: Pod/rules app readinessProbe.terminationGracePeriodSeconds: must not be set for readiness probes`,
				`testdata/manifests/rules.yaml:18: error: Pod/rules app readinessProbe: may not specify more than 1 handler type, found tcpSocket, grpc`,
			),
		},
		{
			name: "several files, sorted by file", args: []string{"--descriptors", "$DESC", m + "version.yaml", m + "liveness.yaml", m + "good"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/liveness.yaml:11: warning: Deployment/greeter greeter livenessProbe: liveness probe checks "helloworld.Greeter": a failing dependency would restart the pod; probe "liveness"`,
				`testdata/manifests/version.yaml:11: error: StatefulSet/cart cart readinessProbe: unknown health service "shop.v1.Cart": not in the descriptors, nor "liveness", "readiness" or ""; did you mean "shop.v2.Cart"?`,
				`testdata/manifests/version.yaml:15: error: StatefulSet/cart cart startupProbe: unknown health service "Something.Else": not in the descriptors, nor "liveness", "readiness" or ""; if the server registers it, allow it with --name Something.Else`,
			),
		},
		{
			name: "stdin", args: []string{"--descriptors=$DESC", "-"}, wantCode: 1,
			stdin:      "# helm template output\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: c\n    readinessProbe:\n      grpc: {port: 1, service: helloworld.Greetr}\n    ports: [{containerPort: 1}]\n",
			wantStdout: lines(`<stdin>:10: error: Pod/p c readinessProbe: unknown health service "helloworld.Greetr": not in the descriptors, nor "liveness", "readiness" or ""; did you mean "helloworld.Greeter"?`),
		},
		{
			name: "merge keys", args: []string{"--descriptors", "$DESC", "-"}, wantCode: 1,
			stdin:      "apiVersion: v1\nkind: Pod\nmetadata: {name: merged}\nspec:\n  containers:\n  - name: c\n    readinessProbe:\n      <<: {periodSeconds: -1}\n      grpc: {port: 1, service: helloworld.Greeter}\n    ports: [{containerPort: 1}]\n",
			wantStdout: lines(`<stdin>:7: error: Pod/merged c readinessProbe.periodSeconds: must be greater than or equal to 0, not -1`),
		},
		{
			name: "alias bomb", args: []string{"--descriptors", "$DESC", "-"}, wantCode: 2,
			stdin:      aliasBomb(),
			wantStderr: "verify-probes: <stdin>:1: aliases and merge keys expand the YAML to more than 100316 values (158 written): refusing to read it\n",
		},
		{
			name: "no probes", args: []string{"--descriptors", "$DESC", "-"},
			stdin:      "# nothing\n---\napiVersion: v1\nkind: ConfigMap\n",
			wantStderr: "verify-probes: no probes found in the manifests\n",
		},
		{
			name: "json", args: []string{"--descriptors", "$DESC", "--format=json", m + "liveness.yaml", m + "ports.yaml"}, wantCode: 1,
			wantStdout: `[
  {
    "file": "testdata/manifests/liveness.yaml",
    "line": 11,
    "severity": "warning",
    "kind": "Deployment",
    "name": "greeter",
    "container": "greeter",
    "probe": "livenessProbe",
    "message": "liveness probe checks \"helloworld.Greeter\": a failing dependency would restart the pod; probe \"liveness\""
  },
  {
    "file": "testdata/manifests/ports.yaml",
    "line": 13,
    "severity": "warning",
    "kind": "Pod",
    "name": "ports",
    "container": "app",
    "probe": "readinessProbe",
    "field": "exec.command",
    "message": "port 50052 is not among the container's ports (grpc=50051, 9090)"
  },
  {
    "file": "testdata/manifests/ports.yaml",
    "line": 16,
    "severity": "warning",
    "kind": "Pod",
    "name": "ports",
    "container": "app",
    "probe": "startupProbe",
    "field": "grpc.port",
    "message": "port 8080 is not among the container's ports (grpc=50051, 9090)"
  },
  {
    "file": "testdata/manifests/ports.yaml",
    "line": 18,
    "severity": "error",
    "kind": "Pod",
    "name": "ports",
    "container": "app",
    "probe": "livenessProbe",
    "field": "httpGet.port",
    "message": "port name \"metrics\" is not among the container's ports (grpc=50051, 9090)"
  }
]
`,
		},
		{
			name: "json, clean", args: []string{"--descriptors", "$DESC", "--format", "json", m + "good"},
			wantStdout: "[]\n",
		},
		{
			name: "json with a namespace", args: []string{"--descriptors", "$DESC", "--format=json", "-"}, wantCode: 1,
			stdin: "kind: Pod\napiVersion: v1\nmetadata: {name: p, namespace: ns}\nspec:\n  containers:\n  - name: c\n    startupProbe: {grpc: {port: 1, service: x}}\n    ports: [{containerPort: 1}]\n",
			wantStdout: `[
  {
    "file": "<stdin>",
    "line": 7,
    "severity": "error",
    "kind": "Pod",
    "name": "p",
    "namespace": "ns",
    "container": "c",
    "probe": "startupProbe",
    "message": "unknown health service \"x\": not in the descriptors, nor \"liveness\", \"readiness\" or \"\"; if the server registers it, allow it with --name x"
  }
]
`,
		},
		{
			name: "broken YAML", args: []string{"--descriptors", "$DESC", m + "broken.yaml"}, wantCode: 2,
			wantStderr: "verify-probes: testdata/manifests/broken.yaml:4: did not find expected key\n",
		},
		{
			name: "broken YAML after findings elsewhere", args: []string{"--descriptors", "$DESC", m + "liveness.yaml", m + "broken.yaml"}, wantCode: 2,
			wantStdout: lines(`testdata/manifests/liveness.yaml:11: warning: Deployment/greeter greeter livenessProbe: liveness probe checks "helloworld.Greeter": a failing dependency would restart the pod; probe "liveness"`),
			wantStderr: "verify-probes: testdata/manifests/broken.yaml:4: did not find expected key\n",
		},
		{
			name: "wrong type outside the probes", args: []string{"--descriptors", "$DESC", m + "badtype.yaml"}, wantCode: 2,
			wantStderr: "verify-probes: testdata/manifests/badtype.yaml:5: Pod/badtype: spec.containers.ports.containerPort: want int32, not string\n",
		},
		{
			name: "wrong types confined to probes", args: []string{"--descriptors", "$DESC", m + "probetypes.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/probetypes.yaml:13: error: Pod/probetypes app livenessProbe.grpc.port: grpc probes need a numeric port; named ports are not allowed: use 50051, the number of the container's port "grpc"`,
				`testdata/manifests/probetypes.yaml:14: error: Pod/probetypes app readinessProbe: unknown health service "helloworld.Greetr": not in the descriptors, nor "liveness", "readiness" or ""; did you mean "helloworld.Greeter"?`,
				`testdata/manifests/probetypes.yaml:21: error: Pod/probetypes app startupProbe.grpc.port: grpc probes need a numeric port, not the string "50051": remove the quotes`,
				`testdata/manifests/probetypes.yaml:27: error: Pod/probetypes sidecar readinessProbe.periodSeconds: want int32, not string`,
				`testdata/manifests/probetypes.yaml:28: error: Pod/probetypes sidecar livenessProbe: want a mapping, not string`,
				`testdata/manifests/probetypes.yaml:30: error: Pod/probetypes sidecar startupProbe.grpc.port: grpc probes need a numeric port; named ports are not allowed`,
			),
		},
		{
			name: "liveness probe names \"\" or readiness", args: []string{"--descriptors", "$DESC", m + "livenessnames.yaml"},
			wantStdout: lines(
				`testdata/manifests/livenessnames.yaml:11: warning: Deployment/names default livenessProbe: liveness probe checks "" (no service), which follows every service in this runtime: a failing dependency would restart the pod; probe "liveness"`,
				`testdata/manifests/livenessnames.yaml:16: warning: Deployment/names readiness livenessProbe: liveness probe checks "readiness", which follows every service: a failing dependency would restart the pod; probe "liveness"`,
				`testdata/manifests/livenessnames.yaml:21: warning: Deployment/names exec livenessProbe: liveness probe checks "" (no service), which follows every service in this runtime: a failing dependency would restart the pod; probe "liveness"`,
			),
		},
		{
			name: "grpc.health.v1.Health is not a health name", args: []string{"--descriptors", "$DESC", m + "healthservice.yaml"}, wantCode: 1,
			wantStdout: lines(
				`testdata/manifests/healthservice.yaml:12: error: Deployment/greeter greeter readinessProbe: service "grpc.health.v1.Health" is the health-checking service itself: no health server registers it as a health name (not healthreg, grpc-go's health.Server, grpc-java's HealthStatusManager nor Python's HealthServicer), so the probe gets NOT_FOUND; if the server registers it, allow it with --name grpc.health.v1.Health`,
				`testdata/manifests/healthservice.yaml:14: error: Deployment/greeter greeter startupProbe: unknown health service "grpc.health.v1.Heath": not in the descriptors, nor "liveness", "readiness" or ""; if the server registers it, allow it with --name grpc.health.v1.Heath`,
			),
		},
		{
			name: "containers that declare no ports", args: []string{"--descriptors", "$DESC", m + "noports.yaml"},
			wantStdout: lines(
				`testdata/manifests/noports.yaml:9: warning: Pod/noports app readinessProbe.grpc.port: container declares no ports; the probe's port 50051 is not declared`,
				`testdata/manifests/noports.yaml:11: warning: Pod/noports app livenessProbe.exec.command: container declares no ports; the probe's port 50051 is not declared`,
				`testdata/manifests/noports.yaml:14: warning: Pod/noports app startupProbe.tcpSocket.port: container declares no ports; the probe's port 50051 is not declared`,
				`testdata/manifests/noports.yaml:25: warning: Pod/noports empty readinessProbe.httpGet.port: container declares no ports; the probe's port 8080 is not declared`,
			),
		},
		{
			name: "duplicate key", args: []string{"--descriptors", "$DESC", m + "duplicate.yaml"}, wantCode: 2,
			wantStderr: "verify-probes: testdata/manifests/duplicate.yaml:5: Pod/duplicate: spec: line 11: mapping key \"readinessProbe\" already defined at line 9\n",
		},
		{
			name: "unknown file", args: []string{"--descriptors", "$DESC", m + "nope.yaml"}, wantCode: 2,
			wantStderr: "verify-probes: testdata/manifests/nope.yaml: no such file or directory\n",
		},
		{
			name: "directory without YAML", args: []string{"--descriptors", "$DESC", emptyDir}, wantCode: 2,
			wantStderr: "verify-probes: " + emptyDir + ": no *.yaml or *.yml files in the directory\n",
		},
		{
			name: "unknown descriptor set", args: []string{"--descriptors", "nope.binpb", m + "good"}, wantCode: 2,
			wantStderr: "verify-probes: nope.binpb: no such file or directory\n",
		},
		{
			name: "YAML as descriptor set", args: []string{"--descriptors", m + "typo.yaml", m + "good"}, wantCode: 2,
			wantStderr: "verify-probes: testdata/manifests/typo.yaml: not a descriptor set: write one with buf build -o FILE.binpb or protoc --include_imports --descriptor_set_out=FILE\n",
		},
		{
			name: "empty descriptor set", args: []string{"--descriptors", empty, m + "good"}, wantCode: 2,
			wantStderr: "verify-probes: " + empty + ": descriptor set holds no files\n",
		},
		{
			name: "no descriptors", args: []string{m + "good"}, wantCode: 2,
			wantStderr: "verify-probes: --descriptors is required\n" + usageText,
		},
		{
			name: "no paths", args: []string{"--descriptors", "$DESC"}, wantCode: 2,
			wantStderr: "verify-probes: no manifests: give files, directories, - for standard input, or --chart DIR\n" + usageText,
		},
		{
			// Without --server nothing reads them: the manifests would be
			// checked while the user believes a TLS server was asked.
			name: "server flags without --server", args: []string{"--descriptors", "$DESC", "-tls", "--tls-ca-cert", "ca.pem", "--server-timeout=3s", m + "good"}, wantCode: 2,
			wantStderr: "verify-probes: -server-timeout, -tls, -tls-ca-cert: only used with --server (the running server to ask)\n" + usageText,
		},
		{
			name: "bad format", args: []string{"--descriptors", "$DESC", "--format=xml", "-"}, wantCode: 2,
			wantStderr: "verify-probes: --format must be text or json, not \"xml\"\n" + usageText,
		},
		{
			name: "unknown flag", args: []string{"--bogus"}, wantCode: 2,
			wantStderr: "verify-probes: flag provided but not defined: -bogus\n" + usageText,
		},
		{
			name: "paths after --", args: []string{"--descriptors", "$DESC", "--", "--strict"}, wantCode: 2,
			wantStderr: "verify-probes: --strict: no such file or directory\n",
		},
		{
			name: "version", args: []string{"--version"}, wantStdout: "verify-probes devel\n",
		},
		{
			// The runtime's limit holds even for a name allowed by hand.
			name: "names over the runtime's limit", args: []string{"--descriptors", "$DESC", "--name", nameOfLen(1025), "--name", nameOfLen(1024), "-"}, wantCode: 1,
			stdin: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: c\n    ports: [{containerPort: 1}]\n" +
				"    readinessProbe: {grpc: {port: 1, service: " + nameOfLen(1025) + "}}\n    startupProbe: {grpc: {port: 1, service: " + nameOfLen(1024) + "}}\n",
			wantStdout: lines(`<stdin>:9: error: Pod/p c readinessProbe: health name "a.` + strings.Repeat("x", 62) + `"... is 1025 bytes, longer than the health server's limit of 1024: healthreg refuses to register it and answers INVALID_ARGUMENT, so the probe never gets SERVING`),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "$DESC", desc)
			}
			var stdout, stderr bytes.Buffer
			code := run(args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantStdout, stdout.String()); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr.String()); diff != "" {
				t.Errorf("stderr mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// nameOfLen returns a health name of n bytes.
func nameOfLen(n int) string { return "a." + strings.Repeat("x", n-2) }

// aliasBomb is a pod spec that expands to 10^12 values through aliases.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	b.WriteString("  containers: []\n")
	return b.String()
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{arg}, nil, &stdout, &stderr); code != 0 {
			t.Errorf("run(%s) = %d, want 0", arg, code)
		}
		if !strings.HasPrefix(stdout.String(), usageText) || !strings.Contains(stdout.String(), "-descriptors FILE") {
			t.Errorf("run(%s) printed\n%s", arg, stdout.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("run(%s) wrote to stderr: %s", arg, stderr.String())
		}
	}
}

// TestFindProbes checks that every workload kind's probes are found, with
// the lines of their keys: a reader that finds nothing would pass every
// clean case.
func TestFindProbes(t *testing.T) {
	sources, skipped, err := manifest.Expand([]string{"testdata/manifests/good"})
	if err != nil || len(skipped) > 0 {
		t.Fatal(err, skipped)
	}
	var got []string
	for _, src := range sources {
		data, err := manifest.Read(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		sites, err := manifest.Parse(src.Name, data)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sites {
			got = append(got, fmt.Sprintf("%s:%d %s/%s %s %s", filepath.Base(s.File), s.Line, s.Kind, s.Name, s.Container.Name, s.ProbeKind))
		}
	}
	want := []string{
		"daemonset.yaml:15 DaemonSet/legacy legacy liveness",
		"daemonset.yaml:17 DaemonSet/legacy legacy readiness",
		"deployment.yaml:53 Deployment/greeter greeter liveness",
		"deployment.yaml:57 Deployment/greeter greeter readiness",
		"deployment.yaml:62 Deployment/greeter greeter startup",
		"deployment.yaml:44 Deployment/greeter proxy readiness",
		"job.yaml:12 Job/once once readiness",
		"list.yaml:12 Pod/in-list a readiness",
		"list.yaml:26 Deployment/in-deployment-list b readiness",
		"cronjob.yml:15 CronJob/nightly nightly startup",
		"pod.yaml:12 Pod/web web liveness",
		"pod.yaml:14 Pod/web web readiness",
		"replicaset.yaml:15 ReplicaSet/greeter-abc greeter readiness",
		"replicaset.yaml:17 ReplicaSet/greeter-abc greeter startup",
		"statefulset.yaml:18 StatefulSet/cart cart liveness",
		"statefulset.yaml:27 StatefulSet/cart cart readiness",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("probes mismatch (-want +got):\n%s", diff)
	}
}
