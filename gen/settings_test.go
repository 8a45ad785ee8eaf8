package gen

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/encoding/prototext"

	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// TestSettingsOrder: the options of the table follow HealthOptions' field
// order (messages that list the fields a layer sets follow it), and every
// field of HealthOptions is a setting of the table.
func TestSettingsOrder(t *testing.T) {
	var fromTable, fromProto []string
	for _, r := range settings {
		if r.info().scopes&inOptions != 0 {
			fromTable = append(fromTable, r.info().name)
		}
	}
	fields := healthOptionsDesc.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Message() == nil {
			fromProto = append(fromProto, string(fd.Name()))
			continue
		}
		sub := fd.Message().Fields()
		for j := 0; j < sub.Len(); j++ {
			fromProto = append(fromProto, string(fd.Name())+"."+string(sub.Get(j).Name()))
		}
	}
	if strings.Join(fromTable, " ") != strings.Join(fromProto, " ") {
		t.Errorf("the table's options are\n%s\nHealthOptions' fields are\n%s", strings.Join(fromTable, " "), strings.Join(fromProto, " "))
	}
}

// sampleCandidates are texts of r's type, as a parameter writes them, from
// which the tests pick values that pass r's check.
func sampleCandidates(r row) []string {
	switch r.typeName() {
	case "int32":
		return []string{"7", "1", "0", "9"}
	case "string":
		return []string{"cart", "/bin/grpc_health_probe_v2", "grpc-health-probe", "/usr/bin/grpc-health-probe", "ledger"}
	case "bool":
		return []string{"true", "false"}
	case "1.N":
		return []string{"1.37", "1.38"}
	}
	var candidates []string
	words := strings.Split(r.typeName(), "|")
	for i := len(words) - 1; i >= 0; i-- {
		candidates = append(candidates, words[i])
	}
	return candidates
}

// sampleText returns a value of r, as a parameter writes it, that passes
// r's check and differs from its default when it can, so that every row,
// a new one too, is tested without a value written here for it.
func sampleText(t *testing.T, r row) string {
	t.Helper()
	var fallback string
	for _, c := range sampleCandidates(r) {
		v, err := r.parse(c)
		if err != nil || r.check(v) != "" {
			continue
		}
		if v != r.defaultValue() {
			return c
		}
		if fallback == "" {
			fallback = c
		}
	}
	if fallback == "" {
		t.Fatalf("setting %s: no sample value passes its check; add a candidate for type %s", r.info().name, r.typeName())
	}
	return fallback
}

// optionTextOf writes a setting's value as the text of HealthOptions.
func optionTextOf(r row, v any) string {
	parts := strings.Split(r.info().name, ".")
	text := parts[len(parts)-1] + ": " + r.optionText(v)
	for i := len(parts) - 2; i >= 0; i-- {
		text = parts[i] + ": {" + text + "}"
	}
	return text
}

// TestSettingEquivalence: a value given as a parameter, a per-service
// parameter, a file option or a service option, wherever its row allows,
// resolves to the same value of the row's Go type; each passes the checks,
// and with nothing given the default resolves.
func TestSettingEquivalence(t *testing.T) {
	const svc = "acme.v1.Cart"
	for _, r := range settings {
		in := r.info()
		if in.repeatable {
			continue // emit= is no value of a service; TestParseParams covers it
		}
		t.Run(in.name, func(t *testing.T) {
			text := sampleText(t, r)
			want, err := r.parse(text)
			if err != nil {
				t.Fatal(err)
			}
			layers := map[scope]layer{}
			if in.scopes&inParam != 0 {
				p, err := parseParams(in.name + "=" + text)
				if err != nil {
					t.Fatal(err)
				}
				layers[inParam] = p.layer()
			}
			if in.scopes&inServiceParam != 0 {
				p, err := parseParams(servicePrefix + svc + "." + in.name + "=" + text)
				if err != nil {
					t.Fatal(err)
				}
				layers[inServiceParam] = p.Services[0].layer()
			}
			for _, sc := range []scope{inFileOption, inServiceOption} {
				if in.scopes&sc == 0 {
					continue
				}
				o := &optionsv1.HealthOptions{}
				if err := prototext.Unmarshal([]byte(optionTextOf(r, want)), o); err != nil {
					t.Fatalf("option %s: %v", optionTextOf(r, want), err)
				}
				layers[sc] = layer{opts: o, services: []string{svc}}
			}
			at := map[scope]int{inServiceOption: layerService, inServiceParam: layerServiceParam, inFileOption: layerFile, inParam: layerParams}
			for sc, l := range layers {
				var errs errorList
				checkLayer(l, &errs)
				if err := errs.err(); err != nil {
					t.Errorf("scope %d: %s=%s: %v", sc, in.name, text, err)
				}
				s := &service{fullName: svc, layers: make([]layer, 4)}
				s.layers[at[sc]] = l
				got, from := s.find(r)
				if got != want || from == nil {
					t.Errorf("scope %d: %s=%s resolves to %v (from %v), want %v", sc, in.name, text, got, from, want)
				}
			}
			if len(layers) == 0 {
				t.Fatalf("setting %s may be written nowhere", in.name)
			}
			s := &service{fullName: svc, layers: make([]layer, 4)}
			if got, from := s.find(r); got != r.defaultValue() || from != nil {
				t.Errorf("unset: %v, want the default %v", got, r.defaultValue())
			}
		})
	}
}

