package gen

import (
	"fmt"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// Client authentication of the probes that run grpc_health_probe (exec
// probes, compose healthchecks): a client certificate, gRPC metadata,
// SPIFFE or ALTS. The kubelet's grpc probes and the gateways' health checks
// can send none of it; a plaintext health_port needs none of it.

// ProbeAuth is a workload's client authentication, as grpc_health_probe's
// flags.
type ProbeAuth struct {
	ClientCert, ClientKey string
	Headers               []string // -rpc-header values, $(VAR) as written (contract.ProbeCommand reads it through sh)
	SPIFFE, ALTS          bool
}

// set reports whether the probes authenticate at all.
func (a ProbeAuth) set() bool {
	return a.ClientCert != "" || a.ClientKey != "" || len(a.Headers) > 0 || a.SPIFFE || a.ALTS
}

// flags are grpc_health_probe's arguments for a (after -tls and its
// verification flags, which tls= gives).
func (a ProbeAuth) flags() []string {
	var out []string
	if a.ClientCert != "" {
		out = append(out, "-tls-client-cert="+a.ClientCert, "-tls-client-key="+a.ClientKey)
	}
	if a.SPIFFE {
		out = append(out, "-spiffe")
	}
	if a.ALTS {
		out = append(out, "-alts")
	}
	for _, h := range a.Headers {
		out = append(out, "-rpc-header="+h)
	}
	return out
}

// authRows are the settings of ProbeAuth, in the order errors look for the
// one to report at.
var authRows = []row{sTLSClientCert, sTLSClientKey, sRPCHeader, sSPIFFE, sALTS}

// certPathRule: grpc_health_probe opens the path from its working
// directory, which an exec probe does not choose.
func certPathRule(s string) string {
	if !cleanAbsPath(s) {
		return "must be an absolute path in the image of letters, digits, '.', '_', '-' and '/', such as /etc/probe/tls.crt"
	}
	return ""
}

// headersRule checks each -rpc-header value; a refused one is shown without
// a literal secret.
func headersRule(hs []string) string {
	for _, h := range hs {
		if msg := headerProblem(h); msg != "" && len(hs) == 1 {
			return msg
		} else if msg != "" {
			return fmt.Sprintf("%s %s", quoteValue(shownHeader(h)), msg)
		}
	}
	return ""
}

func headerProblem(h string) string {
	name, value, ok := contract.SplitHeader(h)
	if !ok {
		return `must be "name: value", such as "authorization: Bearer $(PROBE_TOKEN)"`
	}
	if msg := contract.HeaderNameProblem(name); msg != "" {
		return msg
	}
	if value == "" {
		return "has no value"
	}
	if !printable(value) {
		return "must be printable"
	}
	refs := contract.EnvRefs(value)
	for _, r := range refs {
		if !contract.IsEnvName(r) {
			return fmt.Sprintf("refers to $(%s), which is no environment variable's name (letters, digits and '_')", r)
		}
	}
	if len(refs) == 0 && contract.IsCredentialHeader(name) {
		return fmt.Sprintf("has a literal value, which would be written into the manifest; take it from the container's env "+
			"with $(VAR), such as %q: the exec probes then read it through sh when they run, so it may come from a Secret "+
			"(env valueFrom secretKeyRef); or serve health on healthreg's plaintext health_port, which needs no token", suggestedHeader(name, value))
	}
	return ""
}

// suggestedHeader is name's header with its value in the $(VAR) form,
// keeping an authorization scheme ("Bearer ").
func suggestedHeader(name, value string) string {
	scheme := ""
	if word, _, ok := strings.Cut(value, " "); ok && !strings.ContainsAny(word, "=:") && len(word) < 16 {
		scheme = word + " "
	}
	return name + ": " + scheme + "$(PROBE_TOKEN)"
}

// shownHeader is h as a message may print it: a credential header's literal
// value is not repeated in logs.
func shownHeader(h string) string {
	name, value, ok := contract.SplitHeader(h)
	if ok && contract.IsCredentialHeader(name) && len(contract.EnvRefs(value)) == 0 {
		return name + ": (literal value not shown)"
	}
	return h
}

func shownHeaders(hs []string) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = shownHeader(h)
	}
	return out
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = quoteValue(v)
	}
	return out
}

// noProbeRunner says what client authentication needs in a run.
const noProbeRunner = "is used only by the outputs that run grpc_health_probe: emit=k8s or emit=helm with probe=exec, and emit=compose"

