package gen

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// build resolves the request's services, options and parameters into the
// model and runs every check over them. It returns all problems together;
// nothing after it can fail on user input.
func build(plugin *protogen.Plugin, p *Params) (*Model, error) {
	var errs errorList
	params := p.layer()
	checkLayer(params, &errs)
	checkParams(p, &errs)
	serviceParams := map[string]layer{}
	for _, sp := range p.Services {
		l := sp.layer()
		checkLayer(l, &errs)
		serviceParams[sp.FullName] = l
	}
	services := collectServices(plugin, params, serviceParams)
	checkServiceParams(p, services, &errs)
	var files []*protogen.File // generated files with services, in order
	byFile := map[*protogen.File][]*service{}
	for _, s := range services {
		if !s.generate {
			continue
		}
		if byFile[s.file] == nil {
			files = append(files, s.file)
		}
		byFile[s.file] = append(byFile[s.file], s)
		checkLayer(s.layers[layerService], &errs)
		if s.skip {
			checkSkipped(s, &errs)
			continue
		}
		if s.undeployed {
			checkSkippedParams(s, &errs)
		}
		if name := s.fullName; name == contract.LivenessName || name == contract.ReadinessName {
			errs.add(&Error{
				File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{name},
				Msg: fmt.Sprintf("the health name %q is reserved for the runtime's own status; give the service a package, or skip it", name),
			})
		}
		if len(s.fullName) > contract.MaxNameLength {
			errs.add(&Error{
				File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{plainOrQuoted(s.fullName)},
				Msg: fmt.Sprintf("the health name is %d bytes, longer than the runtime's limit of %d (healthreg refuses to register it, and a probe asking it gets INVALID_ARGUMENT); shorten the package or the service's name, or skip it",
					len(s.fullName), contract.MaxNameLength),
			})
		}
	}
	for _, f := range files {
		fs := byFile[f]
		checkLayer(fs[0].layers[layerFile], &errs)
		checkSkippedFile(fs[0].layers[layerFile], fs, &errs)
	}
	m := &Model{EmitGo: p.EmitGo(), Modules: p.moduleFiles()}
	var groups []*group
	register := paramOf(p, sScaffold) || p.emits(EmitRegister)
	if p.EmitWorkloads() || len(m.Modules) > 0 || register || p.EmitGo() && anyGoPlain(services) {
		// Every file that holds the probes' names needs the workloads.
		groups = groupWorkloads(services, &errs)
		for _, g := range groups {
			checkGroup(g, paramOf(p, sScaffold), p.emits(EmitALB), &errs)
		}
		if paramOf(p, sScaffold) {
			checkScaffoldGo(groups, &errs)
		}
		if len(errs) == 0 {
			var registers []*WorkloadRegister
			if register {
				registers = workloadRegisters(plugin, groups, p.emits(EmitRegister), &errs)
			}
			for i, g := range groups {
				w := g.workload(p)
				checkConsumers(g, w, p, &errs)
				checkProbeAuth(g, w, p, &errs)
				checkScaffoldTLSShell(g, w, p, &errs)
				checkProbeNameLengths(g, w, &errs)
				if registers != nil {
					w.Register = registers[i]
				}
				m.Workloads = append(m.Workloads, w)
			}
			if p.emits(EmitRegister) {
				m.Registers = registers
			}
		}
	} else if p.EmitGo() {
		// Only for the readiness names of the Go service configs: a run
		// that writes no workload files reports no workload problems.
		groups = groupWorkloads(services, &errorList{})
	}
	if p.EmitGo() {
		checkGoNames(plugin.Files, services, &errs)
		checkGoComments(services, &errs)
	}
	if p.EmitGo() || len(m.Modules) > 0 {
		m.Files = goFiles(services, readinessNames(groups))
		if len(m.Modules) > 0 {
			checkConstantNames(m, &errs)
		}
		if len(errs) == 0 {
			attachWorkloads(m, p, &errs)
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// goFiles returns the Go health code of every generated file that has an
// unskipped service, in request order.
func goFiles(services []*service, readiness map[*service]string) []*GoFile {
	var files []*GoFile
	var cur *GoFile
	for _, s := range services {
		if !s.generate || s.skip {
			continue
		}
		if cur == nil || cur.proto != s.file {
			cur = &GoFile{proto: s.file, Source: s.file.Desc.Path(), Deprecated: fileDeprecated(s.file), Plain: valueOf(s, sGoRuntime) == goRuntimeGRPC}
			files = append(files, cur)
		}
		// A service left out of every workload (its default workload name
		// collides, which only a run that writes workloads reports) asks
		// the readiness name its mode's servers register whatever the
		// grouping: "readiness" for healthreg, "" for plain servers. A
		// workload's own name may be "" (names=overall): presence decides.
		readinessName, ok := readiness[s]
		if !ok {
			readinessName = contract.ProbeServiceNames(valueOf(s, sNames), nil).With(s.declaredNames()).Readiness
		}
		cur.Services = append(cur.Services, &GoService{
			FullName:              s.fullName,
			ConstName:             goConstName(s),
			ConstantName:          constantName(string(s.svc.Desc.Name())),
			RegisterFunc:          goRegisterFunc(s),
			Comment:               commentLines(s.svc.Comments.Leading),
			Deprecated:            serviceDeprecated(s.svc),
			CountsTowardReadiness: valueOf(s, sCounts),
			ServiceConfigName:     goServiceConfigName(s),
			ServiceConfig:         ServiceConfig(readinessName),
		})
	}
	return files
}

// commentLines splits a proto comment into lines without the trailing newline.
func commentLines(c protogen.Comments) []string {
	if c == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(c), "\n"), "\n")
}

// workload turns a checked group into the model's workload: every member
// agrees on the shared fields, so the first member's values stand for all.
func (g *group) workload(p *Params) *Workload {
	s := g.members[0]
	w := &Workload{
		Name:       g.name,
		Explicit:   g.explicit,
		Sources:    g.sources(),
		Container:  valueOf(s, sContainer),
		Port:       valueOf(s, sPort),
		HealthPort: valueOf(s, sHealthPort),
		Probe:      valueOf(s, sProbe),
		ProbeBin:   valueOf(s, sProbeBin),
		Kind:       valueOf(s, sKind),
	}
	for _, m := range g.members {
		w.Services = append(w.Services, m.fullName)
	}
	names := g.probeNames()
	w.Liveness = s.probe(liveness, names.Liveness, w.Exec())
	w.Readiness = s.probe(readiness, names.Readiness, w.Exec())
	w.Startup = s.probe(startup, names.Startup, w.Exec())
	if s.startupFromSeconds() {
		budget := valueOf(s, sStartupSeconds)
		w.Startup.FailureThreshold = int32((int64(budget) + int64(w.Startup.PeriodSeconds) - 1) / int64(w.Startup.PeriodSeconds))
	}
	if paramOf(p, sScaffold) {
		w.Scaffold = p.scaffold(g.name)
	}
	tls := paramOf(p, sTLS)
	w.TLS = tls && w.HealthPort == 0 // the health port is plaintext
	if w.TLS {
		w.TLSServerName = paramOf(p, sTLSServerName)
		w.TLSCACert = paramOf(p, sTLSCACert)
		w.GRPCProbeTLS = !w.Exec() && paramOf(p, sK8sVersion) >= grpcProbeTLSMinor
	}
	w.Auth = ProbeAuth{
		ClientCert: valueOf(s, sTLSClientCert), ClientKey: valueOf(s, sTLSClientKey),
		Headers: valueOf(s, sRPCHeader), SPIFFE: valueOf(s, sSPIFFE), ALTS: valueOf(s, sALTS),
	}
	if p.emits(EmitALB) {
		w.ALB = albHealthCheck(w, tls)
	}
	for _, k := range emitKinds {
		if k.workloadFiles == nil || !p.emits(k.name) {
			continue
		}
		files := k.workloadFiles(w)
		w.Files = append(w.Files, files...)
		if k.kustomize {
			for _, f := range files {
				w.Resources = append(w.Resources, f.name)
			}
		}
	}
	return w
}

// checkProbeNameLengths reports each name a workload's probes ask that is
// longer than the runtime's limit, other than a member's full name (reported
// at its declaration): the server would answer it INVALID_ARGUMENT, never
// SERVING.
func checkProbeNameLengths(g *group, w *Workload, errs *errorList) {
	s := g.members[0]
	for _, msg := range probeNamesTooLong(w, g.memberNames()) {
		errs.add(&Error{File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{plainOrQuoted(s.fullName)}, Msg: msg})
	}
}

func probeNamesTooLong(w *Workload, members map[string]bool) []string {
	var msgs []string
	for _, p := range w.Probes() {
		if len(p.Service) > contract.MaxNameLength && !members[p.Service] {
			msgs = append(msgs, fmt.Sprintf("workload %s: the %s asks a health name of %d bytes, longer than the runtime's limit of %d",
				plainOrQuoted(w.Name), p.Field, len(p.Service), contract.MaxNameLength))
		}
	}
	return msgs
}

func (g *group) memberNames() map[string]bool {
	names := make(map[string]bool, len(g.members))
	for _, m := range g.members {
		names[m.fullName] = true
	}
	return names
}

// probeNames returns the names the workload's probes ask: its naming mode's
// (internal/contract holds the rules), except where a per-probe name was
// declared. Every output reads them from here.
func (g *group) probeNames() contract.ProbeNames {
	var services []string
	for _, s := range g.members {
		services = append(services, s.fullName)
	}
	return contract.ProbeServiceNames(g.namesMode(), services).With(g.members[0].declaredNames())
}

// declaredNames returns the per-probe names set for s (startup_service=,
// ...), in any layer; the services of a workload agree on them.
func (s *service) declaredNames() contract.DeclaredNames {
	var d contract.DeclaredNames
	for k, st := range sProbeNames {
		if v, at := resolvedAt(s, st); at != nil {
			d.Set(probeKind(k).kind(), v)
		}
	}
	return d
}

// namesMode is the naming mode every service of the workload agrees on.
func (g *group) namesMode() contract.NamesMode {
	return valueOf(g.members[0], sNames)
}

// readinessNames maps each grouped service to the name its workload's
// readiness probe asks, and so every other consumer of its readiness.
func readinessNames(groups []*group) map[*service]string {
	m := map[*service]string{}
	for _, g := range groups {
		name := g.probeNames().Readiness
		for _, s := range g.members {
			m[s] = name
		}
	}
	return m
}

// startupFromSeconds reports whether startup_seconds, not
// startup.failure_threshold, sets the startup probe's failure threshold: the
// layer of higher precedence decides (one layer may not set both).
func (s *service) startupFromSeconds() bool {
	for _, l := range s.layers {
		if _, ok := l.get(sTimings[startup][tFailure]); ok {
			return false
		}
		if _, ok := l.get(sStartupSeconds); ok {
			return true
		}
	}
	return true
}

// probe resolves the timings of one probe kind.
func (s *service) probe(k probeKind, name string, exec bool) Probe {
	t := sTimings[k]
	p := Probe{
		Service:             name,
		InitialDelaySeconds: valueOf(s, t[tInitialDelay]),
		PeriodSeconds:       valueOf(s, t[tPeriod]),
		TimeoutSeconds:      valueOf(s, t[tTimeout]),
		SuccessThreshold:    valueOf(s, t[tSuccess]),
		FailureThreshold:    valueOf(s, t[tFailure]),
	}
	if exec {
		p.ConnectTimeout, p.RPCTimeout = execTimeouts(p.TimeoutSeconds)
	}
	return p
}

// execTimeouts splits a probe's timeoutSeconds between grpc_health_probe's
// connect and RPC timeouts by the contract's rule.
func execTimeouts(timeoutSeconds int32) (connect, rpc string) {
	d := contract.ExecTimeout(timeoutSeconds)
	return d.String(), d.String()
}

// registerServers are the services a workload's registration function
// registers, in request order.
func registerServers(members []*service) []RegisterServer {
	out := make([]RegisterServer, len(members))
	for i, m := range members {
		out[i] = RegisterServer{
			FullName:     m.fullName,
			GoImportPath: string(m.file.GoImportPath),
			GoName:       m.svc.GoName,
			RegisterFunc: goRegisterFunc(m),
		}
	}
	return out
}

// checkScaffoldGo reports the services whose scaffolded main.go could not
// import them: their file has no go_package (the run gave it a placeholder).
func checkScaffoldGo(groups []*group, errs *errorList) {
	for _, g := range groups {
		for _, s := range g.members {
			if strings.HasPrefix(string(s.file.GoImportPath), noGoPackagePrefix) {
				errs.add(&Error{
					File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{s.fullName},
					Option: paramOption(sScaffold.name, "true"),
					Msg:    "the scaffold's main.go imports the service's Go package, and its file has no go_package option; set go_package",
				})
			}
		}
	}
}