// TestSettingGivenTwice: every parameter but a repeatable one, given twice
// as a parameter or as a per-service parameter, is an error naming it.
func TestSettingGivenTwice(t *testing.T) {
	for _, r := range settings {
		in := r.info()
		if in.repeatable {
			continue
		}
		text := sampleText(t, r)
		var keys []string
		if in.scopes&inParam != 0 {
			keys = append(keys, in.name)
		}
		if in.scopes&inServiceParam != 0 {
			keys = append(keys, servicePrefix+"acme.v1.Cart."+in.name)
		}
		for _, key := range keys {
			_, err := parseParams(key + "=" + text + "," + key + "=" + text)
			want := fmt.Sprintf("parameter %s=%s: %s= is already given (%s=%s); give each parameter once (only emit= or rpc_header= may repeat)", key, text, key, key, text)
			if err == nil || err.Error() != want {
				t.Errorf("%s twice: %v, want %q", key, err, want)
			}
		}
	}
}

// TestSettingPrecedence: for every setting, through the request's own
// layers (collectServices over a compiled .proto), a value given in one
// place wins over a different value in every place below it: service
// option, per-service parameter, file option, parameter, default. A service
// option and a per-service parameter that disagree are an error instead
// (checkServiceParams), not a silent winner.
func TestSettingPrecedence(t *testing.T) {
	const svc = "acme.v1.Cart"
	order := []scope{inServiceOption, inServiceParam, inFileOption, inParam} // highest first
	for _, r := range settings {
		in := r.info()
		if in.repeatable {
			continue
		}
		t.Run(in.name, func(t *testing.T) {
			// Two values that pass the check: the winner's and the others'.
			var texts []string
			var values []any
			for _, c := range sampleCandidates(r) {
				v, err := r.parse(c)
				if err != nil || r.check(v) != "" || len(values) > 0 && v == values[0] {
					continue
				}
				texts, values = append(texts, c), append(values, v)
				if len(values) == 2 {
					break
				}
			}
			if len(values) < 2 {
				if r.check(r.defaultValue()) == "" && r.defaultValue() != values[0] {
					t.Fatalf("fewer than two values of type %s pass the check of %s; add a candidate", r.typeName(), in.name)
				}
				t.Skipf("only %v passes the check of %s: no place can override another", values[0], in.name)
			}
			// resolve writes value i of each scope in set and returns what
			// the service resolves, and checkServiceParams' errors.
			resolve := func(set map[scope]int) (any, error) {
				var params []string
				var fileOpt, svcOpt string
				for sc, i := range set {
					switch sc {
					case inParam:
						params = append(params, in.name+"="+texts[i])
					case inServiceParam:
						params = append(params, servicePrefix+svc+"."+in.name+"="+texts[i])
					case inFileOption:
						fileOpt = "option (health.options.v1.file) = { " + optionTextOf(r, values[i]) + " };\n"
					case inServiceOption:
						svcOpt = "  option (health.options.v1.service) = { " + optionTextOf(r, values[i]) + " };\n"
					}
				}
				src := "syntax = \"proto3\";\npackage acme.v1;\noption go_package = \"example.com/acme/v1;acmev1\";\nimport \"health/options/v1/options.proto\";\n" + fileOpt + "service Cart {\n" + svcOpt + "}\n"
				plugin, err := protogen.Options{}.New(requestFor(t, "", testProto{"acme/v1/cart.proto", src}))
				if err != nil {
					t.Fatal(err)
				}
				p, err := parseParams(strings.Join(params, ","))
				if err != nil {
					t.Fatal(err)
				}
				serviceParams := map[string]layer{}
				for _, sp := range p.Services {
					serviceParams[sp.FullName] = sp.layer()
				}
				services := collectServices(plugin, p.layer(), serviceParams)
				var errs errorList
				checkServiceParams(p, services, &errs)
				v, _ := services[0].find(r)
				return v, errs.err()
			}
			for i, top := range order {
				if in.scopes&top == 0 {
					continue
				}
				set := map[scope]int{top: 0}
				for _, below := range order[i+1:] {
					if in.scopes&below != 0 && !(top == inServiceOption && below == inServiceParam) {
						set[below] = 1
					}
				}
				if got, err := resolve(set); got != values[0] || err != nil {
					t.Errorf("%s in scope %d over %v below it: resolves to %v (error %v), want %v", texts[0], top, set, got, err, values[0])
				}
			}
			if in.scopes&inServiceOption != 0 && in.scopes&inServiceParam != 0 {
				if _, err := resolve(map[scope]int{inServiceOption: 0, inServiceParam: 1}); err == nil {
					t.Errorf("a service option and a per-service parameter that disagree: no error")
				}
			}
		})
	}
}