// checkProbeAuth reports the client authentication of workload w that its
// outputs cannot carry or that contradicts its transport.
func checkProbeAuth(g *group, w *Workload, p *Params, errs *errorList) {
	a := w.Auth
	if !a.set() {
		return
	}
	e := workloadErrors{w: w, s: g.members[0], errs: errs}
	at := func(r row, msg string) {
		_, l := e.s.find(r)
		if l == nil {
			e.param(paramOption(r.info().name, ""), msg)
			return
		}
		errs.add(l.errorAt(r, e.msg(msg)))
	}
	first := func() row {
		for _, r := range authRows {
			if _, l := e.s.find(r); l != nil {
				return r
			}
		}
		return authRows[0]
	}()
	tls := paramOf(p, sTLS)
	switch {
	case w.HealthPort != 0:
		at(first, "the probes ask the plaintext health_port, which healthreg serves without TLS or interceptors, so they need no client authentication; "+
			"leave "+first.info().name+" unset (or drop health_port to probe the application's port)")
		return
	case a.ClientCert != "" && a.ClientKey == "":
		at(sTLSClientCert, "needs tls_client_key (grpc_health_probe presents a certificate with its key)")
	case a.ClientKey != "" && a.ClientCert == "":
		at(sTLSClientKey, "needs tls_client_cert (grpc_health_probe presents a certificate with its key)")
	case a.ClientCert != "" && !tls:
		at(sTLSClientCert, "needs tls=true: a client certificate is presented in the TLS handshake")
	case a.SPIFFE && a.ALTS:
		at(sALTS, "spiffe and alts are two transports of the probe; choose one")
	case (a.SPIFFE || a.ALTS) && tls:
		r := row(sSPIFFE)
		if !a.SPIFFE {
			r = sALTS
		}
		at(r, "is the probe's transport instead of tls=true (grpc_health_probe refuses -tls with it); drop tls=true")
	}
	what := "client certificates, metadata, SPIFFE or ALTS"
	probes := p.EmitK8s() || p.emits(EmitHelm) // the outputs that write pod probes
	if probes && !w.Exec() {
		at(first, "the kubelet's grpc probes send no "+what+"; use probe=exec (grpc_health_probe sends them), "+
			"or serve health on healthreg's plaintext health_port, which needs none of it (recommended)")
	}
	if paramOf(p, sScaffold) && w.Exec() && contract.ReadsEnv(a.Headers) {
		// contract.ProbeCommand: a header's $(VAR) is read by sh, which the
		// scaffold's distroless image lacks.
		at(sRPCHeader, "reads the container's env through sh in the exec probes, and scaffold=true's image (distroless static) has no shell, so they could never pass; "+
			"probe healthreg's plaintext health_port instead, which needs no token (and drop rpc_header), or give the scaffolded image a shell and generate the probes with rpc_header without scaffold=true (the Component patches your Deployment)")
	}
	for _, c := range []struct{ kind, who string }{
		{EmitGKE, "GKE's health check (HealthCheckPolicy)"},
		{EmitEnvoyGateway, "Envoy Gateway's active health check"},
		{EmitALB, "an ALB health check"},
	} {
		if p.emits(c.kind) {
			at(first, fmt.Sprintf("emit=%s: %s sends no %s; serve health on healthreg's plaintext health_port for emit=%s", c.kind, c.who, what, c.kind))
		}
	}
	if !probes && !p.emits(EmitCompose) {
		at(first, noProbeRunner)
	}
}

// checkScaffoldTLSShell refuses, with scaffold=true, a tls_ca_cert or
// tls_server_name that refers to the container's env ($(VAR)): the exec
// probes then run through sh (contract.ProbeCommand), which the scaffold's
// distroless image lacks, so they could never pass. (checkProbeAuth says
// the same of rpc_header.)
func checkScaffoldTLSShell(g *group, w *Workload, p *Params, errs *errorList) {
	if !paramOf(p, sScaffold) || !w.Exec() || !w.TLS {
		return
	}
	e := workloadErrors{w: w, s: g.members[0], errs: errs}
	for _, s := range []*setting[string]{sTLSCACert, sTLSServerName} {
		if v := paramOf(p, s); contract.ReadsEnv([]string{v}) {
			e.param(paramOption(s.name, v), "reads the container's env through sh in the exec probes, and scaffold=true's image (distroless static) has no shell, so they could never pass; write the value itself, or generate the probes without scaffold=true for an image with a shell (the Component patches your Deployment)")
		}
	}
}
