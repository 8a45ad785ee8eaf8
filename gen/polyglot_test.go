package gen

import "testing"

// The parameter errors of the health code for servers without healthreg
// (polyglot.go): each names the parameter, and the run writes nothing.
func TestErrorPolyglotParams(t *testing.T) {
	for _, c := range []struct{ param, want string }{
		{"go_runtime=grpcio", `parameter go_runtime=grpcio: must be "healthreg" or "grpc"`},
		{"emit=node,go_runtime=grpc", "parameter go_runtime=grpc: is only used with emit=go (it chooses the health server the Go code targets)"},
		{"emit=python,go_runtime=healthreg", "parameter go_runtime=healthreg: is only used with emit=go (it chooses the health server the Go code targets)"},
		{"emit=go,emit=k8s,go_runtime=grpc,scaffold=true", "parameter go_runtime=grpc: cannot be used with scaffold=true, whose main.go runs healthreg"},
		{"emit=python,emit=node,tls=true", "parameter tls=true: needs an emit= that writes probes or health checks (k8s, helm, gke, envoygateway, compose, alb)"},
		{"emit=nodejs", `parameter emit=nodejs: must be one of go, k8s, helm, gke, envoygateway, istio, compose, alb, node, python, register (repeat emit= for several: plugin parameters are split on commas)`},
	} {
		t.Run(c.param, func(t *testing.T) { checkError(t, c.param, greeter, c.want) })
	}
}

// A Node.js or Python module sets the names of one workload: a file whose
// services are in two is an error naming both, and so is a service pair
// whose module constants collide.
func TestErrorPolyglotFiles(t *testing.T) {
	twoWorkloads := map[string]string{"in/shop/shop.proto": `syntax = "proto3";
package shop;
service Cart {}
service Catalog {}
`}
	for _, kind := range []string{"node", "python"} {
		checkError(t, "emit="+kind, twoWorkloads,
			`shop/shop.proto: services shop.Cart, shop.Catalog: parameter emit: the file's services are in 2 workloads ("shop-cart", "shop-catalog"), and a Node.js or Python module sets the names of one; put them in one workload (workload= or the workload option), or move them to separate files`)
	}
	colliding := map[string]string{"in/shop/shop.proto": `syntax = "proto3";
package shop;
service FooBar {}
service Foo_Bar {}
`}
	checkError(t, "emit=python,workload=shop", colliding,
		`shop/shop.proto: services shop.FooBar, shop.Foo_Bar: both generate the constant FOO_BAR_HEALTH_NAME in the file's Node.js and Python modules; rename one, or skip one with (health.options.v1.service).skip`)
	goCollision := map[string]string{"in/shop/shop.proto": `syntax = "proto3";
package shop;
option go_package = "example.com/shop";
service Cart {}
service Catalog {}
`}
	checkError(t, "emit=go,go_runtime=grpc,service.shop.Cart.workload=a-1,service.shop.Catalog.workload=a1", goCollision,
		`shop/shop.proto: service shop.Catalog: workloads "a-1" and "a1" both generate the Go functions SetA1Health and ShutdownA1Health in package example.com/shop; rename one`)
}

func TestConstantName(t *testing.T) {
	for in, want := range map[string]string{
		"Greeter":        "GREETER_HEALTH_NAME",
		"CartService":    "CART_SERVICE_HEALTH_NAME",
		"HTTPCatalog_v2": "HTTP_CATALOG_V2_HEALTH_NAME",
		"foo_bar":        "FOO_BAR_HEALTH_NAME",
		"V1Service":      "V1_SERVICE_HEALTH_NAME",
	} {
		if got := constantName(in); got != want {
			t.Errorf("constantName(%q) = %q, want %q", in, got, want)
		}
	}
}

// The go_runtime option is a file option: on a service it is an error, and
// a file option for grpc-go's server with scaffold=true (whose main.go
// calls Register<Service>Health) is an error at the option.
func TestErrorGoRuntimeOption(t *testing.T) {
	onService := map[string]string{"in/acme/acme.proto": `syntax = "proto3";
package acme;
import "health/options/v1/options.proto";
option go_package = "example.com/acme";
service Greeter {
  option (health.options.v1.service) = {go_runtime: GO_RUNTIME_GRPC};
}
`}
	checkError(t, "emit=go", onService,
		`acme/acme.proto:6: service acme.Greeter: option (health.options.v1.service).go_runtime = GO_RUNTIME_GRPC: is a file option only: set it in (health.options.v1.file)`)
	scaffold := map[string]string{"in/acme/acme.proto": `syntax = "proto3";
package acme;
import "health/options/v1/options.proto";
option go_package = "example.com/acme";
option (health.options.v1.file) = {go_runtime: GO_RUNTIME_GRPC};
service Greeter {}
`}
	checkError(t, "emit=go,emit=k8s,scaffold=true", scaffold,
		`acme/acme.proto:5: service acme.Greeter: option (health.options.v1.file).go_runtime = GO_RUNTIME_GRPC: workload "acme-greeter": scaffold=true writes a healthreg server, whose main.go calls Register<Service>Health; leave go_runtime unset`)
}
