package verify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// Options say what the server behind the probes registers.
type Options struct {
	// Names is the server's naming mode; "" is contract.NamesHealthreg.
	Names contract.NamesMode
	// Allowed are health names the server registers besides those of its
	// mode (a name set by hand, or by a library with its own names).
	Allowed map[string]bool
	// Declared are the names workloads' probes were declared to ask, by
	// workload name; "" holds the declarations for every workload
	// (ParseNamesFile). A probe asks its declared name, which the server
	// registers.
	Declared map[string]contract.DeclaredNames
}

// Checker checks probes and other consumers' names against one catalog with
// one set of options. It keeps what every check of a run shares (the
// did-you-mean candidates, prepared once, and each distinct name's
// suggestion), so a run may check its inputs one file at a time.
type Checker struct {
	cat     *Catalog
	o       Options
	suggest *suggester
}

// NewChecker returns a Checker of names against cat.
func NewChecker(cat *Catalog, o Options) *Checker {
	o = o.withDefaults()
	return &Checker{cat: cat, o: o, suggest: newSuggester(cat.candidates(o.Names, o.Allowed))}
}

// Check returns every finding about the probes: the probe rules in
// HandWritten mode, then ours: the health name, the port, init containers,
// containers without an image.
func (c *Checker) Check(sites []manifest.Site) []Finding {
	o := c.o
	var out []Finding
	imageChecked := map[*corev1.Container]bool{} // one image finding per container, not per probe
	for _, s := range sites {
		add := adder(&out, Finding{
			File: s.File, Line: s.Line,
			Kind: s.Kind, Name: s.Name, Namespace: s.Namespace,
			Container: s.Container.Name, Probe: s.ProbeKind.Field(),
		})
		if s.InitNotSidecar {
			add(proberules.Error, "", "an init container may have probes only as a sidecar, with restartPolicy: Always")
		}
		if !imageChecked[s.Container] {
			imageChecked[s.Container] = true
			checkImage(s, add)
		}
		if e := s.DecodeErr; e != nil {
			// Nothing more is known of a probe that cannot be decoded.
			msg := e.Message
			if i := slices.IndexFunc(s.Container.Ports, func(cp corev1.ContainerPort) bool { return e.PortName != "" && cp.Name == e.PortName }); i >= 0 {
				msg += fmt.Sprintf(": use %d, the number of the container's port %q", s.Container.Ports[i].ContainerPort, e.PortName)
			}
			add(proberules.Error, e.Field, "%s", msg)
			out[len(out)-1].Line = e.Line
			continue
		}
		declared := func(name string) bool { return o.registers(s.Name, name) }
		for _, f := range proberules.CheckWith(s.ProbeKind, s.Probe, proberules.Options{Mode: proberules.HandWritten, Names: o.Names, Env: s.Container.Env, EnvFrom: len(s.Container.EnvFrom) > 0, Declared: declared}) {
			add(f.Severity, f.Field, "%s", f.Message)
		}
		if t, ok := proberules.TargetIn(s.Probe, s.Container.Env); ok {
			if want := c.o.declared(s.Name).For(s.ProbeKind); want != nil && t.Service != *want {
				add(proberules.Error, "", "asks %q, not the declared %s=%q (--names-file)", t.Service, s.ProbeKind.NameSetting(), *want)
			}
			c.checkService(t, s.Name, add)
			checkTargetPort(t, s, add)
		} else {
			checkPort(s.Probe, s, add)
		}
	}
	return out
}

func (o Options) withDefaults() Options {
	if o.Names == "" {
		o.Names = contract.NamesHealthreg
	}
	return o
}

type addFunc func(sev proberules.Severity, field, format string, args ...any)

// adder returns an addFunc appending to out findings about what at
// locates (its file, line, workload, container and probe).
func adder(out *[]Finding, at Finding) addFunc {
	return func(sev proberules.Severity, field, format string, args ...any) {
		f := at
		f.Severity, f.Field, f.Message = sev, field, fmt.Sprintf(format, args...)
		*out = append(*out, f)
	}
}

