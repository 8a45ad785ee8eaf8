package gen

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// Parameter names. protogen handles paths=, module= and M... itself; every
// other key=value pair of the plugin parameter lands in the flag set below.
const (
	emitParam           = "emit"
	workloadParam       = "workload"
	portParam           = "port"
	healthPortParam     = "health_port"
	probeParam          = "probe"
	probeBinParam       = "probe_bin"
	containerParam      = "container"
	startupSecondsParam = "startup_seconds"
	scaffoldParam       = "scaffold"
	imageParam          = "image"
	drainSecondsParam   = "drain_seconds"
	stopSecondsParam    = "stop_seconds"
	tlsParam            = "tls"
	tlsServerNameParam  = "tls_server_name"
	tlsCACertParam      = "tls_ca_cert"
	k8sVersionParam     = "k8s_version"
	kindParam           = "kind"
	namesParam          = "names"
	// servicePrefix starts a per-service parameter:
	// service.<full.Name>.<field>=value, for the fields in serviceFields.
	servicePrefix = "service."
)

// Workload kinds named by kind=, as Kubernetes spells them.
const (
	kindDeployment  = "Deployment"
	kindStatefulSet = "StatefulSet"
	kindDaemonSet   = "DaemonSet"
)

// Output kinds named by emit=. Every kind but go writes files per workload
// (consumers.go describes the consumer kinds).
const (
	EmitGo           = "go"
	EmitK8s          = "k8s"
	EmitGKE          = "gke"          // GKE Gateway HealthCheckPolicy
	EmitEnvoyGateway = "envoygateway" // Envoy Gateway BackendTrafficPolicy
	EmitIstio        = "istio"        // Istio DestinationRule outlier detection
	EmitCompose      = "compose"      // docker compose healthcheck
	EmitALB          = "alb"          // AWS Load Balancer Controller Ingress (alb.go)
)

// emitKinds lists every emit= value, in the order errors name them.
var emitKinds = []string{EmitGo, EmitK8s, EmitGKE, EmitEnvoyGateway, EmitIstio, EmitCompose, EmitALB}

// Params holds the plugin parameters of one run. Zero numbers mean "not set":
// the defaults live in defaults.go so that the precedence chain (service
// option, file option, parameter, default) is resolved in one place.
type Params struct {
	Emit           map[string]bool
	Workload       *string
	Port           *int32
	HealthPort     *int32
	Probe          *string
	ProbeBin       *string
	Container      *string
	StartupSeconds *int32
	Scaffold       bool
	Image          string
	DrainSeconds   *int32
	StopSeconds    *int32
	TLS            bool
	TLSServerName  string
	TLSCACert      string
	// K8sMinor is the Kubernetes 1.x minor version of k8s_version=, 0 when
	// unset: it unlocks API fields that older clusters reject.
	K8sMinor int
	Kind     *string
	Names    *contract.NamesMode
	// Services holds the per-service parameters, in the order their
	// services were first named; only their option fields are set.
	Services []*ServiceParams
}

// ServiceParams are the service.<FullName>.<field>= parameters of one service.
type ServiceParams struct {
	FullName string
	Params   *Params
	written  []string // each parameter as written, for errors
}

// EmitGo reports whether the run writes Go; EmitK8s whether it writes manifests.
func (p *Params) EmitGo() bool  { return p.Emit[EmitGo] }
func (p *Params) EmitK8s() bool { return p.Emit[EmitK8s] }

// EmitWorkloads reports whether the run writes any per-workload file, and so
// groups services into workloads and checks them.
func (p *Params) EmitWorkloads() bool {
	for k := range p.Emit {
		if k != EmitGo {
			return true
		}
	}
	return false
}

