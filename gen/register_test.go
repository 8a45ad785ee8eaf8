package gen

import (
	"slices"
	"strings"
	"testing"
)

func TestErrorRegister(t *testing.T) {
	clash := map[string]string{"in/helloworld/greeter.proto": `syntax = "proto3";
package helloworld;
option go_package = "example.com/helloworld;helloworld";
service Greeter {}
message RegisterHelloworldGreeterWorkload {}
`}
	for _, c := range []struct {
		param string
		files map[string]string
		want  string
	}{
		{"emit=register", greeter, "parameter emit=register: needs emit=go in the same run: the registration function is declared beside the .health.go, whose Register<Name>Health it calls, at the Go paths that run's paths= and module= give"},
		{"emit=go,emit=register,go_runtime=grpc", greeter, `helloworld/greeter.proto:4: service helloworld.Greeter: parameter emit=register: workload "helloworld-greeter"'s registration function registers health with healthreg, and the service's Go targets grpc-go's health server (go_runtime=grpc); register it by hand, or use go_runtime=healthreg`},
		{"emit=go,emit=register", clash, `helloworld/greeter.proto: service helloworld.Greeter: parameter emit=register: workload "helloworld-greeter"'s registration function RegisterHelloworldGreeterWorkload is a name protoc-gen-go also declares in package example.com/helloworld, for message helloworld.RegisterHelloworldGreeterWorkload (in helloworld/greeter.proto); rename the workload or the message`},
	} {
		t.Run(c.param, func(t *testing.T) { checkError(t, c.param, c.files, c.want) })
	}
}

// A workload's function goes in the first service's Go package unless
// another service's package imports it (the function would import that
// package back): then in the first package nothing of the workload imports.
func TestRegisterHostAvoidsImportCycle(t *testing.T) {
	base := testProto{"base/base.proto", `syntax = "proto3";
package base;
option go_package = "example.com/base;base";
service Base {}
message Item {}
`}
	user := testProto{"user/user.proto", `syntax = "proto3";
package user;
option go_package = "example.com/user;user";
import "base/base.proto";
service User { rpc Get(base.Item) returns (base.Item); }
`}
	files := runPlugin(t, requestFor(t, "emit=go,emit=register,workload=shop,paths=source_relative", base, user))
	var registers []string
	for name := range files {
		if strings.HasSuffix(name, ".register.health.go") {
			registers = append(registers, name)
		}
	}
	if !slices.Equal(registers, []string{"user/user.register.health.go"}) {
		t.Fatalf("registration files %v, want only user/user.register.health.go (base's package is imported by user's)", registers)
	}
	if got := files["user/user.register.health.go"]; !strings.Contains(got, "base.RegisterBaseServer(s, impl)") || !strings.Contains(got, "RegisterUserServer(s, impl)") {
		t.Errorf("user/user.register.health.go does not register both services:\n%s", got)
	}
}
