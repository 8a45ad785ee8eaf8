package gen

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/pluginpb"
)

// servicePrefix starts a per-service parameter: service.<full.Name>.<field>=value,
// for the settings of the table that may be written there.
const servicePrefix = "service."

// Params holds the plugin parameters of one run: the value of each setting
// given, of its row's Go type (read with paramOf), and the per-service
// parameters. protogen handles paths=, module= and M... itself.
type Params struct {
	values map[string]any // by setting name
	// Services holds the per-service parameters, in the order their
	// services were first named.
	Services []*ServiceParams
}

// ServiceParams are the service.<FullName>.<field>= parameters of one service.
type ServiceParams struct {
	FullName string
	values   map[string]any
	written  []string // each parameter as written, for errors
}

// paramOf returns the run's value of a setting: the parameter's, else the
// setting's default.
func paramOf[T any](p *Params, s *setting[T]) T {
	v, _ := paramSet(p, s)
	return v
}

// paramSet returns the parameter's value of a setting and whether it was
// given; the default when it was not.
func paramSet[T any](p *Params, s *setting[T]) (T, bool) {
	if v, ok := p.values[s.name]; ok {
		return v.(T), true
	}
	return s.def, false
}

// EmitGo reports whether the run writes Go; EmitK8s whether it writes manifests.
func (p *Params) EmitGo() bool  { return p.emits(EmitGo) }
func (p *Params) EmitK8s() bool { return p.emits(EmitK8s) }

// emits reports whether the run writes the emit= kind.
func (p *Params) emits(kind string) bool { return paramOf(p, sEmit)[kind] }

// EmitWorkloads reports whether the run writes any per-workload file
// (probes or another consumer's health check).
func (p *Params) EmitWorkloads() bool {
	for _, k := range emitKinds {
		if k.workloadFiles != nil && p.emits(k.name) {
			return true
		}
	}
	return false
}

// moduleFiles are the files the run writes per .proto file besides Go.
func (p *Params) moduleFiles() []moduleFile {
	var files []moduleFile
	for _, k := range emitKinds {
		if p.emits(k.name) {
			files = append(files, k.moduleFiles...)
		}
	}
	return files
}

// parseParams parses the plugin parameter with protogen's own splitting
// (on commas, then on the first '='), so that what protogen accepts for
// paths= and module= and what we accept agree exactly. It is run on a request
// that holds nothing but the parameter: the Go import path checks of the real
// run come later, and only when Go is emitted.
func parseParams(parameter string) (*Params, error) {
	p := &Params{values: map[string]any{}}
	_, err := protogen.Options{ParamFunc: func(name, value string) error {
		if strings.HasPrefix(name, servicePrefix) {
			return p.setServiceParam(name, value)
		}
		r := settingNamed(name, inParam)
		if r == nil {
			return fmt.Errorf("unknown parameter %s (known: %s)", quoteValue(name), knownParams())
		}
		return setValue(p.values, r, name, value)
	}}.New(&pluginpb.CodeGeneratorRequest{Parameter: &parameter})
	if err != nil {
		return nil, err
	}
	if err := repeatedParam(parameter); err != nil {
		return nil, err
	}
	return p, nil
}

// setValue parses value into values as the row's Go type; name is the
// parameter as written, for the error.
func setValue(values map[string]any, r row, name, value string) error {
	v, err := r.parse(value)
	if err != nil {
		return fmt.Errorf("%s: %v", paramOption(name, value), err)
	}
	key := r.info().name
	if old, ok := values[key]; ok && r.info().repeatable {
		v = r.merge(old, v)
	}
	// A parameter given twice that may not repeat is reported by
	// repeatedParam, for every parameter alike.
	values[key] = v
	return nil
}

// settingNamed returns the row of the table named name that may be written
// in scope sc, or nil.
func settingNamed(name string, sc scope) row {
	for _, r := range settings {
		if in := r.info(); in.name == name && in.scopes&sc != 0 {
			return r
		}
	}
	return nil
}

// settingNames lists the names of the settings that may be written in sc,
// sorted.
func settingNames(sc scope) []string {
	var names []string
	for _, r := range settings {
		if in := r.info(); in.scopes&sc != 0 {
			names = append(names, in.name)
		}
	}
	sort.Strings(names)
	return names
}

// setServiceParam parses one service.<FullName>.<field>=value parameter.
// The full name holds dots, so the field is what follows the last one;
// protogen's comma split leaves the key whole, since full names have no
// commas.
func (p *Params) setServiceParam(name, value string) error {
	full, field := "", ""
	if i := strings.LastIndexByte(name, '.'); i > len(servicePrefix) {
		full, field = name[len(servicePrefix):i], name[i+1:]
	}
	r := settingNamed(field, inServiceParam)
	if full == "" || !isFullName(full) || r == nil {
		return fmt.Errorf("%s: a per-service parameter is service.<full.Name>.<field>=value, with the service's full name "+
			"(such as service.acme.shop.v1.Cart.port=8080) and field one of %s", paramOption(name, value), strings.Join(settingNames(inServiceParam), ", "))
	}
	var sp *ServiceParams
	for _, s := range p.Services {
		if s.FullName == full {
			sp = s
		}
	}
	if sp == nil {
		sp = &ServiceParams{FullName: full, values: map[string]any{}}
	}
	if err := setValue(sp.values, r, name, value); err != nil {
		return err
	}
	if sp.written == nil {
		p.Services = append(p.Services, sp)
	}
	sp.written = append(sp.written, field)
	return nil
}