// parseParams parses the plugin parameter with protogen's own splitting
// (on commas, then on the first '='), so that what protogen accepts for
// paths= and module= and what we accept agree exactly. It is run on a request
// that holds nothing but the parameter: the Go import path checks of the real
// run come later, and only when Go is emitted.
func parseParams(parameter string) (*Params, error) {
	p := &Params{Emit: map[string]bool{}}
	fs := flag.NewFlagSet("protoc-gen-health", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Func(emitParam, "output to write: "+strings.Join(emitKinds, ", ")+" (repeat the parameter for several)", func(v string) error {
		if !slices.Contains(emitKinds, v) {
			return fmt.Errorf("must be one of %s (repeat emit= for several: plugin parameters are split on commas)", strings.Join(emitKinds, ", "))
		}
		p.Emit[v] = true
		return nil
	})
	p.optionFlags(fs)
	fs.Func(scaffoldParam, "write a Deployment, Service, kustomization and Dockerfile", boolInto(&p.Scaffold))
	fs.StringVar(&p.Image, imageParam, "", "container image of the scaffold's Deployment")
	fs.Func(drainSecondsParam, "the server's drain delay, for terminationGracePeriodSeconds", int32Into(&p.DrainSeconds))
	fs.Func(stopSecondsParam, "the server's graceful-stop deadline, for terminationGracePeriodSeconds", int32Into(&p.StopSeconds))
	fs.Func(tlsParam, "the gRPC port serves TLS: exec probes and compose healthchecks dial it with -tls", boolInto(&p.TLS))
	fs.StringVar(&p.TLSServerName, tlsServerNameParam, "", "server name the TLS probes send and verify the certificate against")
	fs.StringVar(&p.TLSCACert, tlsCACertParam, "", "path in the image of the CA certificate that verifies the server's")
	fs.Func(k8sVersionParam, "the oldest Kubernetes version the manifests target, 1.N", func(v string) error {
		minor, ok := parseK8sVersion(v)
		if !ok {
			return fmt.Errorf("must be a Kubernetes version 1.N, like 1.37")
		}
		p.K8sMinor = minor
		return nil
	})

	_, err := protogen.Options{ParamFunc: func(name, value string) error {
		if strings.HasPrefix(name, servicePrefix) {
			return p.setServiceParam(name, value)
		}
		if fs.Lookup(name) == nil {
			return fmt.Errorf("unknown parameter %s (known: %s)", quoteValue(name), knownParams(fs))
		}
		if err := fs.Set(name, value); err != nil {
			return fmt.Errorf("%s: %v", paramOption(name, value), unwrapFlagError(err))
		}
		return nil
	}}.New(&pluginpb.CodeGeneratorRequest{Parameter: &parameter})
	if err != nil {
		return nil, err
	}
	if err := repeatedParam(parameter); err != nil {
		return nil, err
	}
	if len(p.Emit) == 0 {
		p.Emit[EmitGo] = true
	}
	return p, nil
}

// optionFlags registers the parameters that are also HealthOptions fields,
// writing into p: the run-wide parameters and each service's per-service
// parameters parse the same way.
func (p *Params) optionFlags(fs *flag.FlagSet) {
	fs.Func(workloadParam, "put every service of the run into this workload", stringInto(&p.Workload))
	fs.Func(portParam, "container port that serves gRPC", int32Into(&p.Port))
	fs.Func(healthPortParam, "separate plaintext port serving only health", int32Into(&p.HealthPort))
	fs.Func(probeParam, "probe style: grpc or exec", func(v string) error {
		if v != probeGRPC && v != probeExec {
			return fmt.Errorf("must be %q or %q", probeGRPC, probeExec)
		}
		p.Probe = &v
		return nil
	})
	fs.Func(probeBinParam, "path of grpc_health_probe in the image", stringInto(&p.ProbeBin))
	fs.Func(containerParam, "name of the container that serves gRPC", stringInto(&p.Container))
	fs.Func(startupSecondsParam, "seconds the startup probe allows", int32Into(&p.StartupSeconds))
	fs.Func(kindParam, "kind of the workload: Deployment, StatefulSet or DaemonSet", func(v string) error {
		if _, ok := workloadKinds[v]; !ok {
			return fmt.Errorf("must be %q, %q or %q", kindDeployment, kindStatefulSet, kindDaemonSet)
		}
		p.Kind = &v
		return nil
	})
	fs.Func(namesParam, "health names the server registers: healthreg, services or overall", func(v string) error {
		m, err := contract.ParseNamesMode(v)
		if err != nil {
			return fmt.Errorf("must be %s, %s or %s", contract.NamesHealthreg, contract.NamesServices, contract.NamesOverall)
		}
		p.Names = &m
		return nil
	})
}

// workloadKinds maps kind= values to the option's enum.
var workloadKinds = map[string]optionsv1.WorkloadKind{
	kindDeployment:  optionsv1.WorkloadKind_WORKLOAD_KIND_DEPLOYMENT,
	kindStatefulSet: optionsv1.WorkloadKind_WORKLOAD_KIND_STATEFUL_SET,
	kindDaemonSet:   optionsv1.WorkloadKind_WORKLOAD_KIND_DAEMON_SET,
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
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sp *ServiceParams
	for _, s := range p.Services {
		if s.FullName == full {
			sp = s
		}
	}
	if sp == nil {
		sp = &ServiceParams{FullName: full, Params: &Params{}}
	}
	sp.Params.optionFlags(fs)
	if full == "" || !isFullName(full) || fs.Lookup(field) == nil {
		var fields []string
		fs.VisitAll(func(f *flag.Flag) { fields = append(fields, f.Name) })
		return fmt.Errorf("%s: a per-service parameter is service.<full.Name>.<field>=value, with the service's full name "+
			"(such as service.acme.shop.v1.Cart.port=8080) and field one of %s", paramOption(name, value), strings.Join(fields, ", "))
	}
	// A field given twice is reported by repeatedParam, as for every parameter.
	if err := fs.Set(field, value); err != nil {
		return fmt.Errorf("%s: %v", paramOption(name, value), unwrapFlagError(err))
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

func knownParams(fs *flag.FlagSet) string {
	names := []string{"paths", "module", "M<file>", servicePrefix + "<full.Name>.<field>"}
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// unwrapFlagError keeps the reason of a flag.Set error without the flag
// package's "parse error" wording.
func unwrapFlagError(err error) error {
	if ne, ok := err.(*strconv.NumError); ok {
		return fmt.Errorf("not a whole number: %v", ne.Err)
	}
	return err
}

func stringInto(dst **string) func(string) error {
	return func(v string) error { *dst = &v; return nil }
}

func boolInto(dst *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("must be true or false")
		}
		*dst = b
		return nil
	}
}

func int32Into(dst **int32) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("out of range for a 32-bit whole number")
		}
		if err != nil {
			return fmt.Errorf("not a whole number")
		}
		i := int32(n)
		*dst = &i
		return nil
	}
}

