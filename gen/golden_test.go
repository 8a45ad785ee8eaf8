package gen

import (
	"bytes"
	"flag"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

var update = flag.Bool("update", false, "rewrite golden files")

// optionsImportPath holds health/options/v1/options.proto, so cases can
// import it.
const optionsImportPath = "../proto"

// errorFile is the golden file that holds the response's error.
const errorFile = "error.txt"

// buildRequest is the one harness that turns a case directory into the
// request protoc would send: every .proto under dir/in is a file to
// generate; dir/include, when present, holds files they import that are not
// generated. The request carries source info (comments, option lines).
func buildRequest(t *testing.T, dir, parameter string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	in := filepath.Join(dir, "in")
	var files []string
	err := filepath.WalkDir(in, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".proto" {
			return err
		}
		rel, err := filepath.Rel(in, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	importPaths := []string{in}
	if include := filepath.Join(dir, "include"); isDir(include) {
		importPaths = append(importPaths, include)
	}
	importPaths = append(importPaths, optionsImportPath)
	req, err := protoreq.Build(importPaths, files, parameter)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// goldenCases lists every directory of testdata/ and what it shows.
var goldenCases = []struct{ name, shows string }{
	{"one_service", "emit=go, paths=source_relative: one file of health code"},
	{"several_services", "three services of one file in one Go file, in declaration order"},
	{"two_packages", "two files with different packages and go_package"},
	{"no_methods", "a service without methods still gets a health name"},
	{"streaming_only", "a service with only streaming methods"},
	{"no_services", "a file without services: no output at all, even with emit=k8s"},
	{"deprecated", "a deprecated file and a deprecated service"},
	{"syntax_proto2", "a proto2 file"},
	{"syntax_proto3", "a proto3 file with a proto3 optional field"},
	{"syntax_editions2023", "an editions 2023 file"},
	{"options_syntax_proto2", "file and service options (workload, port, probe, timings, counts_toward_readiness, skip) in a proto2 file"},
	{"options_syntax_proto3", "the same options in a proto3 file: the same output"},
	{"options_syntax_editions2023", "the same options in an editions 2023 file: the same output"},
	{"paths_source_relative", "Go file next to the .proto"},
	{"paths_import", "Go file under its go_package import path (the default)"},
	{"paths_module", "module= strips the prefix from the import path"},
	{"multiline_comments", "leading comments over several lines and block comments are copied; detached and trailing ones are not"},
	{"imported_not_generated", "services of an imported file that is not generated get neither code nor workload"},
	{"grpc_health", "grpc.health.v1.Health among the files to generate gets neither code nor workload"},
	{"k8s_default", "emit=k8s: one workload per service, named from the full name"},
	{"k8s_workload_param", "workload= puts every service in one workload, whose readiness probe asks for \"readiness\""},
	{"k8s_workload_param_imported", "workload= does not pull in the services of an imported file that is not generated"},
	{"go_and_k8s", "emit=go and emit=k8s together"},
	{"k8s_module", "module= moves Go files but not manifests, which stay at <workload>/"},
	{"k8s_source_relative", "paths=source_relative does not move manifests either"},
	{"k8s_probe_exec", "probe=exec: grpc_health_probe with 40% of timeoutSeconds for each of its timeouts"},
	{"k8s_probe_exec_timeouts", "probe=exec with probe_bin= and different timeouts per probe kind"},
	{"k8s_health_port", "health_port=: probes dial the health port"},
	{"scaffold_placeholder", "scaffold=true without image=: a placeholder image"},
	{"scaffold_image_exec", "scaffold=true with image=, probe=exec, health_port and drain/stop seconds"},
	{"scaffold_two_services", "scaffold=true for a workload of three services in two Go packages, two of one name: main.go embeds each Unimplemented server in one type and calls the workload's registration function (in v1, the first service's package); paths= does not move it"},
	{"register_workload", "emit=register for a workload of three services in two Go packages, two of one name: one function in the first service's package, taking one value implementing all three"},
	{"register_method_clash", "emit=register for a workload of two services with a method of one name (AddItem): an error naming both, since one value cannot implement both"},
	{"register_default_workloads", "emit=register with each service its own workload: a function in each service's package"},
	{"scaffold_no_go_package", "scaffold=true on a file without go_package: an error, since main.go must import it"},
	{"k8s_no_go_package", "emit=k8s on files without go_package, one in no directory and no package"},
	{"go_without_go_package", "emit=go on a file without go_package: protogen's error, and no manifests either"},
	{"long_names", "default workload names over 63 characters keep whole words and end in a hash of the full name"},
	{"long_names_versions", "five versions of one long service: each shortened name keeps its version label (v1beta2, v1p1beta1, ...)"},
	{"options_service_level", "every HealthOptions field on services, skip and counts_toward_readiness included"},
	{"options_file_level", "every HealthOptions field on files; a service overriding the file's skip and counts_toward_readiness"},
	{"precedence", "service option over file option over parameter over default, one field each"},
	{"workload_two_files", "one workload gathering services from two files via the workload option"},
	{"consumers_all", "every output: Go service configs, probes, GKE, Envoy Gateway and Istio policies (listed in the kustomization) and compose healthchecks"},
	{"consumers_workload", "the consumer files alone (no emit=k8s) for a two-file workload: every consumer asks \"readiness\""},
	{"consumers_health_port", "health_port=: GKE and compose check the plaintext health port, so tls=true adds no -tls (Envoy Gateway refuses it: TestConsumerErrors)"},
	{"consumers_names_overall", "names=overall: the consumers ask \"\" (GKE's and Envoy Gateway's name fields left out), the service config too"},
	{"consumers_scaffold", "scaffold=true: the scaffold's kustomization lists the policies"},
	{"tls_exec", "tls=true with probe=exec: grpc_health_probe -tls -tls-no-verify in probes and compose"},
	{"tls_exec_server_name", "tls_server_name= and tls_ca_cert=: grpc_health_probe verifies the certificate against the name"},
	{"tls_grpc_k8s_1_37", "tls=true with grpc probes and k8s_version=1.37: mode: TLS (KEP-4939)"},
	{"alb", "emit=alb: an ALB Ingress whose gRPC health check calls healthreg's readiness RPC with success code 0, listed in the kustomization; thresholds raised to the ALB's minimum of 2"},
	{"alb_health_port_tls", "emit=alb alone with tls=true and a health port: HTTPS to the backends, a plaintext health check on the health port"},
	{"mtls_exec", "tls_client_cert= and tls_client_key= with a verified server: -tls-client-cert, -tls-client-key in probes and compose"},
	{"rpc_header_exec", "rpc_header= repeated: -rpc-header per header; $(PROBE_TOKEN) read by sh -c 'exec grpc_health_probe ... ${PROBE_TOKEN:?}' in the exec probes (the kubelet expands no valueFrom entry), ${PROBE_TOKEN:?...} for compose"},
	{"spiffe_exec", "spiffe=true: -spiffe instead of -tls in probes and compose"},
	{"alts_compose", "alts=true with emit=compose alone: -alts"},
	{"auth_options", "rpc_header as a repeated option (the service's list replaces the file's) and as repeated per-service parameters"},
	{"mtls_grpc_error", "a client certificate with the kubelet's grpc probes: the error names probe=exec and the health port"},
	{"rpc_header_literal_error", "a literal authorization header: refused without echoing it, showing the $(VAR) form"},
	{"auth_consumers_error", "rpc_header with emit=gke, envoygateway and alb: each consumer refuses it"},
	{"auth_scaffold_error", "rpc_header with a $(VAR) and scaffold=true: the probes read it through sh, which the scaffold's distroless image lacks"},
	{"tls_scaffold_shell_error", "tls_ca_cert with a $(VAR) and scaffold=true: the probes run through sh, which the scaffold's distroless image lacks"},
	{"auth_health_port_error", "rpc_header with health_port: the plaintext health port needs none of it"},
	{"tls_grpc_error", "tls=true with grpc probes before 1.37, and with emit=gke: errors naming the ways out"},
	{"service_params", "service.<name>.<field>= parameters: per-service workload, port, container and kind over the file option and run-wide parameters"},
	{"service_params_errors", "per-service parameters: disagreeing with a service option, invalid values, an unknown service (with a near name), a skipped service"},
	{"names_modes", "names=: a file of a plain health server (services), a per-service overall and a service back on healthreg; Go code is the same in every mode"},
	{"names_kind_errors", "unset kind and names enums, services of one workload disagreeing on names, kind and names with scaffold=true"},
	{"go_runtime_grpc", "go_runtime=grpc: Go for grpc-go's own health server, each workload's set and shutdown functions in the first file of its package holding one of its services"},
	{"go_runtime_option", "the go_runtime file option: one file of a package for grpc-go's health server (names=services), the other on healthreg"},
	{"modules", "emit=node and emit=python: per-file modules setting exactly the probes' names, names=services and a file's names=overall; files without go_package"},
	{"probe_names", "startup_service=, liveness_service=, readiness_service= as parameters, per-service parameters and options override names= per probe; the service config and compose ask the declared readiness name"},
	{"service_params_skip", "service.<name>.skip=true: the service of a shared .proto gets no workload, probes or consumer files; its Go constants and functions stay"},
	{"helm_default", "emit=helm beside emit=k8s: each workload's library chart names the Component's probes and port, timings overridable under grpcHealth"},
	{"helm_exec_tls", "emit=helm alone with probe=exec and TLS: grpc_health_probe's timeouts follow an overridden timeoutSeconds"},
	{"helm_names_modes", "emit=helm in every naming mode: the library charts ask the names the Components ask"},
	{"helm_scaffold", "scaffold=true with emit=helm and a health port: a chart (Deployment, Service) that depends on the library chart, and a Dockerfile"},
	{"helm_probe_names", "emit=helm with per-probe names (startup_service=, liveness_service=, readiness_service=): the library charts ask the model's names, as the Components do"},
	{"helm_kind_error", "emit=helm with kind= and no emit=k8s: kind= names what the Component patches, which a chart does not need"},
	{"hipstershop", "a nine-service demo in one proto mapped onto its existing Deployments with per-service parameters only"},
}

func TestGolden(t *testing.T) {
	listed := map[string]bool{}
	for _, tc := range goldenCases {
		listed[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Log(tc.shows)
			dir := filepath.Join("testdata", tc.name)
			param, err := os.ReadFile(filepath.Join(dir, "params.txt"))
			if err != nil {
				t.Fatal(err)
			}
			parameter := strings.TrimSpace(string(param))
			resp := Generate(buildRequest(t, dir, parameter))
			got := responseFiles(t, resp)

			want := filepath.Join(dir, "want")
			if *update {
				writeGolden(t, want, got)
			}
			wantFiles := readGolden(t, want)
			if diff := cmp.Diff(sortedKeys(wantFiles), sortedKeys(got)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			for name, w := range wantFiles {
				if g, ok := got[name]; ok {
					if diff := cmp.Diff(w, g); diff != "" {
						t.Errorf("%s (-want +got):\n%s", name, diff)
					}
				}
			}

			checkFeatures(t, resp)
			for name, content := range got {
				if strings.HasSuffix(name, ".go") {
					checkGofmt(t, name, content)
				}
			}
			again := Generate(buildRequest(t, dir, parameter))
			if !proto.Equal(resp, again) {
				t.Errorf("a second run on the same request gave a different response:\n%s",
					cmp.Diff(got, responseFiles(t, again)))
			}
		})
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		// testdata/ also holds other tests' files, such as fuzz/.
		if isDir(filepath.Join("testdata", e.Name(), "in")) && !listed[e.Name()] {
			t.Errorf("testdata/%s is not in goldenCases", e.Name())
		}
	}
}

// applyInsertions returns the response's files by name, with its
// insertions applied as protoc and buf apply them: the content goes just
// before the line holding @@protoc_insertion_point(NAME) in a file written
// earlier. The plugin's only insertions are its split guards (see
// splitGuard), which insert nothing at a point the run itself wrote; a
// point that is missing, or a file written twice, fails the test.
func applyInsertions(t testing.TB, resp *pluginpb.CodeGeneratorResponse) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, f := range resp.GetFile() {
		name := f.GetName()
		point := f.GetInsertionPoint()
		if point == "" {
			if _, dup := files[name]; dup {
				t.Errorf("file %s is written twice", name)
			}
			files[name] = f.GetContent()
			continue
		}
		target, ok := files[name]
		marker := "@@protoc_insertion_point(" + point + ")"
		i := strings.Index(target, marker)
		if !ok || i < 0 {
			t.Errorf("insertion into %s: no point %q", name, point)
			continue
		}
		line := strings.LastIndex(target[:i], "\n") + 1
		files[name] = target[:line] + f.GetContent() + target[line:]
	}
	return files
}

// responseFiles returns the response's files by name, with its error, if
// any, as errorFile. A response with an error must have no files.
func responseFiles(t *testing.T, resp *pluginpb.CodeGeneratorResponse) map[string]string {
	t.Helper()
	files := applyInsertions(t, resp)
	if resp.Error != nil {
		if len(files) > 0 {
			t.Errorf("response has an error and files %v", sortedKeys(files))
		}
		files = map[string]string{errorFile: resp.GetError() + "\n"}
	}
	return files
}

func writeGolden(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, files)
}

// writeFiles writes files, by slash-separated name, under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readGolden reads every file under dir by its slash-separated name; a
// missing dir is a case with no output (git keeps no empty directories).
func readGolden(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	if !isDir(dir) {
		return files
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkFeatures asserts what every response, failed or not, declares.
func checkFeatures(t *testing.T, resp *pluginpb.CodeGeneratorResponse) {
	t.Helper()
	if got := resp.GetSupportedFeatures(); got != 3 {
		t.Errorf("SupportedFeatures = %d, want 3 (proto3 optional | editions)", got)
	}
	if got, want := resp.GetMinimumEdition(), int32(descriptorpb.Edition_EDITION_PROTO2); got != want {
		t.Errorf("MinimumEdition = %d, want %d", got, want)
	}
	if got, want := resp.GetMaximumEdition(), int32(descriptorpb.Edition_EDITION_2024); got != want {
		t.Errorf("MaximumEdition = %d, want %d", got, want)
	}
}

// checkGofmt fails the test unless gofmt leaves content unchanged.
func checkGofmt(t testing.TB, name, content string) {
	t.Helper()
	formatted, err := format.Source([]byte(content))
	if err != nil {
		t.Errorf("%s does not parse as Go: %v", name, err)
		return
	}
	if !bytes.Equal(formatted, []byte(content)) {
		t.Errorf("%s is not gofmt-formatted:\n%s", name, cmp.Diff(content, string(formatted)))
	}
}
