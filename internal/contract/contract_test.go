package contract

import (
	"testing"
)

func TestIsFixedName(t *testing.T) {
	for name, want := range map[string]bool{"": true, "liveness": true, "readiness": true, "startup": false, "helloworld.Greeter": false, "Liveness": false, HealthServiceName: false} {
		if got := IsFixedName(name); got != want {
			t.Errorf("IsFixedName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestKinds(t *testing.T) {
	want := map[Kind]string{Liveness: "livenessProbe", Readiness: "readinessProbe", Startup: "startupProbe"}
	for _, k := range Kinds {
		if got := k.Field(); got != want[k] {
			t.Errorf("%s.Field() = %q, want %q", k, got, want[k])
		}
		if !k.Valid() {
			t.Errorf("%s.Valid() = false", k)
		}
	}
	if Kind("ready").Valid() {
		t.Error(`Kind("ready").Valid() = true`)
	}
}

func TestParseNamesMode(t *testing.T) {
	for _, s := range []string{"healthreg", "services", "overall"} {
		m, err := ParseNamesMode(s)
		if err != nil || string(m) != s {
			t.Errorf("ParseNamesMode(%q) = %q, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "Healthreg", "service", "overall "} {
		m, err := ParseNamesMode(s)
		want := `"` + s + `" is not a naming mode: want healthreg, services, overall`
		if err == nil || err.Error() != want {
			t.Errorf("ParseNamesMode(%q) = %q, %v; want error %q", s, m, err, want)
		}
	}
}

func TestProbeServiceNames(t *testing.T) {
	services := []string{"shop.v1.Cart", "shop.v1.Checkout"}
	tests := []struct {
		mode     NamesMode
		services []string
		want     ProbeNames
	}{
		{NamesHealthreg, services, ProbeNames{Startup: "liveness", Liveness: "liveness", Readiness: "readiness"}},
		{NamesHealthreg, services[1:], ProbeNames{Startup: "liveness", Liveness: "liveness", Readiness: "shop.v1.Checkout"}},
		{NamesHealthreg, nil, ProbeNames{Startup: "liveness", Liveness: "liveness", Readiness: "readiness"}},
		{NamesServices, services, ProbeNames{Startup: "", Liveness: "", Readiness: "shop.v1.Cart"}},
		{NamesServices, services[1:], ProbeNames{Startup: "", Liveness: "", Readiness: "shop.v1.Checkout"}},
		{NamesServices, nil, ProbeNames{}},
		{NamesOverall, services, ProbeNames{}},
		{"bogus", services, ProbeNames{Startup: "liveness", Liveness: "liveness", Readiness: "readiness"}},
		{"bogus", services[:1], ProbeNames{Startup: "liveness", Liveness: "liveness", Readiness: "shop.v1.Cart"}},
	}
	for _, tt := range tests {
		got := ProbeServiceNames(tt.mode, tt.services)
		if got != tt.want {
			t.Errorf("ProbeServiceNames(%q, %q) = %+v, want %+v", tt.mode, tt.services, got, tt.want)
		}
		for _, k := range Kinds {
			if got.For(k) == HealthServiceName {
				t.Errorf("%s: %s probe asks %q", tt.mode, k, HealthServiceName)
			}
		}
		if got.For(Startup) != got.Startup || got.For(Liveness) != got.Liveness || got.For(Readiness) != got.Readiness || got.For("x") != "" {
			t.Errorf("For disagrees with the fields: %+v", got)
		}
	}
}

func TestRegisters(t *testing.T) {
	tests := []struct {
		mode      NamesMode
		name      string
		isService bool
		want      bool
	}{
		{NamesHealthreg, "liveness", false, true},
		{NamesHealthreg, "readiness", false, true},
		{NamesHealthreg, "", false, true},
		{NamesHealthreg, "a.B", true, true},
		{NamesHealthreg, "a.B", false, false},
		{NamesHealthreg, HealthServiceName, true, false},
		{NamesServices, "", false, true},
		{NamesServices, "a.B", true, true},
		{NamesServices, "liveness", false, false},
		{NamesServices, "readiness", false, false},
		{NamesServices, HealthServiceName, true, false},
		{NamesOverall, "", false, true},
		{NamesOverall, "a.B", true, false},
		{NamesOverall, "liveness", false, false},
	}
	for _, tt := range tests {
		if got := tt.mode.Registers(tt.name, tt.isService); got != tt.want {
			t.Errorf("%s.Registers(%q, %v) = %v, want %v", tt.mode, tt.name, tt.isService, got, tt.want)
		}
	}
	// Every name a mode's probes ask is one the mode registers.
	for _, m := range NamesModes {
		n := ProbeServiceNames(m, []string{"a.B"})
		for _, k := range Kinds {
			if name := n.For(k); !m.Registers(name, name == "a.B") {
				t.Errorf("%s: the %s probe asks %q, which the mode does not register", m, k, name)
			}
		}
	}
}

func TestIsProbeProgram(t *testing.T) {
	for p, want := range map[string]bool{
		"grpc_health_probe":                            true,
		"/bin/grpc_health_probe":                       true,
		"grpc-health-probe":                            true,
		"/usr/local/bin/grpc_health_probe-linux-amd64": true,
		"./grpc-health-probe.exe":                      true,
		"/bin/sh":                                      false,
		"/bin/probe":                                   false,
		"grpc_health":                                  false,
		"/grpc_health_probe/bin/x":                     false,
		"":                                             false,
	} {
		if got := IsProbeProgram(p); got != want {
			t.Errorf("IsProbeProgram(%q) = %v, want %v", p, got, want)
		}
	}
}
