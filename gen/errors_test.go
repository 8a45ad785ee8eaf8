package gen

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// generateError writes files (paths under in/ are generated, paths under
// include/ only importable) into a temporary case, runs the plugin with
// parameter and returns the response's error. A response with an error
// must have no files.
func generateError(t *testing.T, parameter string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	resp := Generate(buildRequest(t, dir, parameter))
	checkFeatures(t, resp)
	if resp.Error == nil {
		t.Fatalf("no error; files: %v", sortedKeys(responseFiles(t, resp)))
	}
	if n := len(resp.GetFile()); n > 0 {
		t.Errorf("response has an error and %d files", n)
	}
	return resp.GetError()
}

// checkError asserts the exact, full error text.
func checkError(t *testing.T, parameter string, files map[string]string, want string) {
	t.Helper()
	if diff := cmp.Diff(want, generateError(t, parameter, files)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// checkLine asserts that line n (1-based) of src holds text: an error's line
// number must point at the option that is wrong.
func checkLine(t *testing.T, src string, n int, text string) {
	t.Helper()
	lines := strings.Split(src, "\n")
	if n < 1 || n > len(lines) || !strings.Contains(lines[n-1], text) {
		t.Errorf("line %d is not the one holding %q", n, text)
	}
}

// greeter is a valid file with one service and no options, for the
// parameter errors.
var greeter = map[string]string{"in/helloworld/greeter.proto": `syntax = "proto3";
package helloworld;
option go_package = "example.com/helloworld;helloworld";
service Greeter {}
`}

// knownParamList is the list an unknown parameter's error gives: protogen's
// parameters and every parameter of the settings table, sorted.
var knownParamList = "(known: " + strings.Join(slices.Sorted(slices.Values(append(settingNames(inParam),
	"M<file>", "module", "paths", "service.<full.Name>.<field>"))), ", ") + ")"

func TestErrorUnknownParameter(t *testing.T) {
	checkError(t, "bogus=1", greeter, `unknown parameter "bogus" `+knownParamList)
}

func TestErrorUnknownEmit(t *testing.T) {
	checkError(t, "emit=yaml", greeter,
		`parameter emit=yaml: must be one of go, k8s, helm, gke, envoygateway, istio, compose, alb, node, python, register (repeat emit= for several: plugin parameters are split on commas)`)
}

func TestErrorEmptyEmit(t *testing.T) {
	checkError(t, "emit=", greeter,
		`parameter emit=: must be one of go, k8s, helm, gke, envoygateway, istio, compose, alb, node, python, register (repeat emit= for several: plugin parameters are split on commas)`)
}

func TestErrorBadProbe(t *testing.T) {
	checkError(t, "emit=k8s,probe=http", greeter, `parameter probe=http: must be "grpc" or "exec"`)
}

func TestErrorPortOutOfRange(t *testing.T) {
	for _, port := range []string{"0", "70000"} {
		t.Run(port, func(t *testing.T) {
			checkError(t, "emit=k8s,port="+port, greeter, "parameter port="+port+": must be between 1 and 65535")
		})
	}
}

func TestErrorStartupSecondsZero(t *testing.T) {
	checkError(t, "emit=k8s,startup_seconds=0", greeter, "parameter startup_seconds=0: must be at least 1")
}

func TestErrorEmptyProbeBin(t *testing.T) {
	checkError(t, "emit=k8s,probe=exec,probe_bin=", greeter,
		`parameter probe_bin=: must be a path without spaces, such as /bin/grpc_health_probe`)
}

func TestErrorWorkloadNotDNS1035(t *testing.T) {
	checkError(t, "emit=k8s,workload=1st-app", greeter,
		`parameter workload=1st-app: must start with a lowercase letter (a DNS-1035 label)`)
}

func TestErrorImageWithoutScaffold(t *testing.T) {
	checkError(t, "emit=k8s,image=ghcr.io/acme/greeter:v1", greeter,
		`parameter image=ghcr.io/acme/greeter:v1: is only used with scaffold=true`)
}

func TestErrorScaffoldWithoutK8s(t *testing.T) {
	checkError(t, "scaffold=true", greeter, "parameter scaffold=true: needs emit=k8s or emit=helm")
}

func TestErrorReservedServiceName(t *testing.T) {
	src := `syntax = "proto3";
option go_package = "example.com/nopkg;nopkg";

// readiness has no package, so its health name is the runtime's own.
service readiness {}
`
	const want = `in.proto:5: service readiness: the health name "readiness" is reserved for the runtime's own status; give the service a package, or skip it`
	checkError(t, "", map[string]string{"in/in.proto": src}, want)
	checkLine(t, src, 5, "service readiness")
}

func TestErrorOptionOutOfRange(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

option (health.options.v1.file) = {
  port: 0
};

service Cart {
  option (health.options.v1.service) = { readiness: { period_seconds: -1 } };
}

service Catalog {}
`
	const want = "shop.proto:5: services shop.Cart, shop.Catalog: option (health.options.v1.file).port = 0: must be between 1 and 65535\n" +
		"shop.proto:10: service shop.Cart: option (health.options.v1.service).readiness.period_seconds = -1: must be at least 1"
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
	checkLine(t, src, 5, "(health.options.v1.file)")
	checkLine(t, src, 10, "period_seconds: -1")
}

func TestErrorLivenessSuccessThreshold(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

service Cart {
  option (health.options.v1.service) = {
    liveness: { success_threshold: 2 }
  };
}
`
	const want = "shop.proto:6: service shop.Cart: option (health.options.v1.service).liveness.success_threshold = 2: " +
		"must be 1 on a liveness probe (Kubernetes rejects any other value)"
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
	checkLine(t, src, 6, "(health.options.v1.service)")
}

func TestErrorStartupSecondsAndFailureThreshold(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

service Cart {
  option (health.options.v1.service) = { startup_seconds: 30 startup: { failure_threshold: 10 } };
}
`
	const want = "shop.proto:6: service shop.Cart: option (health.options.v1.service).startup.failure_threshold = 10: " +
		"set startup_seconds or startup.failure_threshold, not both: startup_seconds sets the failure threshold"
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestErrorProbeUnspecified(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

option (health.options.v1.file) = { probe: PROBE_STYLE_UNSPECIFIED };

service Cart {}
`
	const want = "shop.proto:5: service shop.Cart: option (health.options.v1.file).probe = PROBE_STYLE_UNSPECIFIED: " +
		"must be PROBE_STYLE_GRPC or PROBE_STYLE_EXEC"
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestErrorBadContainer(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

service Cart {
  option (health.options.v1.service) = { container: "Cart_Server" };
}
`
	const want = `shop.proto:6: service shop.Cart: option (health.options.v1.service).container = "Cart_Server": ` +
		`must hold only lowercase letters, digits and '-' (a DNS label)`
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestErrorDefaultWorkloadNamesCollide(t *testing.T) {
	src := `syntax = "proto3";
package foo;

service BarBaz {}

service bar_baz {}
`
	const want = `foo.proto:6: services foo.BarBaz, foo.bar_baz: both get the default workload name "foo-bar-baz"; ` +
		`set (health.options.v1.service).workload on one of them, or put both in one workload`
	checkError(t, "emit=k8s", map[string]string{"in/foo.proto": src}, want)
}

func TestErrorExplicitWorkloadIsAnotherDefault(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

service Cart {}

service Catalog {
  option (health.options.v1.service) = { workload: "shop-cart" };
}
`
	const want = `shop.proto:5: services shop.Cart, shop.Catalog: workload "shop-cart" is named explicitly for shop.Catalog ` +
		`and is also the default workload name of shop.Cart; name the workload of shop.Cart too`
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestErrorWorkloadDisagrees(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

option (health.options.v1.file) = { workload: "shop" };

service Cart {
  option (health.options.v1.service) = { port: 8080 container: "cart" probe: PROBE_STYLE_EXEC };
}

service Catalog {}
`
	const want = `shop.proto:8: service shop.Cart: option (health.options.v1.service).container = "cart": workload "shop": service shop.Catalog has the default container "server"; every service of a workload must agree on container` + "\n" +
		`shop.proto:8: service shop.Cart: option (health.options.v1.service).port = 8080: workload "shop": service shop.Catalog has the default port 50051; every service of a workload must agree on port` + "\n" +
		`shop.proto:8: service shop.Cart: option (health.options.v1.service).probe = PROBE_STYLE_EXEC: workload "shop": service shop.Catalog has the default probe PROBE_STYLE_GRPC; every service of a workload must agree on probe`
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestErrorNoServiceCountsTowardReadiness(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

option (health.options.v1.file) = { workload: "shop" counts_toward_readiness: false };

service Cart {}

service Catalog {}
`
	const want = `shop.proto:5: services shop.Cart, shop.Catalog: option (health.options.v1.file).counts_toward_readiness = false: ` +
		`workload "shop" has no service that counts toward readiness, so its readiness probe would pass with nothing ready`
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestErrorOptionsOnSkippedService(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

service Cart {
  option (health.options.v1.service) = { skip: true port: 8080 workload: "cart" };
}
`
	const want = `shop.proto:6: service shop.Cart: option (health.options.v1.service): the service is skipped, ` +
		`so workload, port would do nothing: remove them or stop skipping it`
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestErrorHealthPortIsPort(t *testing.T) {
	checkError(t, "emit=k8s,port=8080,health_port=8080", greeter,
		"parameter health_port=8080: must differ from port (8080): leave health_port unset to serve health on the application's port")
}

func TestErrorWorkloadInImportedFile(t *testing.T) {
	lib := `syntax = "proto3";
package lib;
import "health/options/v1/options.proto";

service Inventory {
  option (health.options.v1.service) = { workload: "shop" };
}
`
	app := `syntax = "proto3";
package app;
import "health/options/v1/options.proto";
import "lib/lib.proto";

service Cart {
  option (health.options.v1.service) = { workload: "shop" };
}
`
	const want = `lib/lib.proto:6: service lib.Inventory: option (health.options.v1.service).workload = "shop": ` +
		`this file is not generated by this run, which does generate app.Cart of the same workload (app/app.proto); ` +
		`generate every file of a workload in one run (with buf: strategy: all for emit=k8s)`
	checkError(t, "emit=k8s", map[string]string{"in/app/app.proto": app, "include/lib/lib.proto": lib}, want)
	checkLine(t, lib, 6, "workload")
}

func TestErrorOptionsOnSkippedFile(t *testing.T) {
	src := `syntax = "proto3";
package legacy;
import "health/options/v1/options.proto";
option go_package = "example.com/legacy";
option (health.options.v1.file) = { skip: true, port: 9090, readiness: { period_seconds: 3 } };

service Old {}
service Older {}
`
	const want = `legacy/legacy.proto:5: services legacy.Old, legacy.Older: option (health.options.v1.file): ` +
		`every service of the file is skipped, so port, readiness would do nothing: remove them or stop skipping`
	checkError(t, "emit=go,emit=k8s", map[string]string{"in/legacy/legacy.proto": src}, want)
	checkLine(t, src, 5, "skip: true")
}

// A file option that skips the file but whose fields reach a service that
// un-skips itself is fine.
func TestSkippedFileWithUnskippedService(t *testing.T) {
	src := `syntax = "proto3";
package legacy;
import "health/options/v1/options.proto";
option go_package = "example.com/legacy";
option (health.options.v1.file) = { skip: true, port: 9090 };

service Old {}
service Kept {
  option (health.options.v1.service) = { skip: false };
}
`
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"in/legacy/legacy.proto": src})
	resp := Generate(buildRequest(t, dir, "emit=k8s"))
	if resp.Error != nil {
		t.Fatalf("error: %s", resp.GetError())
	}
	got := responseFiles(t, resp)
	if p, ok := got["legacy-kept/probes.yaml"]; !ok || !strings.Contains(p, "port: 9090") {
		t.Errorf("legacy.Kept's probes on port 9090 are missing: %v", sortedKeys(got))
	}
}

// When a parameter and a .proto option disagree within one workload, the
// error names the option's file and line, not the parameter.
func TestErrorDisagreementNamesTheOption(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";
option go_package = "example.com/shop";

service Cart {}
service Catalog {
  option (health.options.v1.service) = { probe: PROBE_STYLE_GRPC };
}
`
	const want = `shop/shop.proto:8: service shop.Catalog: option (health.options.v1.service).probe = PROBE_STYLE_GRPC: ` +
		`workload "shop": service shop.Cart has probe PROBE_STYLE_EXEC; every service of a workload must agree on probe`
	checkError(t, "emit=k8s,workload=shop,probe=exec", map[string]string{"in/shop/shop.proto": src}, want)
	checkLine(t, src, 8, "PROBE_STYLE_GRPC")
}

func TestErrorScaffoldOnlyParameters(t *testing.T) {
	checkError(t, "emit=k8s,drain_seconds=3,stop_seconds=9", greeter,
		"parameter drain_seconds=3: is only used with scaffold=true\nparameter stop_seconds=9: is only used with scaffold=true")
}

func TestErrorSeveralSorted(t *testing.T) {
	a := `syntax = "proto3";
package a;
import "health/options/v1/options.proto";

service A {
  option (health.options.v1.service) = { container: "A" };
}
`
	b := `syntax = "proto3";
package b;
import "health/options/v1/options.proto";

option (health.options.v1.file) = { health_port: 0 };

service B {}
`
	const want = "parameter startup_seconds=-5: must be at least 1\n" +
		`a.proto:6: service a.A: option (health.options.v1.service).container = "A": must hold only lowercase letters, digits and '-' (a DNS label)` + "\n" +
		"b.proto:5: service b.B: option (health.options.v1.file).health_port = 0: must be between 1 and 65535"
	checkError(t, "emit=k8s,startup_seconds=-5", map[string]string{"in/b.proto": b, "in/a.proto": a}, want)
}

// TestErrorServiceParamNotGenerated: a per-service parameter for a service
// of an imported file that this run does not generate would do nothing
// here; the error says why (buf's directory strategy splits runs).
func TestErrorServiceParamNotGenerated(t *testing.T) {
	files := map[string]string{
		"in/app/app.proto":      "syntax = \"proto3\";\npackage app;\nimport \"lib/lib.proto\";\nservice App {}\n",
		"include/lib/lib.proto": "syntax = \"proto3\";\npackage lib;\nservice Lib {}\n",
	}
	checkError(t, "emit=k8s,service.lib.Lib.port=8080", files,
		"parameter service.lib.Lib.port: service lib.Lib is in lib/lib.proto, which this run does not generate; "+
			"generate every file of a workload in one run (with buf: strategy: all for emit=k8s)")
}

// TestServiceParamSuggestionCutoff: a per-service parameter naming no
// service suggests the service at most two edits away: one exactly two off,
// one three off (whose last component matches no service's either).
func TestServiceParamSuggestionCutoff(t *testing.T) {
	for _, c := range []struct{ written, want string }{
		{"helloworld.Grexxer", `parameter service.helloworld.Grexxer.port: no service helloworld.Grexxer in the files this run generates; did you mean helloworld.Greeter?`},
		{"helloworld.Grxxxer", `parameter service.helloworld.Grxxxer.port: no service helloworld.Grxxxer in the files this run generates`},
	} {
		resp := Generate(buildRequest(t, "testdata/k8s_default", "emit=k8s,service."+c.written+".port=9000"))
		if resp.GetError() != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.written, resp.GetError(), c.want)
		}
	}
}