// isFullName reports whether s is a protobuf full name: dot-separated
// identifiers of letters, digits and '_', none starting with a digit.
func isFullName(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
			if !letter && !(i > 0 && c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

func knownParams() string {
	names := append([]string{"paths", "module", "M<file>", servicePrefix + "<full.Name>.<field>"}, settingNames(inParam)...)
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// parseInt32 reads a whole number that fits in 32 bits.
func parseInt32(v string) (int32, error) {
	n, err := strconv.ParseInt(v, 10, 32)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("out of range for a 32-bit whole number")
	}
	if err != nil {
		return 0, fmt.Errorf("not a whole number")
	}
	return int32(n), nil
}

// layer presents the parameters as the lowest-precedence layer of options,
// so that they resolve and are checked by the same code as options.
func (p *Params) layer() layer {
	return layer{values: p.values}
}

// serviceLayer presents one service's per-service parameters as a layer.
func (sp *ServiceParams) layer() layer {
	return layer{values: sp.values, paramPrefix: servicePrefix + sp.FullName + ".", services: []string{sp.FullName}}
}

// checkParams reports the combinations of parameters that cannot work;
// checkLayer checks each value.
func checkParams(p *Params, errs *errorList) {
	checkConsumerParams(p, errs)
	checkModuleParams(p, errs)
	scaffold, image := paramOf(p, sScaffold), paramOf(p, sImage) != ""
	// needs reports the parameter s, when given, as needing what is missing.
	needs := func(r row, msg string) {
		if v, ok := p.values[r.info().name]; ok {
			errs.add(&Error{Option: paramOption(r.info().name, r.text(v)), Msg: msg})
		}
	}
	if !p.EmitK8s() && !p.emits(EmitHelm) {
		if scaffold {
			needs(sScaffold, "needs emit=k8s or emit=helm")
		}
		if image {
			needs(sImage, "needs emit=k8s or emit=helm")
		}
	}
	if !p.EmitK8s() && !p.emits(EmitHelm) && !p.emits(EmitCompose) {
		// Options may be written for another run's outputs; a parameter is
		// this run's. (checkProbeAuth says the same of a workload's.)
		for _, r := range authRows {
			needs(r, noProbeRunner)
		}
	}
	if p.emits(EmitHelm) && !p.EmitK8s() {
		// The Component's patch targets a kind; the chart's templates go
		// into whatever pod template includes them.
		needs(sKind, "names the kind emit=k8s's Component patches; emit=helm's templates go into any pod template "+
			"(a Deployment, StatefulSet or DaemonSet of your chart): drop kind=, or add emit=k8s")
	}
	if p.emits(EmitRegister) && !p.EmitGo() {
		errs.add(&Error{Option: paramOption(sEmit.name, EmitRegister),
			Msg: "needs emit=go in the same run: the registration function is declared beside the .health.go, whose Register<Name>Health it calls, at the Go paths that run's paths= and module= give"})
	}
	if !scaffold {
		// These shape only the scaffold; anywhere else they would do nothing.
		if image {
			needs(sImage, "is only used with scaffold=true")
		}
		needs(sDrainSeconds, "is only used with scaffold=true")
		needs(sStopSeconds, "is only used with scaffold=true")
	}
}

// paramOption names a parameter and its value as they were written, the
// same way for a value that does not parse and one that is out of range;
// a value with control characters and the like is quoted, a long one cut.
func paramOption(name, value string) string {
	return "parameter " + paramSetting(name, value)
}

// paramSetting is name=value, each shown as plainOrQuoted shows it: the
// name of a per-service parameter is the user's text too.
func paramSetting(name, value string) string {
	return plainOrQuoted(name) + "=" + plainOrQuoted(value)
}

// repeatedParam reports the first parameter of the comma-separated list
// that repeats an earlier one, protogen's own paths= and module= included.
// Only the table's repeatable settings (emit=) may repeat: any other
// parameter given twice is an error, never "the last one wins", which would
// let a default appended by a build tool silently override the user's
// value. protogen's per-file M<file>= and apilevelM<file>= are protogen's to
// judge.
func repeatedParam(parameter string) error {
	var repeatable []string
	for _, r := range settings {
		if r.info().repeatable {
			repeatable = append(repeatable, r.info().name+"=")
		}
	}
	seen := map[string]string{}
	for _, kv := range strings.Split(parameter, ",") {
		key, value, _ := strings.Cut(kv, "=")
		field := key
		if strings.HasPrefix(key, servicePrefix) {
			field = key[strings.LastIndexByte(key, '.')+1:]
		}
		if key == "" || slices.Contains(repeatable, field+"=") || strings.HasPrefix(key, "M") || strings.HasPrefix(key, "apilevelM") {
			continue
		}
		if first, ok := seen[key]; ok {
			// Keys are known here: protogen's parse rejected unknown ones.
			return fmt.Errorf("%s: %s= is already given (%s); give each parameter once (only %s may repeat)",
				paramOption(key, value), key, paramSetting(key, first), orList(repeatable))
		}
		seen[key] = value
	}
	return nil
}

// scaffold returns what scaffold=true adds to a workload.
func (p *Params) scaffold(workload string) *Scaffold {
	drain, stop := paramOf(p, sDrainSeconds), paramOf(p, sStopSeconds)
	s := &Scaffold{
		Image:                         paramOf(p, sImage),
		TerminationGracePeriodSeconds: int64(drain) + int64(stop) + terminationMarginSeconds,
		DrainSeconds:                  drain,
		StopSeconds:                   stop,
		RunAsUser:                     scaffoldUser,
		MainPackage:                   "./cmd/" + workload,
		MainFile:                      "cmd/" + workload + "/main.go",
	}
	if s.Image == "" {
		s.Image = "registry.invalid/" + workload + ":replace-me"
		s.ImageIsPlaceholder = true
	}
	return s
}
