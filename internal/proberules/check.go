package proberules

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// Check returns every finding about p, a probe of the given kind, in a fixed
// order: handler, timings, then the gRPC health target. A nil probe has no
// findings. In Generated mode every finding is an Error.
//
// The rules are the API server's (k8s.io/kubernetes pkg/apis/core/validation:
// validateProbe, validateHandler and the liveness, readiness and startup
// specifics) plus two of ours: grpc_health_probe's arguments must be usable
// and its timeouts must fit in timeoutSeconds, and a gRPC liveness probe must
// name [contract.LivenessName]: every other name, "" included, follows the services'
// health, so a failing dependency would restart the pod.
func Check(kind contract.Kind, p *corev1.Probe, mode Mode) []Finding {
	return CheckWith(kind, p, Options{Mode: mode})
}

// Options say how to check a probe.
type Options struct {
	Mode Mode
	// Names is the server's naming mode, which says the name a liveness
	// probe should ask; "" is contract.NamesHealthreg.
	Names contract.NamesMode
	// Env is the container's env, from which $(VAR) in an exec probe's
	// command is expanded.
	Env []corev1.EnvVar
	// EnvFrom says the container also takes variables from envFrom
	// sources, whose names a shell sees but which are not known here.
	EnvFrom bool
	// Declared reports whether the server is declared to register name
	// (verify-probes' --name, --names-file): a liveness probe asking it is
	// the user's choice, never advised to ask the mode's "" instead, which
	// such a server may not register at all.
	Declared func(name string) bool
}

// CheckWith is Check with every option.
func CheckWith(kind contract.Kind, p *corev1.Probe, o Options) []Finding {
	if p == nil {
		return nil
	}
	c := &checker{mode: o.Mode}
	if !kind.Valid() {
		c.add(Error, "", "unknown probe kind %q", kind)
		return c.findings
	}
	names := o.Names
	if names == "" {
		names = contract.NamesHealthreg
	}
	c.handler(p)
	c.timings(kind, p)
	c.target(kind, p, names, o)
	return c.findings
}

type checker struct {
	mode     Mode
	findings []Finding
}

func (c *checker) add(sev Severity, field, format string, args ...any) {
	if c.mode == Generated {
		sev = Error
	}
	c.findings = append(c.findings, Finding{Severity: sev, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) handler(p *corev1.Probe) {
	var set []string
	if p.Exec != nil {
		set = append(set, "exec")
	}
	if p.HTTPGet != nil {
		set = append(set, "httpGet")
	}
	if p.TCPSocket != nil {
		set = append(set, "tcpSocket")
	}
	if p.GRPC != nil {
		set = append(set, "grpc")
	}
	switch len(set) {
	case 0:
		c.add(Error, "", "must specify a handler: exec, httpGet, tcpSocket or grpc")
	case 1:
	default:
		c.add(Error, "", "may not specify more than 1 handler type, found %s", strings.Join(set, ", "))
	}
	if p.Exec != nil && len(p.Exec.Command) == 0 {
		c.add(Error, "exec.command", "must not be empty")
	}
	if p.HTTPGet != nil {
		c.port("httpGet.port", p.HTTPGet.Port)
		if s := p.HTTPGet.Scheme; s != "" && s != corev1.URISchemeHTTP && s != corev1.URISchemeHTTPS {
			c.add(Error, "httpGet.scheme", "must be HTTP or HTTPS, not %q", s)
		}
	}
	if p.TCPSocket != nil {
		c.port("tcpSocket.port", p.TCPSocket.Port)
	}
	if p.GRPC != nil && !validPort(p.GRPC.Port) {
		c.add(Error, "grpc.port", "must be between 1 and 65535, inclusive, not %d", p.GRPC.Port)
	}
}

// port checks a port given by number or by name (an IANA service name).
func (c *checker) port(field string, port intstr.IntOrString) {
	if port.Type == intstr.String {
		if !validPortName(port.StrVal) {
			c.add(Error, field, "%q is neither a port number nor a port name (at most 15 lowercase letters, digits and '-', with a letter, no '-' at either end or twice in a row)", port.StrVal)
		}
		return
	}
	if !validPort(port.IntVal) {
		c.add(Error, field, "must be between 1 and 65535, inclusive, not %d", port.IntVal)
	}
}

func validPort(p int32) bool { return 1 <= p && p <= 65535 }

// validPortName reports whether s is an IANA_SVC_NAME, as Kubernetes
// requires of a named port.
func validPortName(s string) bool {
	if len(s) == 0 || len(s) > 15 || s[0] == '-' || s[len(s)-1] == '-' || strings.Contains(s, "--") {
		return false
	}
	letter := false
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z':
			letter = true
		case '0' <= r && r <= '9', r == '-':
		default:
			return false
		}
	}
	return letter
}

