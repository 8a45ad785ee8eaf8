package gen

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// The consumers of health other than the kubelet: load balancers that probe
// the workload, and docker compose. Each gets its settings from the
// workload's readiness probe, so every consumer asks the same name on the
// same port with the same patience as the kubelet's readiness probe.

// Limits of GKE's HealthCheckPolicy (networking.gke.io/v1): its CRD rejects
// values outside them, so the generator reports them instead.
const (
	gkeMaxSeconds   = 300
	gkeMaxThreshold = 10
)

// maxGatewaySeconds is the longest duration Gateway API's Duration format
// (GEP-2257: at most five digits per unit) can write with h, m and s, which
// Envoy Gateway's CRD requires.
const maxGatewaySeconds = 99999*3600 + 59*60 + 59

// GatewayDuration writes whole seconds in Gateway API's Duration format:
// 100000 is "27h46m40s", since "100000s" has too many digits.
func GatewayDuration(seconds int32) string {
	h, m, sec := seconds/3600, seconds/60%60, seconds%60
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// maxProtoDurationSeconds is google.protobuf.Duration's limit, which Istio's
// durations are.
const maxProtoDurationSeconds = 315_576_000_000

// grpcProbeTLSMinor is the first Kubernetes 1.x minor whose kubelet can run a
// grpc probe over TLS (KEP-4939, alpha behind GRPCContainerProbeTLS in 1.37).
const grpcProbeTLSMinor = 37

// checkConsumerParams reports the consumer parameters that would do nothing.
func checkConsumerParams(p *Params, errs *errorList) {
	tls, serverName, caCert := paramOf(p, sTLS), paramOf(p, sTLSServerName), paramOf(p, sTLSCACert)
	if serverName != "" && !tls {
		errs.add(&Error{Option: paramOption(sTLSServerName.name, serverName), Msg: "needs tls=true"})
	}
	if caCert != "" && serverName == "" {
		errs.add(&Error{Option: paramOption(sTLSCACert.name, caCert), Msg: "needs tls_server_name= (the name the certificate is verified against: a pod's certificate does not name localhost)"})
	}
	if minor, ok := paramSet(p, sK8sVersion); ok && !tls {
		errs.add(&Error{Option: paramOption(sK8sVersion.name, sK8sVersion.typ.text(minor)), Msg: "is only used with tls=true (it allows the kubelet's TLS grpc probes)"})
	}
	if tls && !p.EmitWorkloads() {
		errs.add(&Error{Option: paramOption(sTLS.name, "true"), Msg: "needs an emit= that writes probes or health checks (k8s, helm, gke, envoygateway, compose, alb)"})
	}
}

// workloadErrors reports the problems of one built workload, each message
// naming the workload.
type workloadErrors struct {
	w    *Workload
	s    *service // its first member: every member agrees on the shared fields (checkGroup)
	errs *errorList
}

func (e workloadErrors) msg(msg string) string {
	return "workload " + quoteValue(e.w.Name) + ": " + msg
}

// param reports a problem caused by a run-wide parameter (option).
func (e workloadErrors) param(option, msg string) {
	e.errs.add(&Error{Option: option, Services: e.w.Services, Msg: e.msg(msg)})
}

// timing reports a problem with the timings fs at the option that set the
// first of them that is set (file, line and option path), as every option
// check does; only when all are defaults does it fall back to the first
// field, its default value and the workload's services.
func (e workloadErrors) timing(msg string, ts ...*setting[int32]) {
	for _, t := range ts {
		if _, at := resolvedAt(e.s, t); at != nil {
			e.errs.add(at.errorAt(t, e.msg(msg)))
			return
		}
	}
	e.errs.add(&Error{Option: "option " + ts[0].name, Value: fmt.Sprint(ts[0].def), Services: e.w.Services, Msg: e.msg(msg)})
}

// readinessMaxima reports the readiness timings above a consumer's maxima;
// who starts each message ("emit=gke: GKE's HealthCheckPolicy").
func (e workloadErrors) readinessMaxima(who string, maxSeconds, maxTimeout, maxThreshold int32) {
	r, tf := e.w.Readiness, sTimings[readiness]
	for _, v := range []struct {
		f        *setting[int32]
		val, max int32
	}{
		{tf[tPeriod], r.PeriodSeconds, maxSeconds},
		{tf[tTimeout], r.TimeoutSeconds, maxTimeout},
		{tf[tSuccess], r.SuccessThreshold, maxThreshold},
		{tf[tFailure], r.FailureThreshold, maxThreshold},
	} {
		if v.val > v.max {
			e.timing(fmt.Sprintf("%s allows at most %d", who, v.max), v.f)
		}
	}
}

// checkConsumers reports what one workload's consumers cannot do. w is the
// built workload of group g; every message names the workload and the
// setting to change.
func checkConsumers(g *group, w *Workload, p *Params, errs *errorList) {
	e := workloadErrors{w: w, s: g.members[0], errs: errs}
	r, tf := w.Readiness, sTimings[readiness]
	if w.TLS && p.EmitK8s() && !w.Exec() {
		switch {
		case paramOf(p, sK8sVersion) < grpcProbeTLSMinor:
			e.param(paramOption(sTLS.name, "true"), fmt.Sprintf("the kubelet's grpc probes are plaintext before Kubernetes 1.%d (KEP-4939, alpha: feature gate GRPCContainerProbeTLS); "+
				"use probe=exec (grpc_health_probe -tls), serve health on a plaintext health_port, or set k8s_version=1.%d for a cluster with the gate on",
				grpcProbeTLSMinor, grpcProbeTLSMinor))
		case w.TLSServerName != "":
			e.param(paramOption(sTLSServerName.name, w.TLSServerName), "the kubelet's grpc probe sends no server name; use probe=exec for a TLS server name")
		}
	}
	if p.emits(EmitEnvoyGateway) && paramOf(p, sTLS) && w.HealthPort != 0 {
		// Envoy Gateway v1.9's translator (internal/xds/translator/cluster.go:
		// buildXdsCluster, buildXdsClusterLoadAssignment) gives a TLS backend's
		// endpoints a transport socket match, and buildXdsHealthCheck sets no
		// transport_socket_match_criteria, so Envoy's active check dials
		// overrides.port (buildHealthCheckConfig) with the endpoint's TLS.
		e.param(paramOption(sTLS.name, "true"), "emit=envoygateway: Envoy Gateway's active health check reuses the backend's TLS (BackendTLSPolicy) "+
			"on overrides.port, so it would fail against the plaintext health_port; leave health_port unset for emit=envoygateway (the check then asks the TLS application port)")
	}
	if p.emits(EmitEnvoyGateway) {
		for _, v := range []struct {
			f   *setting[int32]
			val int32
		}{{tf[tPeriod], r.PeriodSeconds}, {tf[tTimeout], r.TimeoutSeconds}} {
			if v.val > maxGatewaySeconds {
				e.timing(fmt.Sprintf("emit=envoygateway: Envoy Gateway's durations allow at most %d seconds (99999h59m59s)", maxGatewaySeconds), v.f)
			}
		}
	}
	if p.emits(EmitIstio) && w.EjectionSeconds() > maxProtoDurationSeconds {
		e.timing(fmt.Sprintf("emit=istio: the ejection time, period x failure threshold (%ds), is longer than Istio's durations allow (%ds)",
			w.EjectionSeconds(), int64(maxProtoDurationSeconds)), tf[tFailure], tf[tPeriod])
	}
	if p.emits(EmitGKE) {
		if w.TLS {
			e.param(paramOption(sTLS.name, "true"), "GKE's GRPC health check (HealthCheckPolicy) is plaintext; serve health on a plaintext health_port for emit=gke")
		}
		e.readinessMaxima("emit=gke: GKE's HealthCheckPolicy", gkeMaxSeconds, gkeMaxSeconds, gkeMaxThreshold)
		if r.TimeoutSeconds > r.PeriodSeconds {
			// At the period when the timeout is the default (period_seconds: 1).
			e.timing(fmt.Sprintf("emit=gke: GKE's HealthCheckPolicy needs a timeout (%ds) no longer than the period (%ds)", r.TimeoutSeconds, r.PeriodSeconds), tf[tTimeout], tf[tPeriod])
		}
	}
	if w.ALB != nil {
		e.readinessMaxima("emit=alb: an ALB health check", albMaxInterval, albMaxTimeout, albMaxThreshold)
		if w.ALB.TimeoutSeconds >= w.ALB.IntervalSeconds {
			e.timing(fmt.Sprintf("emit=alb: an ALB health check needs a timeout shorter than its interval (%ds)", w.ALB.IntervalSeconds), tf[tTimeout], tf[tPeriod])
		}
	}
}

// ServiceConfig is the gRPC service config (gRFC A17) of a client of the
// workload: round_robin over its pods, each watched on the readiness name,
// so a client stops sending to a pod exactly when the kubelet would.
func ServiceConfig(readinessName string) string {
	name, _ := json.Marshal(readinessName) // a string always marshals
	return `{"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":` + string(name) + `}}`
}

// ComposeTest is the compose healthcheck's test after "CMD":
// grpc_health_probe's argv for the readiness probe, which compose runs
// whatever the kubelet's probe style, with every "$" doubled. Compose
// interpolates $VAR and ${VAR} in every value of the file, the healthcheck's
// test included, and reads "$$" as one literal "$" (the compose spec's
// interpolation chapter), so tls_ca_cert=${HOME}/ca reaches the probe as
// written, as it does in the Kubernetes manifests, instead of the compose
// user's home. Escaping keeps the value the user wrote; refusing "$" would
// refuse a path the kubelet's probes take as it is.
//
// An -rpc-header's $(VAR), which the kubelet expands from the container's
// env, becomes ${VAR:?...}: compose runs the test without a shell, so
// nothing would expand it in the container; compose interpolates it from
// the environment of `docker compose up` (or .env) and refuses to start
// when it is unset, so the file holds no secret and a missing one is loud.
func (w *Workload) ComposeTest() []string {
	cmd := w.execCommand(w.Readiness)
	for i, a := range cmd {
		if h, ok := strings.CutPrefix(a, "-rpc-header="); ok {
			cmd[i] = "-rpc-header=" + composeHeader(h)
			continue
		}
		cmd[i] = strings.ReplaceAll(a, "$", "$$")
	}
	return cmd
}

// composeHeader writes a header value of the kubelet's syntax ("$$" a
// dollar, $(VAR) a variable) in compose's: "$" is "$$", and a variable
// compose can read is ${VAR:?...}; a name no shell variable can have stays
// the literal text the kubelet would leave.
func composeHeader(h string) string {
	dollars := func(s string) string { return strings.ReplaceAll(s, "$", "$$") }
	return contract.RewriteKubelet(h, dollars, func(name string) string {
		if !contract.IsEnvName(name) {
			return dollars("$(" + name + ")")
		}
		return fmt.Sprintf("${%s:?%s is the probe's rpc_header; set it for docker compose}", name, name)
	})
}

// execCommand is grpc_health_probe's argv for one probe.
func (w *Workload) execCommand(p Probe) []string {
	connect, rpc := p.ConnectTimeout, p.RPCTimeout
	if connect == "" {
		connect, rpc = execTimeouts(p.TimeoutSeconds)
	}
	head, tail := w.execArgs(p)
	return slices.Concat(head, []string{"-connect-timeout=" + connect, "-rpc-timeout=" + rpc}, tail)
}

// execArgs is grpc_health_probe's argv for one probe around its two
// timeouts: the program, address and service; then the TLS and client
// authentication flags.
func (w *Workload) execArgs(p Probe) (head, tail []string) {
	head = []string{w.ProbeBin, fmt.Sprintf("-addr=:%d", w.ProbePort()), "-service=" + p.Service}
	switch {
	case w.TLS && w.TLSServerName != "":
		// Verified against the server name (grpc_health_probe refuses a
		// server name with -tls-no-verify), by the image's roots or the CA.
		tail = []string{"-tls", "-tls-server-name=" + w.TLSServerName}
		if w.TLSCACert != "" {
			tail = append(tail, "-tls-ca-cert="+w.TLSCACert)
		}
	case w.TLS:
		// The probe checks health, not the certificate: a pod's certificate
		// names the Service, not the localhost the probe dials.
		tail = []string{"-tls", "-tls-no-verify"}
	}
	return head, append(tail, w.Auth.flags()...)
}

// StartupBudgetSeconds is how long the startup probe lets the server start.
func (w *Workload) StartupBudgetSeconds() int64 {
	s := w.Startup
	return int64(s.InitialDelaySeconds) + int64(s.PeriodSeconds)*int64(s.FailureThreshold)
}

// EjectionSeconds is how long Istio keeps an ejected pod out: as long as the
// readiness probe takes to notice a failure.
func (w *Workload) EjectionSeconds() int64 {
	return int64(w.Readiness.PeriodSeconds) * int64(w.Readiness.FailureThreshold)
}

// GatewayInterval and GatewayTimeout are the readiness probe's period and
// timeout in Gateway API's Duration format.
func (w *Workload) GatewayInterval() string { return GatewayDuration(w.Readiness.PeriodSeconds) }
func (w *Workload) GatewayTimeout() string  { return GatewayDuration(w.Readiness.TimeoutSeconds) }
