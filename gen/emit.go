package gen

// Output kinds named by emit=.
const (
	EmitGo           = "go"
	EmitK8s          = "k8s"
	EmitHelm         = "helm"
	EmitGKE          = "gke"
	EmitEnvoyGateway = "envoygateway"
	EmitIstio        = "istio"
	EmitCompose      = "compose"
	EmitALB          = "alb"
	EmitNode         = "node"
	EmitPython       = "python"
	EmitRegister     = "register"
)

// emitKind is one row of the emit= table: a kind of output, its help, and
// what it renders. go writes a .health.go beside each file's Go package,
// through protogen (render_go.go); every other kind writes files under
// each workload's directory from their templates (render_k8s.go), and so
// makes the run group its services into workloads and check them. A new
// kind is a row here, its template, and what the model must compute for it.
type emitKind struct {
	name string
	help string
	// workloadFiles are the files the kind writes for a workload, under
	// <workload>/; nil for go.
	workloadFiles func(w *Workload) []manifest
	// kustomize: the files are Kubernetes objects that emit=k8s's
	// kustomization lists.
	kustomize bool
	// moduleFiles are the files the kind writes per .proto file, for a
	// server runtime other than healthreg (render_polyglot.go).
	moduleFiles []moduleFile
}

// emitKinds is the table of emit= kinds, in the order errors and -h name
// them and a workload's files are written.
var emitKinds = []emitKind{
	{name: EmitGo, help: "Go health registration code (.health.go) beside each file's Go package"},
	{name: EmitK8s, help: "a kustomize Component of probes per workload (or, with scaffold=true, its whole deployment)",
		workloadFiles: func(w *Workload) []manifest {
			if w.Scaffold != nil {
				return scaffoldFiles
			}
			return componentFiles
		}},
	{name: EmitHelm, help: "a Helm library chart of the probes per workload, in its helm/ directory (with scaffold=true, also a chart that includes it)",
		workloadFiles: helmFiles},
	// The consumers of health other than the kubelet (consumers.go).
	{name: EmitGKE, help: "GKE Gateway HealthCheckPolicy", kustomize: true,
		workloadFiles: oneFile("healthcheckpolicy.yaml", "gke-healthcheckpolicy.yaml.tmpl")},
	{name: EmitEnvoyGateway, help: "Envoy Gateway BackendTrafficPolicy", kustomize: true,
		workloadFiles: oneFile("backendtrafficpolicy.yaml", "envoygateway-backendtrafficpolicy.yaml.tmpl")},
	{name: EmitIstio, help: "Istio DestinationRule outlier detection", kustomize: true,
		workloadFiles: oneFile("destinationrule.yaml", "istio-destinationrule.yaml.tmpl")},
	{name: EmitCompose, help: "docker compose healthcheck",
		workloadFiles: oneFile("compose.yaml", "compose.yaml.tmpl")},
	{name: EmitALB, help: "AWS Load Balancer Controller Ingress with a gRPC health check", kustomize: true,
		workloadFiles: oneFile("ingress.yaml", "alb-ingress.yaml.tmpl")},
	// Health code for servers that do not run healthreg (polyglot.go).
	{name: EmitNode, help: "a module per .proto file (x_health.js and x_health.d.ts for x.proto) for @grpc/grpc-js servers using grpc-health-check",
		moduleFiles: []moduleFile{{"_health.js", "node-health.js.tmpl"}, {"_health.d.ts", "node-health.d.ts.tmpl"}}},
	{name: EmitPython, help: "a module per .proto file (x_health.py for x.proto) for grpcio servers using grpcio-health-checking",
		moduleFiles: []moduleFile{{"_health.py", "python-health.py.tmpl"}}},
	// Go too, but per workload (register.go); it needs emit=go's run.
	{name: EmitRegister, help: "per workload, Register<Workload>Workload(server, registry, impl) in the Go package of its first service (<name>.register.health.go): impl implements every service of the workload, each registered with its health; needs emit=go"},
}

// oneFile is a kind's workloadFiles when it writes one file.
func oneFile(name, tmpl string) func(*Workload) []manifest {
	files := []manifest{{name, tmpl}}
	return func(*Workload) []manifest { return files }
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
