package gen

import (
	"strings"
	"testing"
)

// service.<name>.skip=true takes one service of a shared workload out of
// it: the workload's readiness then asks the remaining service's name.
func TestServiceParamSkipInWorkload(t *testing.T) {
	resp := Generate(requestFor(t, "emit=k8s,emit=gke,service.shop.Catalog.skip=true", testProto{"shop/shop.proto", shopTwo["in/shop/shop.proto"]}))
	files := responseFiles(t, resp)
	probes := files["shop/probes.yaml"]
	if !strings.Contains(probes, `service: "shop.Cart"`) || strings.Contains(strings.Join(sortedValues(files), ""), "shop.Catalog") {
		t.Errorf("the workload should be shop.Cart's alone, and no file should name shop.Catalog:\n%s", probes)
	}
}

func TestErrorServiceParamSkip(t *testing.T) {
	checkError(t, "emit=k8s,service.shop.Catalog.skip=true,service.shop.Catalog.port=8080", shopTwo,
		"service shop.Catalog: the service is skipped, so parameter service.shop.Catalog.port would do nothing: remove them or stop skipping the service")
	checkError(t, "emit=k8s,service.shop.Catalog.skip=false", shopTwo,
		"parameter service.shop.Catalog.skip=false: would do nothing: the parameter only keeps a service out of every workload (skip=true); "+
			"a service's own option (health.options.v1.service).skip = false un-skips it in a skipped file")
	checkError(t, "emit=k8s,skip=true", shopTwo, `unknown parameter "skip" `+knownParamList)
}

func sortedValues(m map[string]string) []string {
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out
}

// A file whose every service is skipped has no workload, so emit=node and
// emit=python write no module for it (as emit=k8s writes no probes), while
// the other files of the run keep theirs. It was an error ("no workload for
// its module"), which broke the shared .proto that skip is for.
func TestServiceParamSkipWholeFileModules(t *testing.T) {
	const shared = `syntax = "proto3";
package shared;
option go_package = "example.com/shared;shared";
service Admin {}
`
	const shop = `syntax = "proto3";
package shop;
option go_package = "example.com/shop;shop";
service Cart {}
`
	files := runPlugin(t, requestFor(t, "emit=node,emit=python,emit=k8s,service.shared.Admin.skip=true",
		testProto{"shared/shared.proto", shared}, testProto{"shop/shop.proto", shop}))
	for name := range files {
		if strings.HasPrefix(name, "shared/") {
			t.Errorf("the skipped file's module %s was written", name)
		}
	}
	for _, name := range []string{"shop/shop_health.js", "shop/shop_health.py"} {
		if !strings.Contains(files[name], `"shop.Cart"`) {
			t.Errorf("%s should set shop.Cart's name; the run wrote %v", name, sortedKeys(files))
		}
	}
}
