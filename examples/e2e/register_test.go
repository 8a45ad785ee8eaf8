package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"
	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/proctest"
)

// cartProto is the scaffold's API before a service is added to it.
const cartProto = `syntax = "proto3";

package shop.v1;

option go_package = "example.com/shop/gen/shop/v1;shopv1";

service CartService {
  rpc AddItem(AddItemRequest) returns (AddItemResponse);
}

message AddItemRequest {}
message AddItemResponse {}
`

// catalogProto is the service added later to the same file and workload.
const catalogProto = `
service CatalogService {
  rpc GetItem(GetItemRequest) returns (GetItemResponse);
}

message GetItemRequest {}
message GetItemResponse {}
`

// TestScaffoldAddService adds a service to a scaffolded workload, as a user
// does months later: the scaffold's main.go (theirs, never regenerated)
// calls the workload's registration function (emit=register, regenerated
// with the Go), so once the Go is regenerated the main no longer builds,
// and the error names the new service's method; implementing it (embedding
// its Unimplemented server and writing the method) builds a server on which
// every probe of the regenerated Deployment passes with the real
// grpc-health-probe, each service's own name is SERVING, and the new
// method answers from the implementation.
func TestScaffoldAddService(t *testing.T) {
	t.Parallel()
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Fatalf("protoc is not on PATH: run `make protoc` (%v)", err)
	}
	mod := newScaffoldModule(t, cartProto)
	proto := filepath.Join(mod, "proto/shop/v1/shop.proto")
	generateGo := func() {
		mustRun(t, mod, protoc, "-I", "proto",
			"--go_out=gen", "--go_opt=paths=source_relative",
			"--go-grpc_out=gen", "--go-grpc_opt=paths=source_relative",
			"--health_out=gen", "--health_opt=paths=source_relative,emit=go,emit=register,workload=shop",
			"shop/v1/shop.proto")
	}
	port, healthPort := freePort(t), freePort(t)
	scaffold := fmt.Sprintf("--health_opt=emit=k8s,scaffold=true,workload=shop,port=%d,health_port=%d,drain_seconds=1,stop_seconds=3", port, healthPort)
	generateGo()
	mustRun(t, mod, protoc, "-I", "proto", "--health_out=.", scaffold, "shop/v1/shop.proto")
	goEnv := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if r := runCmd(goTimeout, mod, goEnv, "go", "mod", "tidy"); r.code != 0 {
		t.Fatalf("go mod tidy: exit %d\n%s", r.code, r.out)
	}
	bin := filepath.Join(t.TempDir(), "server")
	build := []string{"go", "build", "-o", bin, "./cmd/shop"}
	if r := runCmd(goTimeout, mod, goEnv, build...); r.code != 0 {
		t.Fatalf("the scaffold of one service: go build: exit %d\n%s", r.code, r.out)
	}

	// A service added to the workload: the Go is regenerated, main.go is not.
	old, err := os.ReadFile(proto)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, proto, string(old)+catalogProto)
	generateGo()
	r := runCmd(goTimeout, mod, goEnv, build...)
	if r.code == 0 || !strings.Contains(r.out, "RegisterShopWorkload") || !strings.Contains(r.out, "missing method GetItem") {
		t.Fatalf("main.go without the added service: go build exit %d, want a failure naming RegisterShopWorkload and the missing method GetItem:\n%s", r.code, r.out)
	}
	t.Logf("go build after adding the service:\n%s", r.out)

	// Implemented, as its comment tells: embed the Unimplemented server,
	// write the method.
	main := filepath.Join(mod, "cmd/shop/main.go")
	src, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	// protogen names the import: find the embedded server, qualifier and all.
	var embedded string
	for _, line := range strings.SplitAfter(string(src), "\n") {
		if strings.HasSuffix(line, ".UnimplementedCartServiceServer\n") {
			embedded = line
		}
	}
	if embedded == "" {
		t.Fatalf("main.go does not embed UnimplementedCartServiceServer:\n%s", src)
	}
	catalog := strings.Replace(embedded, "CartService", "CatalogService", 1)
	writeFile(t, main, strings.Replace(string(src), embedded, embedded+catalog, 1))
	writeFile(t, filepath.Join(mod, "cmd/shop/catalog.go"), `package main

import (
	"context"

	shopv1 "example.com/shop/gen/shop/v1"
)

func (*server) GetItem(context.Context, *shopv1.GetItemRequest) (*shopv1.GetItemResponse, error) {
	return &shopv1.GetItemResponse{}, nil
}
`)
	if r := runCmd(goTimeout, mod, goEnv, build...); r.code != 0 {
		t.Fatalf("with the added service implemented: go build: exit %d\n%s", r.code, r.out)
	}

	// The Deployment the plugin now generates for the workload of two
	// services, run as the kubelet would.
	deploy := t.TempDir()
	mustRun(t, mod, protoc, "-I", "proto", "--health_out="+deploy, scaffold, "shop/v1/shop.proto")
	c := readDeployment(t, filepath.Join(deploy, "shop/deployment.yaml")).Spec.Template.Spec.Containers[0]
	cmd := exec.Command(bin, c.Args...)
	cmd.Env = []string{}
	s := &server{Server: proctest.StartCmd(t, "added-service", cmd), t: t}
	ports := map[int32]int32{port: port, healthPort: healthPort}
	for kind, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil {
			t.Fatalf("the Deployment has no %s probe", kind)
		}
		eventually(t, startTimeout, kind+" probe passes", func() (bool, string) {
			r := kubeletProbe(t, p, ports)
			return r.ok, r.String()
		})
	}
	for _, name := range []string{"shop.v1.CartService", "shop.v1.CatalogService"} {
		if r := grpcHealthProbe(t, "-addr="+s.HealthAddr, "-service="+name); r.code != 0 {
			t.Errorf("grpc-health-probe -service=%s: exit %d, want 0 (SERVING)\n%s", name, r.code, r.out)
		}
	}
	if err := dial(t, s.Addr).Invoke(t.Context(), "/shop.v1.CatalogService/GetItem", &emptypb.Empty{}, &emptypb.Empty{}); err != nil {
		t.Errorf("GetItem: %v, want the implementation's answer", err)
	}
}