// layer presents the parameters as the lowest-precedence layer of options,
// so that they resolve and are checked by the same code as options.
func (p *Params) layer() layer {
	return layer{opts: p.options()}
}

// serviceLayer presents one service's per-service parameters as a layer.
func (sp *ServiceParams) layer() layer {
	return layer{opts: sp.Params.options(), paramPrefix: servicePrefix + sp.FullName + ".", services: []string{sp.FullName}}
}

// options converts the parameters that are option fields into options.
func (p *Params) options() *optionsv1.HealthOptions {
	o := &optionsv1.HealthOptions{
		Workload:       p.Workload,
		Port:           p.Port,
		HealthPort:     p.HealthPort,
		ProbeBin:       p.ProbeBin,
		Container:      p.Container,
		StartupSeconds: p.StartupSeconds,
	}
	if p.Probe != nil {
		o.Probe = optionsv1.ProbeStyle_PROBE_STYLE_GRPC.Enum()
		if *p.Probe == probeExec {
			o.Probe = optionsv1.ProbeStyle_PROBE_STYLE_EXEC.Enum()
		}
	}
	if p.Kind != nil {
		o.Kind = workloadKinds[*p.Kind].Enum()
	}
	if p.Names != nil {
		for e, m := range namesModes {
			if m == *p.Names {
				o.Names = e.Enum()
			}
		}
	}
	return o
}

