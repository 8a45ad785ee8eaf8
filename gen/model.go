package gen

import (
	"google.golang.org/protobuf/compiler/protogen"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// Model is everything the templates need, resolved and checked. Every name
// that both the Go and the Kubernetes output use is computed once, here, so
// the two outputs cannot disagree.
type Model struct {
	Files     []*GoFile   // files whose health code is written, in request order
	Workloads []*Workload // sorted by name
	// Modules are the per-file modules of emit=node and emit=python, in
	// emitKinds order.
	Modules []moduleFile
	EmitGo  bool // write <name>.health.go
	// Registers are the workloads' registration functions of
	// emit=register, in Workloads order.
	Registers []*WorkloadRegister
}

// GoFile is one .proto file's health code: its <name>.health.go, and its
// Node.js and Python modules.
type GoFile struct {
	proto      *protogen.File // kept out of the templates: only render uses it
	Source     string         // the .proto path, as in the request
	Deprecated bool
	Services   []*GoService
	// Plain: the Go targets grpc-go's *health.Server (go_runtime=grpc).
	Plain bool
	// Workload is the one workload that serves every service of the file;
	// nil when they are in several (or the run groups no workloads).
	Workload *FileWorkload
	// GoWorkloads are the workloads whose go_runtime=grpc functions this
	// Go file declares (polyglot.go).
	GoWorkloads []*FileWorkload
}

// GoService is one service's health code.
type GoService struct {
	FullName              string   // exactly the name the health server registers
	ConstName             string   // Greeter_HealthName: the constant holding FullName
	ConstantName          string   // GREETER_HEALTH_NAME: the same in the Node.js and Python modules
	RegisterFunc          string   // RegisterGreeterHealth
	Comment               []string // leading proto comment, one entry a line
	Deprecated            bool
	CountsTowardReadiness bool
	ServiceConfigName     string // Greeter_ServiceConfig
	ServiceConfig         string // the gRFC A17 service config JSON of its workload's clients
}

// Workload is one Deployment, StatefulSet or DaemonSet whose container serves
// one or more services.
type Workload struct {
	Name       string   // DNS-1035 label: the workload's and the Service's name
	Explicit   bool     // named by an option or workload=: its services may span directories
	Kind       string   // Deployment, StatefulSet or DaemonSet
	Services   []string // full names of its services, in request order
	Sources    []string // the .proto files that define them, sorted
	Container  string
	Port       int32 // the application's gRPC port
	HealthPort int32 // 0 when health is served on Port
	Probe      string
	ProbeBin   string
	Liveness   Probe
	Readiness  Probe
	Startup    Probe
	Scaffold   *Scaffold // nil unless scaffold=true
	// Register is the registration function the scaffold's main.go calls;
	// nil unless scaffold=true or emit=register.
	Register *WorkloadRegister
	// TLS: the probes dial a TLS port (tls=true and no plaintext health
	// port); GRPCProbeTLS: the kubelet's grpc probes use mode: TLS.
	TLS           bool
	TLSServerName string
	TLSCACert     string
	GRPCProbeTLS  bool
	Auth          ProbeAuth // the exec probes' client authentication
	// Files are the workload's files, of every emit= kind of the run, in
	// emitKinds order; Resources those a kustomization lists.
	Files     []manifest
	Resources []string
	ALB       *ALBHealthCheck // emit=alb's health check; nil without it
}

// ProbePort is the port the probes dial.
func (w *Workload) ProbePort() int32 {
	if w.HealthPort != 0 {
		return w.HealthPort
	}
	return w.Port
}

// Exec reports whether the probes run grpc_health_probe.
func (w *Workload) Exec() bool { return w.Probe == probeExec }

// Probe is one Kubernetes probe of a workload.
type Probe struct {
	Service             string // the health name the probe asks for
	InitialDelaySeconds int32
	PeriodSeconds       int32
	TimeoutSeconds      int32
	SuccessThreshold    int32
	FailureThreshold    int32
	// For exec probes: grpc_health_probe's own timeouts, which together fit
	// inside TimeoutSeconds with room for the process to start.
	ConnectTimeout string
	RPCTimeout     string
}

// Scaffold holds what a complete starting point for a new service adds.
type Scaffold struct {
	Image                         string
	ImageIsPlaceholder            bool
	TerminationGracePeriodSeconds int64
	DrainSeconds                  int32
	StopSeconds                   int32
	RunAsUser                     int64
	MainPackage                   string // ./cmd/<workload>: what the Dockerfile builds, from the module root
	MainFile                      string // cmd/<workload>/main.go, relative to out
}

// RegisterServer is one service as a workload's registration function
// registers it.
type RegisterServer struct {
	FullName     string
	GoImportPath string // the Go package of its .pb.go, _grpc.pb.go and .health.go
	GoName       string // Greeter: GreeterServer, RegisterGreeterServer, UnimplementedGreeterServer
	RegisterFunc string // RegisterGreeterHealth: the .health.go's (GoService.RegisterFunc)
}

// ProbeView is one probe as the templates lay it out.
type ProbeView struct {
	Field   string   // "livenessProbe", ...
	Exec    bool     // an exec probe running Command; else a grpc probe on Port
	Command []string // the exec probe's command: grpc_health_probe's argv, through sh when it reads the env (contract.ProbeCommand)
	Port    int32
	TLS     bool // a grpc probe with mode: TLS
	Replace bool // a patch's probe, which replaces the container's whole
	Probe
}

// PatchProbes returns the probes of the Component's patch: each replaces
// the probe of its kind whole, since a strategic merge would otherwise keep
// the container's own handler next to ours, which the API server rejects.
func (w *Workload) PatchProbes() []ProbeView {
	views := w.Probes()
	for i := range views {
		views[i].Replace = true
	}
	return views
}

// Probes returns the workload's probes in the order the manifests list them.
func (w *Workload) Probes() []ProbeView {
	views := make([]ProbeView, 0, 3)
	for _, p := range []struct {
		field string
		probe Probe
	}{{"startupProbe", w.Startup}, {"livenessProbe", w.Liveness}, {"readinessProbe", w.Readiness}} {
		v := ProbeView{Field: p.field, Exec: w.Exec(), Port: w.ProbePort(), TLS: w.GRPCProbeTLS, Probe: p.probe}
		if v.Exec {
			v.Command = contract.ProbeCommand(w.execCommand(p.probe))
		}
		views = append(views, v)
	}
	return views
}
