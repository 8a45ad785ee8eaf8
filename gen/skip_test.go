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
