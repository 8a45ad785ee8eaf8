package gen

import (
	"strings"
	"testing"
)

// shopTwo is a workload of two services, by the file option.
var shopTwo = map[string]string{"in/shop/shop.proto": `syntax = "proto3";
package shop;
option go_package = "example.com/shop;shop";
import "health/options/v1/options.proto";
option (health.options.v1.file) = { workload: "shop" };
service Cart {}
service Catalog {}
`}

// names=services on a workload of two services: its readiness probe would
// ask one of them, so the generator refuses, listing the ways out, and
// names the setting (parameter or option) that chose the mode.
func TestErrorNamesServicesSeveralServices(t *testing.T) {
	const ways = `workload "shop" serves 2 services (shop.Cart, shop.Catalog), and with names=services its readiness probe asks one service's name: ` +
		`a server that never registered the others would pass it. Give each service its own workload (the workload option, or service.<full.Name>.workload=), ` +
		`use names=overall, run healthreg (leave names unset: its "readiness" follows every service), or declare the name the readiness probe asks with readiness_service=`
	checkError(t, "emit=k8s,names=services", shopTwo, "parameter names=services: "+ways)
	for _, emit := range []string{"emit=compose", "emit=gke"} { // every workload output, not only the probes
		checkError(t, emit+",names=services", shopTwo, "parameter names=services: "+ways)
	}
	withOption := map[string]string{"in/shop/shop.proto": strings.Replace(shopTwo["in/shop/shop.proto"], `{ workload: "shop" }`, `{ workload: "shop" names: HEALTH_NAMES_SERVICES }`, 1)}
	checkError(t, "emit=k8s", withOption, `shop/shop.proto:5: services shop.Cart, shop.Catalog: option (health.options.v1.file).names = HEALTH_NAMES_SERVICES: `+ways)

	// Chosen explicitly, the readiness name stands for the workload.
	for _, p := range []string{"names=services,readiness_service=shop", "names=services,readiness_service=shop.Cart", "names=services,readiness_service="} {
		req := requestFor(t, "emit=k8s,"+p, testProto{"shop/shop.proto", shopTwo["in/shop/shop.proto"]})
		if resp := Generate(req); resp.Error != nil {
			t.Errorf("%s: %s", p, resp.GetError())
		}
	}
	// One service per workload is not refused.
	one := testProto{"shop/shop.proto", strings.Replace(shopTwo["in/shop/shop.proto"], "service Catalog {}\n", "", 1)}
	if resp := Generate(requestFor(t, "emit=k8s,names=services", one)); resp.Error != nil {
		t.Errorf("one service: %s", resp.GetError())
	}
}

// A per-probe name is any printable string up to the runtime's limit; the
// error names the parameter or option that set it.
func TestErrorProbeNameValues(t *testing.T) {
	checkError(t, "emit=k8s,liveness_service=a\tb", greeter, `parameter liveness_service="a\tb": must be printable: the probe sends the health name as written`)
	long := strings.Repeat("n", 1025)
	checkError(t, "emit=k8s,service.helloworld.Greeter.readiness_service="+long, greeter,
		"parameter service.helloworld.Greeter.readiness_service="+strings.Repeat("n", 64)+"...: is 1025 bytes, longer than the runtime's limit on a health name (1024)")
	opt := map[string]string{"in/helloworld/greeter.proto": `syntax = "proto3";
package helloworld;
option go_package = "example.com/helloworld;helloworld";
import "health/options/v1/options.proto";
service Greeter {
  option (health.options.v1.service) = { startup_service: "up\n" };
}
`}
	checkError(t, "emit=k8s", opt, `helloworld/greeter.proto:6: service helloworld.Greeter: option (health.options.v1.service).startup_service = "up\n": must be printable: the probe sends the health name as written`)
	// At the limit it generates.
	if resp := Generate(requestFor(t, "emit=k8s,readiness_service="+long[1:], testProto{"helloworld/greeter.proto", greeter["in/helloworld/greeter.proto"]})); resp.Error != nil {
		t.Errorf("1024 bytes: %s", resp.GetError())
	}
}

