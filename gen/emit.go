package gen

// Output kinds named by emit=.
const (
	EmitGo           = "go"
	EmitK8s          = "k8s"
	EmitGKE          = "gke"
	EmitEnvoyGateway = "envoygateway"
	EmitIstio        = "istio"
	EmitCompose      = "compose"
	EmitALB          = "alb"
)

// emitKind is one row of the emit= table: a kind of output, its help, and
// how it is rendered. Every kind but go writes files per workload; go and
// k8s have their own renderers (render_go.go, render_k8s.go), the consumers
// of health other than the kubelet (consumers.go) one file per workload
// from one template.
type emitKind struct {
	name string
	help string
	file *manifest // the consumer's file under <workload>/ and its template
	// kustomize: the file is a Kubernetes object that emit=k8s's
	// kustomization lists.
	kustomize bool
}

// emitKinds is the table of emit= kinds, in the order errors and -h name them.
var emitKinds = []emitKind{
	{name: EmitGo, help: "Go health registration code (.health.go) beside each file's Go package"},
	{name: EmitK8s, help: "a kustomize Component of probes per workload (or, with scaffold=true, its whole deployment)"},
	{name: EmitGKE, help: "GKE Gateway HealthCheckPolicy", kustomize: true,
		file: &manifest{"healthcheckpolicy.yaml", "gke-healthcheckpolicy.yaml.tmpl"}},
	{name: EmitEnvoyGateway, help: "Envoy Gateway BackendTrafficPolicy", kustomize: true,
		file: &manifest{"backendtrafficpolicy.yaml", "envoygateway-backendtrafficpolicy.yaml.tmpl"}},
	{name: EmitIstio, help: "Istio DestinationRule outlier detection", kustomize: true,
		file: &manifest{"destinationrule.yaml", "istio-destinationrule.yaml.tmpl"}},
	{name: EmitCompose, help: "docker compose healthcheck",
		file: &manifest{"compose.yaml", "compose.yaml.tmpl"}},
	{name: EmitALB, help: "AWS Load Balancer Controller Ingress with a gRPC health check", kustomize: true,
		file: &manifest{"ingress.yaml", "alb-ingress.yaml.tmpl"}},
}

// emitSet is the value of emit=: the kinds a run writes.
type emitSet map[string]bool

func emitKindOf(name string) *emitKind {
	for i := range emitKinds {
		if emitKinds[i].name == name {
			return &emitKinds[i]
		}
	}
	return nil
}

func emitNames() []string {
	var names []string
	for _, k := range emitKinds {
		names = append(names, k.name)
	}
	return names
}