// checkParams reports the parameters that are not options and the
// combinations of parameters that cannot work.
func checkParams(p *Params, errs *errorList) {
	if p.DrainSeconds != nil && *p.DrainSeconds < 0 {
		errs.add(&Error{Option: paramOption(drainSecondsParam, fmt.Sprint(*p.DrainSeconds)), Msg: "must be at least 0"})
	}
	if p.StopSeconds != nil && *p.StopSeconds < 1 {
		errs.add(&Error{Option: paramOption(stopSecondsParam, fmt.Sprint(*p.StopSeconds)), Msg: "must be at least 1"})
	}
	if !printable(p.Image) || strings.Contains(p.Image, " ") {
		// It goes into the Deployment's YAML and a Dockerfile comment.
		errs.add(&Error{Option: paramOption(imageParam, p.Image), Msg: "must be an image reference: printable characters, no spaces"})
	}
	checkConsumerParams(p, errs)
	if !p.EmitK8s() {
		if p.Scaffold {
			errs.add(&Error{Option: paramOption(scaffoldParam, "true"), Msg: "needs emit=k8s"})
		}
		if p.Image != "" {
			errs.add(&Error{Option: paramOption(imageParam, p.Image), Msg: "needs emit=k8s"})
		}
	}
	if !p.Scaffold {
		// These shape only the scaffold; anywhere else they would do nothing.
		if p.Image != "" {
			errs.add(&Error{Option: paramOption(imageParam, p.Image), Msg: "is only used with scaffold=true"})
		}
		if p.DrainSeconds != nil {
			errs.add(&Error{Option: paramOption(drainSecondsParam, fmt.Sprint(*p.DrainSeconds)), Msg: "is only used with scaffold=true"})
		}
		if p.StopSeconds != nil {
			errs.add(&Error{Option: paramOption(stopSecondsParam, fmt.Sprint(*p.StopSeconds)), Msg: "is only used with scaffold=true"})
		}
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

// repeatableParams are the parameters that may be given more than once;
// any other parameter given twice is an error, never "the last one wins",
// which would let a default appended by a build tool silently override the
// user's value. protogen's per-file M<file>= and apilevelM<file>= are
// protogen's to judge.
var repeatableParams = map[string]bool{emitParam: true}

// repeatedParam reports the first parameter of the comma-separated list
// that repeats an earlier one, protogen's own paths= and module= included.
func repeatedParam(parameter string) error {
	seen := map[string]string{}
	for _, kv := range strings.Split(parameter, ",") {
		key, value, _ := strings.Cut(kv, "=")
		if key == "" || repeatableParams[key] || strings.HasPrefix(key, "M") || strings.HasPrefix(key, "apilevelM") {
			continue
		}
		if first, ok := seen[key]; ok {
			// Keys are known here: protogen's parse rejected unknown ones.
			return fmt.Errorf("%s: %s= is already given (%s); give each parameter once (only %s= may repeat)",
				paramOption(key, value), key, paramSetting(key, first), emitParam)
		}
		seen[key] = value
	}
	return nil
}

// scaffold returns what scaffold=true adds to a workload.
func (p *Params) scaffold(workload string) *Scaffold {
	drain, stop := int32(DefaultDrainSeconds), int32(DefaultStopSeconds)
	if p.DrainSeconds != nil {
		drain = *p.DrainSeconds
	}
	if p.StopSeconds != nil {
		stop = *p.StopSeconds
	}
	s := &Scaffold{
		Image:                         p.Image,
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