// The services of a workload agree on its probes' names, as on every probe
// setting; the scaffold's healthreg server registers only its own names.
func TestErrorProbeNameWorkload(t *testing.T) {
	checkError(t, "emit=k8s,service.shop.Cart.liveness_service=alive", shopTwo,
		`parameter service.shop.Cart.liveness_service=alive: workload "shop": service shop.Catalog has no liveness_service; every service of a workload must agree on liveness_service`)
	checkError(t, "emit=k8s,scaffold=true,liveness_service=alive", greeter,
		`parameter liveness_service=alive: workload "helloworld-greeter": scaffold=true writes a healthreg server, which registers "liveness", "readiness", "" and the workload's services; leave liveness_service unset, or drop scaffold=true`)
	// Names healthreg registers, but which break what the probe is for: a
	// liveness probe of readiness (or a service, or "") restarts the pod on
	// a dependency's failure and during the drain; a readiness probe of
	// liveness never fails at shutdown.
	checkError(t, "emit=k8s,scaffold=true,liveness_service=readiness", greeter,
		`parameter liveness_service=readiness: workload "helloworld-greeter": scaffold=true writes a healthreg server, whose "readiness" goes NOT_SERVING when a dependency fails and when shutdown begins, so a liveness probe asking it restarts the pod; its liveness name is "liveness"; leave liveness_service unset, or drop scaffold=true`)
	checkError(t, "emit=k8s,scaffold=true,readiness_service=liveness", greeter,
		`parameter readiness_service=liveness: workload "helloworld-greeter": scaffold=true writes a healthreg server, whose "liveness" stays SERVING while shutdown drains and when a dependency fails, so a readiness probe asking it never takes the pod out of rotation; leave readiness_service unset, or drop scaffold=true`)
	if resp := Generate(requestFor(t, "emit=k8s,scaffold=true,startup_service=readiness,liveness_service=liveness,readiness_service=helloworld.Greeter", testProto{"helloworld/greeter.proto", greeter["in/helloworld/greeter.proto"]})); resp.Error != nil {
		t.Errorf("healthreg's own names, each fit for its probe, with scaffold=true: %s", resp.GetError())
	}
	// Without scaffold=true, names=healthreg (the default) still says the
	// server runs healthreg: the same swaps are refused, a name healthreg
	// never registers is the user's server's business.
	checkError(t, "emit=k8s,liveness_service=helloworld.Greeter", greeter,
		`parameter liveness_service=helloworld.Greeter: workload "helloworld-greeter": names is healthreg (the default), which says the server runs healthreg, whose "helloworld.Greeter" goes NOT_SERVING when a dependency fails and when shutdown begins, so a liveness probe asking it restarts the pod; its liveness name is "liveness"; leave liveness_service unset, or set names= to what the server registers (services or overall) if it does not run healthreg`)
	checkError(t, "emit=k8s,names=healthreg,readiness_service=liveness", greeter,
		`parameter readiness_service=liveness: workload "helloworld-greeter": names is healthreg (the default), which says the server runs healthreg, whose "liveness" stays SERVING while shutdown drains and when a dependency fails, so a readiness probe asking it never takes the pod out of rotation; leave readiness_service unset, or set names= to what the server registers (services or overall) if it does not run healthreg`)
	for _, params := range []string{
		"emit=k8s,liveness_service=alive,readiness_service=ready",
		"emit=k8s,names=services,readiness_service=liveness,liveness_service=helloworld.Greeter",
	} {
		if resp := Generate(requestFor(t, params, testProto{"helloworld/greeter.proto", greeter["in/helloworld/greeter.proto"]})); resp.Error != nil {
			t.Errorf("%s: %s", params, resp.GetError())
		}
	}
}