func (c *checker) timings(kind contract.Kind, p *corev1.Probe) {
	c.nonNegative("initialDelaySeconds", p.InitialDelaySeconds)
	c.positive("timeoutSeconds", p.TimeoutSeconds)
	c.positive("periodSeconds", p.PeriodSeconds)
	c.positive("failureThreshold", p.FailureThreshold)
	switch st := p.SuccessThreshold; {
	case kind == contract.Readiness:
		c.positive("successThreshold", st)
	case st < 0:
		c.add(Error, "successThreshold", "must be greater than or equal to 0, not %d", st)
	case st == 0 && c.mode == HandWritten: // defaulted to 1
	case st != 1:
		c.add(Error, "successThreshold", "must be 1 for %s probes, not %d", kind, st)
	}
	if g := p.TerminationGracePeriodSeconds; g != nil {
		switch {
		case kind == contract.Readiness:
			c.add(Error, "terminationGracePeriodSeconds", "must not be set for readiness probes")
		case *g < 1:
			c.add(Error, "terminationGracePeriodSeconds", "must be greater than 0, not %d", *g)
		}
	}
}

func (c *checker) nonNegative(field string, v int32) {
	if v < 0 {
		c.add(Error, field, "must be greater than or equal to 0, not %d", v)
	}
}

// positive checks a field that is at least 1 once defaulted: in HandWritten
// mode 0 stands for the default.
func (c *checker) positive(field string, v int32) {
	switch {
	case v < 0:
		c.add(Error, field, "must be greater than or equal to 0, not %d", v)
	case v == 0 && c.mode == Generated:
		c.add(Error, field, "must be set explicitly, at least 1")
	}
}

func (c *checker) target(kind contract.Kind, p *corev1.Probe, names contract.NamesMode, o Options) {
	t, ok := TargetIn(p, o.Env)
	if !ok {
		return
	}
	// Only an exec probe's command is expanded: a grpc probe's $(VAR) is
	// the name it asks, as written.
	if kind == contract.Liveness && (!t.Exec || len(contract.Unexpanded(t.Service)) == 0) {
		c.liveness(t.Service, names, o.Declared != nil && o.Declared(t.Service))
	}
	if !t.Exec {
		return
	}
	const field = "exec.command"
	for _, pr := range t.problems {
		if pr.UnknownFlag {
			c.add(Warning, field, "%s", pr.Message)
		} else {
			c.add(Error, field, "grpc_health_probe rejects its arguments: %s", pr.Message)
		}
	}
	c.kubeletRefs(t, o.Env)
	if refs := withoutValueFrom(contract.Unexpanded(t.Service), o.Env); len(refs) > 0 {
		c.add(Warning, field, "-service %q uses %s, which the container's env does not set to a value: the health name cannot be checked", t.Service, strings.Join(refs, ", "))
	}
	switch refs := withoutValueFrom(contract.Unexpanded(t.Addr), o.Env); {
	case t.Addr == "":
		c.add(Error, field, "grpc_health_probe needs -addr, such as -addr=:50051")
	case len(refs) > 0:
		c.add(Warning, field, "-addr %q uses %s, which the container's env does not set to a value: the address cannot be checked", t.Addr, strings.Join(refs, ", "))
	case t.addrErr != nil:
		c.add(Error, field, "-addr %q: %v", t.Addr, t.addrErr)
	}
	c.auth(t, o)
	if t.ConnectTimeout <= 0 {
		c.add(Error, field, "-connect-timeout must be greater than zero, not %s", t.ConnectTimeout)
	}
	if t.RPCTimeout <= 0 {
		c.add(Error, field, "-rpc-timeout must be greater than zero, not %s", t.RPCTimeout)
	}
	if t.ConnectTimeout > 0 && t.RPCTimeout > 0 {
		if ok, minSeconds := contract.TimeoutsFit(t.ConnectTimeout, t.RPCTimeout, p.TimeoutSeconds); !ok {
			timeout := p.TimeoutSeconds
			if timeout == 0 {
				timeout = contract.DefaultTimeoutSeconds
			}
			c.add(Warning, "timeoutSeconds",
				"grpc_health_probe's -connect-timeout %s + -rpc-timeout %s = %s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds %d or the kubelet may kill the probe and count a failure; raise timeoutSeconds to %d or lower the timeouts",
				t.ConnectTimeout, t.RPCTimeout, t.ConnectTimeout+t.RPCTimeout, timeout, minSeconds)
		}
	}
}

// liveness warns when a liveness probe asks a name that follows the
// services: a failing dependency would restart the pod. The right name is
// the naming mode's: "liveness" for healthreg, "" for a plain health server,
// whose "" the application sets for the process as a whole. A name the
// server is declared to register is never advised to be "": a server that
// picked its own liveness name may not register "" at all (a servicer that
// sets only its service's name), and asking it would restart-loop the pod.
func (c *checker) liveness(name string, names contract.NamesMode, declared bool) {
	want := contract.ProbeServiceNames(names, nil).Liveness
	if name == want || declared && want == contract.OverallName {
		return
	}
	var why string
	if names == contract.NamesHealthreg {
		switch name {
		case contract.OverallName:
			why = " (no service), which follows every service in this runtime"
		case contract.ReadinessName:
			why = ", which follows every service"
		}
	}
	c.add(Warning, "", "liveness probe checks %q%s: a failing dependency would restart the pod; probe %q", name, why, want)
}