// checkImage: in a rendered workload, a container with probes but no image
// beside containers with images is a patch that matched no container (a
// kustomize Component or strategic-merge patch naming the wrong container):
// the API server rejects it, or the probes never run where meant. A
// workload where no container has an image is a patch itself, and fine.
func checkImage(s manifest.Site, add addFunc) {
	if s.Container.Image != "" || len(s.Imaged) == 0 {
		return
	}
	add(proberules.Error, "", "container %q has probes but no image, unlike %s: a patch whose container name matched none of them added it; name one of those containers", s.Container.Name, quoteList(s.Imaged))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// checkService: the name must be one the health server registers.
func (c *Checker) checkService(t proberules.Target, workload string, add addFunc) {
	cat, o := c.cat, c.o
	name := t.Service
	if t.Exec && len(contract.Unexpanded(name)) > 0 {
		return // proberules says it cannot be checked
	}
	if len(name) > contract.MaxNameLength {
		// Even a name allowed by hand: healthreg refuses to register it.
		add(proberules.Error, "", "health name %.64q... is %d bytes, longer than the health server's limit of %d: healthreg refuses to register it and answers INVALID_ARGUMENT, so the probe never gets SERVING", name, len(name), contract.MaxNameLength)
		return
	}
	if o.registers(workload, name) || o.Names.Registers(name, cat.served[name]) {
		return
	}
	allow := "; if the server registers it, allow it with --name " + Plain(name)
	switch {
	case name == contract.HealthServiceName:
		add(proberules.Error, "", "service %q is the health-checking service itself: no health server registers it as a health name (not healthreg, grpc-go's health.Server, grpc-java's HealthStatusManager nor Python's HealthServicer), so the probe gets NOT_FOUND%s", name, allow)
	case cat.skipped[name]:
		add(proberules.Error, "", "service %q is skipped by its health options (skip: true), so the health server never registers it", name)
	case o.Names != contract.NamesHealthreg && contract.IsFixedName(name):
		add(proberules.Error, "", "health name %q is healthreg's: with --names=%s the server registers %s, so the probe gets NOT_FOUND", name, o.Names, registered(o.Names))
	case o.Names == contract.NamesOverall && cat.served[name]:
		add(proberules.Error, "", "service %q: with --names=overall the server registers only \"\", so the probe gets NOT_FOUND; probe \"\" or use --names=services", name)
	default:
		msg := fmt.Sprintf("unknown health service %q: not in the descriptors, nor %s", name, registered(o.Names))
		if !t.Exec && len(contract.Unexpanded(name)) > 0 {
			// Only an exec probe's command is expanded: the kubelet and the
			// gateways send this name as written.
			msg += "; $(VAR) is expanded only in an exec probe's command, not here"
		} else if s := c.suggest.suggest(name); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += allow
		}
		add(proberules.Error, "", "%s", msg)
	}
}

// registered words the names a mode registers besides the services'.
func registered(mode contract.NamesMode) string {
	switch mode {
	case contract.NamesServices:
		return `"" and each service's full name`
	case contract.NamesOverall:
		return `only ""`
	}
	return fmt.Sprintf("%q, %q or \"\"", contract.LivenessName, contract.ReadinessName)
}

// checkTargetPort: a gRPC health probe should probe a port the container
// declares, even when it declares none (unless it is a patch's, see
// checkDeclared). Exec probes of another host or a Unix socket are not
// checked.
func checkTargetPort(t proberules.Target, s manifest.Site, add addFunc) {
	if t.Port == 0 || !t.Local() {
		return
	}
	field := "grpc.port"
	if t.Exec {
		field = "exec.command"
	}
	checkDeclared(t.Port, field, s, add)
}

// checkDeclared warns when port is not one of the container's ports. A
// container without an image and without ports is a patch's (the generator
// writes strategic-merge patches of probes): its base declares the ports.
// In a hostNetwork pod the kubelet probes the node's address, where the
// port is open whether declared or not, and declaring it reserves it on
// the node: such pods often declare none, and are not warned.
func checkDeclared(port int32, field string, s manifest.Site, add addFunc) {
	c := s.Container
	switch {
	case port < 1 || port > 65535: // proberules reports it
	case isPatch(c), s.HostNetwork:
	case len(c.Ports) == 0:
		add(proberules.Warning, field, "container declares no ports; the probe's port %d is not declared", port)
	case !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.ContainerPort == port }):
		add(proberules.Warning, field, "port %d is not among the container's ports (%s)", port, portList(c.Ports))
	}
}

// checkPort does the same for httpGet and tcpSocket probes; a named port
// that the container does not declare is an error, as the kubelet cannot
// resolve it (in a hostNetwork pod too), except in a patch's container
// (see checkDeclared).
func checkPort(p *corev1.Probe, s manifest.Site, add addFunc) {
	c := s.Container
	var port intstr.IntOrString
	var field string
	switch {
	case p.HTTPGet != nil:
		port, field = p.HTTPGet.Port, "httpGet.port"
	case p.TCPSocket != nil:
		port, field = p.TCPSocket.Port, "tcpSocket.port"
	default:
		return
	}
	if port.Type == intstr.String {
		if isPatch(c) {
			return
		}
		if !slices.ContainsFunc(c.Ports, func(cp corev1.ContainerPort) bool { return cp.Name == port.StrVal }) {
			add(proberules.Error, field, "port name %q is not among the container's ports (%s)", port.StrVal, portList(c.Ports))
		}
		return
	}
	checkDeclared(port.IntVal, field, s, add)
}

func portList(ports []corev1.ContainerPort) string {
	if len(ports) == 0 {
		return "none"
	}
	var s []string
	for _, p := range ports {
		if p.Name != "" {
			s = append(s, Plain(p.Name)+"="+strconv.Itoa(int(p.ContainerPort)))
		} else {
			s = append(s, strconv.Itoa(int(p.ContainerPort)))
		}
	}
	return strings.Join(s, ", ")
}

// Plain returns s as it is when it is made of letters, digits and
// "-._/:<>", else quoted with Go's escapes, so that a name from a manifest
// can neither forge an output line nor hide in one.
func Plain(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("-._/:<>", r):
		default:
			return strconv.Quote(s)
		}
	}
	return s
}

// isPatch reports whether c is a patch's container: without an image and
// without ports, it relies on its base for both.
func isPatch(c *corev1.Container) bool { return c.Image == "" && len(c.Ports) == 0 }
