// Command verify-probes checks the Kubernetes probes of workloads against the
// gRPC services of a descriptor set: every gRPC health probe must name a
// health name the health server registers, and every probe must follow the
// probe rules of internal/proberules.
//
//	buf build -o image.binpb
//	helm template ./chart | verify-probes --descriptors image.binpb -
//
// It exits 0 when every probe is right (warnings alone do not fail unless
// --strict), 1 when a probe is wrong, and 2 on a usage error or unreadable
// input.
package main

import (
	"os"

	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart"
)

func main() {
	helmchart.RunChild() // when this process renders a chart for another (--chart)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
