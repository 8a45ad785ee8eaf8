package gen

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// The settings table: the one place a setting is declared, with its name,
// Go type, default, the places it may be written, one line of help and the
// check of its value. The parameter parser (params.go), the layers and their
// resolution (options.go, resolve.go), the value checks (check_values.go),
// -h and docs/parameters.md (settings_doc.go) all read it; the code that
// uses a setting reads its value by the row's variable (valueOf, paramOf).
//
// A new setting is a row here (and a field of HealthOptions when it is an
// option, named as the row); a new emit= kind is a row of emitKinds.
//
// The table is the first stage of the generator: it reads the options'
// descriptors and the contract, never the stages below it (the value rules
// it runs are here too, at the end of the file).

// defaultProbeBin is probe_bin's default, which its errors show as an example.
const defaultProbeBin = "/bin/grpc_health_probe"

// Value types.
var (
	int32Type = &valueType[int32]{
		name:       "int32",
		parse:      parseInt32,
		fromOption: func(v protoreflect.Value) int32 { return int32(v.Int()) },
		text:       func(n int32) string { return strconv.Itoa(int(n)) },
		optionText: func(n int32) string { return strconv.Itoa(int(n)) },
	}
	stringType = &valueType[string]{
		name:       "string",
		parse:      func(v string) (string, error) { return v, nil },
		fromOption: protoreflect.Value.String,
		text:       func(v string) string { return v },
		optionText: quoteValue,
	}
	boolType = &valueType[bool]{
		name: "bool",
		parse: func(v string) (bool, error) {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return false, fmt.Errorf("must be true or false")
			}
			return b, nil
		},
		fromOption: protoreflect.Value.Bool,
		text:       strconv.FormatBool,
		optionText: strconv.FormatBool,
	}
	probeType = enumType(optionsv1.ProbeStyle(0).Descriptor(), []enumWord[string]{
		{probeGRPC, protoreflect.EnumNumber(optionsv1.ProbeStyle_PROBE_STYLE_GRPC)},
		{probeExec, protoreflect.EnumNumber(optionsv1.ProbeStyle_PROBE_STYLE_EXEC)},
	})
	kindType = enumType(optionsv1.WorkloadKind(0).Descriptor(), []enumWord[string]{
		{kindDeployment, protoreflect.EnumNumber(optionsv1.WorkloadKind_WORKLOAD_KIND_DEPLOYMENT)},
		{kindStatefulSet, protoreflect.EnumNumber(optionsv1.WorkloadKind_WORKLOAD_KIND_STATEFUL_SET)},
		{kindDaemonSet, protoreflect.EnumNumber(optionsv1.WorkloadKind_WORKLOAD_KIND_DAEMON_SET)},
	})
	namesType = enumType(optionsv1.HealthNames(0).Descriptor(), []enumWord[contract.NamesMode]{
		{contract.NamesHealthreg, protoreflect.EnumNumber(optionsv1.HealthNames_HEALTH_NAMES_HEALTHREG)},
		{contract.NamesServices, protoreflect.EnumNumber(optionsv1.HealthNames_HEALTH_NAMES_SERVICES)},
		{contract.NamesOverall, protoreflect.EnumNumber(optionsv1.HealthNames_HEALTH_NAMES_OVERALL)},
	})
	goRuntimeType = enumType(optionsv1.GoRuntime(0).Descriptor(), []enumWord[string]{
		{goRuntimeHealthreg, protoreflect.EnumNumber(optionsv1.GoRuntime_GO_RUNTIME_HEALTHREG)},
		{goRuntimeGRPC, protoreflect.EnumNumber(optionsv1.GoRuntime_GO_RUNTIME_GRPC)},
	})
	// headerType is a list of grpc_health_probe -rpc-header values: a
	// repeated parameter appends, an option is a repeated string.
	headerType = &valueType[[]string]{
		name:  "name: value",
		parse: func(v string) ([]string, error) { return []string{v}, nil },
		fromOption: func(v protoreflect.Value) []string {
			l := v.List()
			out := make([]string, l.Len())
			for i := range out {
				out[i] = l.Get(i).String()
			}
			return out
		},
		text:       func(h []string) string { return strings.Join(shownHeaders(h), ", ") },
		optionText: func(h []string) string { return "[" + strings.Join(quoteAll(shownHeaders(h)), ", ") + "]" },
		merge:      func(old, new []string) []string { return append(slices.Clip(old), new...) },
		equal:      slices.Equal[[]string],
	}
	// k8sVersionType is a Kubernetes version 1.N, held as its minor N.
	k8sVersionType = &valueType[int]{
		name: "1.N",
		parse: func(v string) (int, error) {
			minor, ok := parseK8sVersion(v)
			if !ok {
				return 0, fmt.Errorf("must be a Kubernetes version 1.N, like 1.37")
			}
			return minor, nil
		},
		text: func(minor int) string { return fmt.Sprintf("1.%d", minor) },
	}
	emitType = &valueType[emitSet]{
		name: strings.Join(emitNames(), "|"),
		parse: func(v string) (emitSet, error) {
			if emitKindOf(v) == nil {
				return nil, fmt.Errorf("must be one of %s (repeat emit= for several: plugin parameters are split on commas)", strings.Join(emitNames(), ", "))
			}
			return emitSet{v: true}, nil
		},
		text: func(e emitSet) string {
			var on []string
			for _, k := range emitNames() {
				if e[k] {
					on = append(on, k)
				}
			}
			return strings.Join(on, ",")
		},
		merge: func(old, new emitSet) emitSet {
			m := emitSet{}
			for k := range old {
				m[k] = true
			}
			for k := range new {
				m[k] = true
			}
			return m
		},
	}
)

// The table, in the order -h and docs/parameters.md list it.
var (
	sEmit = add(&setting[emitSet]{
		name: "emit", typ: emitType, def: emitSet{EmitGo: true}, scopes: inParam, repeatable: true,
		help: "an output to write; repeat for several",
	})
	// The options, in HealthOptions' order (errors list them so).
	sSkip = add(&setting[bool]{
		name: "skip", typ: boolType, def: false, scopes: inOptions | inServiceParam,
		help: "no health code and no probes for the service (on a file: for each of its services); as service.<name>.skip=true, for a shared .proto's service that is not deployed: no workload, probes or consumer files, and its Go is kept",
	})
	sWorkload = add(&setting[string]{
		name: "workload", typ: stringType, unset: "one per service", scopes: everywhere,
		help: "the workload the services belong to (as a parameter: every service of the run)", rule: dns1035Label,
	})
	sPort = add(&setting[int32]{
		name: "port", typ: int32Type, def: 50051, scopes: everywhere,
		help: "the container's gRPC port", rule: between(1, 65535),
	})
	sHealthPort = add(&setting[int32]{
		name: "health_port", typ: int32Type, unset: "unset", scopes: everywhere,
		help: "a separate plaintext health-only port (Registry.ServeHealth) that the probes use, bypassing the application's TLS and interceptors", rule: between(1, 65535),
	})
	sProbe = add(&setting[string]{
		name: "probe", typ: probeType, def: probeGRPC, scopes: everywhere,
		help: "probe style: the kubelet's grpc probe or grpc_health_probe run by exec",
	})
	sProbeBin = add(&setting[string]{
		name: "probe_bin", typ: stringType, def: defaultProbeBin, scopes: everywhere,
		help: "grpc_health_probe's path in the image (exec probes)", rule: probeBinRule,
	})
	sContainer = add(&setting[string]{
		name: "container", typ: stringType, def: "server", scopes: everywhere,
		help: "the container the probes go on", rule: dns1123Label,
	})
	sCounts = add(&setting[bool]{
		name: "counts_toward_readiness", typ: boolType, def: true, scopes: inOptions,
		help: "whether the service's status counts toward its workload's readiness (it keeps its own name either way)",
	})
	sStartupSeconds = add(&setting[int32]{
		name: "startup_seconds", typ: int32Type, def: 60, scopes: everywhere,
		help: "how long a start may take before the startup probe restarts the container", rule: atLeast(1),
	})
	// sTimings are the probes' timings: liveness is slow to act (three
	// failures 10s apart) so a pause never restarts a healthy pod;
	// readiness acts within ~15s; startup polls every 2s and its failure
	// threshold comes from startup_seconds. A timeout of 2s, not
	// Kubernetes' 1s, leaves room for a GC pause or, with exec probes, for
	// grpc_health_probe to start.
	sTimings = [numProbeKinds][numTimings]*setting[int32]{
		liveness:  timingRows(liveness, timing{Period: 10, Timeout: 2, Success: 1, Failure: 3}),
		readiness: timingRows(readiness, timing{Period: 5, Timeout: 2, Success: 1, Failure: 3}),
		startup:   timingRows(startup, timing{Period: 2, Timeout: 2, Success: 1}),
	}
	sKind = add(&setting[string]{
		name: "kind", typ: kindType, def: kindDeployment, scopes: everywhere,
		help: "the kind of workload the Component patches",
	})
	sNames = add(&setting[contract.NamesMode]{
		name: "names", typ: namesType, def: contract.NamesHealthreg, scopes: everywhere,
		help: "the health names the server registers (names= is for servers that do not run healthreg)",
	})
	// sProbeNames are the names the probes ask, overriding names= for
	// each probe (contract.DeclaredNames), in HealthOptions' order.
	sProbeNames = probeNameRows()
	sGoRuntime  = add(&setting[string]{
		name: "go_runtime", typ: goRuntimeType, def: goRuntimeHealthreg, scopes: inParam | inFileOption,
		help: "the health server emit=go's code targets: healthreg, or grpc (grpc-go's own health.Server; the code imports nothing of ours)",
	})
	// The parameters that are not options.
	sScaffold = add(&setting[bool]{
		name: "scaffold", typ: boolType, def: false, scopes: inParam,
		help: "write the server's main.go, Deployment, Service, kustomization and Dockerfile",
	})
	sImage = add(&setting[string]{
		name: "image", typ: stringType, unset: "a placeholder", scopes: inParam,
		help: "the scaffold's container image", rule: printableWord("must be an image reference: printable characters, no spaces"),
	})
	sDrainSeconds = add(&setting[int32]{
		name: "drain_seconds", typ: int32Type, def: DefaultDrainSeconds, scopes: inParam,
		help: "the server's drain delay, for the scaffold's grace period and server flags", rule: atLeast(0),
	})
	sStopSeconds = add(&setting[int32]{
		name: "stop_seconds", typ: int32Type, def: DefaultStopSeconds, scopes: inParam,
		help: "the server's graceful-stop deadline, for the scaffold's grace period and server flags", rule: atLeast(1),
	})
	sTLS = add(&setting[bool]{
		name: "tls", typ: boolType, def: false, scopes: inParam,
		help: "the gRPC port serves TLS: exec probes and compose healthchecks add -tls -tls-no-verify (or verify with tls_server_name=)",
	})
	sTLSServerName = add(&setting[string]{
		name: "tls_server_name", typ: stringType, unset: "unset (-tls-no-verify)", scopes: inParam,
		help: "the server name TLS probes send and verify the certificate against", rule: printableWord("must be a host name"),
	})
	sTLSCACert = add(&setting[string]{
		name: "tls_ca_cert", typ: stringType, unset: "unset (the image's roots)", scopes: inParam,
		help: "path in the image of the CA certificate that verifies the server's", rule: printableWord("must be a path in the image: printable characters, no spaces"),
	})
	// Client authentication of the exec probes and compose healthchecks
	// (probe_auth.go); workload settings like probe_bin.
	sTLSClientCert = add(&setting[string]{
		name: "tls_client_cert", typ: stringType, unset: "unset", scopes: everywhere,
		help: "path in the image of the client certificate exec probes present (-tls-client-cert; with tls=true and tls_client_key)", rule: certPathRule,
	})
	sTLSClientKey = add(&setting[string]{
		name: "tls_client_key", typ: stringType, unset: "unset", scopes: everywhere,
		help: "path in the image of the client certificate's key (-tls-client-key)", rule: certPathRule,
	})
	sRPCHeader = add(&setting[[]string]{
		name: "rpc_header", typ: headerType, unset: "none", scopes: everywhere, repeatable: true,
		help: "gRPC metadata \"name: value\" exec probes send (-rpc-header); repeat for several; a secret as $(VAR) from the container's env", rule: headersRule,
	})
	sSPIFFE = add(&setting[bool]{
		name: "spiffe", typ: boolType, def: false, scopes: everywhere,
		help: "exec probes dial with SPIFFE mTLS from the Workload API (-spiffe), instead of tls=true",
	})
	sALTS = add(&setting[bool]{
		name: "alts", typ: boolType, def: false, scopes: everywhere,
		help: "exec probes dial with ALTS (-alts), instead of tls=true",
	})
	sK8sVersion = add(&setting[int]{
		name: "k8s_version", typ: k8sVersionType, unset: "unset", scopes: inParam,
		help: "with tls=true, the oldest Kubernetes version the manifests target: from 1.37 native grpc probes get mode: TLS (KEP-4939, alpha)",
	})
)

// The defaults of drain_seconds and stop_seconds: the runtime's defaults
// (WithDrainDelay's and WithStopTimeout's, the defaults of healthflags'
// -drain and -stop-timeout), in seconds, from which the scaffold computes
// terminationGracePeriodSeconds. The generator does not import the runtime
// (its module is kept lean for users), so a test in the examples module
// keeps the two equal.
const (
	DefaultDrainSeconds = 5
	DefaultStopSeconds  = 15
)

// settings is the table, in declaration order: Go initializes the rows in
// the order they are written, since every value type they use is declared
// above them (TestSettingsOrder keeps the options in HealthOptions' order).
var settings []row

// add appends a row to the table; an option's row finds its HealthOptions
// field by its name, so a row without a field is a panic at start-up.
func add[T any](s *setting[T]) *setting[T] {
	if s.scopes&(inOptions|inServiceParam) != 0 {
		s.field = mustField(s.name)
	}
	s.row = rowInfo{name: s.name, help: s.help, unset: s.unset, scopes: s.scopes, repeatable: s.repeatable, field: s.field}
	settings = append(settings, s)
	return s
}

// Where a setting may be written.
type scope uint8

const (
	inParam         scope = 1 << iota // a plugin parameter, name=value
	inServiceParam                    // a per-service parameter, service.<full.Name>.name=value
	inFileOption                      // (health.options.v1.file)
	inServiceOption                   // (health.options.v1.service)

	inOptions  = inFileOption | inServiceOption
	everywhere = inParam | inServiceParam | inOptions
)

// setting is one row of the table; T is its value's Go type from the parse
// of a parameter (or the read of an option) to the model.
type setting[T any] struct {
	name string // the parameter's name and the option's field path
	typ  *valueType[T]
	def  T
	// unset, when not empty, says the setting has no default: what happens
	// when it is not given (def is then T's zero value).
	unset      string
	scopes     scope
	help       string
	rule       func(T) string // why a value is refused, "" when it is fine; nil: any value
	repeatable bool           // the parameter may be given more than once (its values merge)
	field      field          // the HealthOptions field, for options and per-service parameters
	row        rowInfo        // the fields above, for info (set by add)
}

// valueType is how values of type T are written as a parameter and as an
// option: one place per Go type, so an option's enum maps to its Go type
// here and nowhere else.
type valueType[T any] struct {
	name       string // for -h and the reference: "int32", "grpc|exec"
	optionName string // the values as an option writes them, when they differ: "PROBE_STYLE_GRPC|PROBE_STYLE_EXEC"
	parse      func(string) (T, error)
	fromOption func(protoreflect.Value) T
	text       func(T) string // as a parameter is written
	optionText func(T) string // as an option is written in a .proto
	// optionCheck says why an option's value is not one of T's values
	// (an enum number with no word), "" when it is.
	optionCheck func(protoreflect.Value) string
	merge       func(old, new T) T // for repeatable parameters
	equal       func(a, b T) bool  // for a T that == cannot compare
}

// row is a setting of any type, as the parser, the layers and the
// reference see it.
type row interface {
	info() *rowInfo
	parse(string) (any, error)
	merge(old, new any) any
	fromOption(protoreflect.Value) any
	optionCheck(protoreflect.Value) string
	check(any) string
	text(any) string
	optionText(any) string
	defaultValue() any
	typeName() string
	optionValues() string
	equal(a, b any) bool
	// sameFor reports whether the setting resolves to the same value for
	// two services.
	sameFor(a, b *service) bool
}

// rowInfo is the part of a row that does not depend on its type.
type rowInfo struct {
	name, help, unset string
	scopes            scope
	repeatable        bool
	field             field
}

func (s *setting[T]) eq(a, b T) bool {
	if s.typ.equal != nil {
		return s.typ.equal(a, b)
	}
	return any(a) == any(b)
}
func (s *setting[T]) equal(a, b any) bool                 { return s.eq(a.(T), b.(T)) }
func (s *setting[T]) info() *rowInfo                      { return &s.row }
func (s *setting[T]) parse(v string) (any, error)         { return s.typ.parse(v) }
func (s *setting[T]) merge(old, new any) any              { return s.typ.merge(old.(T), new.(T)) }
func (s *setting[T]) fromOption(v protoreflect.Value) any { return s.typ.fromOption(v) }
func (s *setting[T]) text(v any) string                   { return s.typ.text(v.(T)) }
func (s *setting[T]) optionText(v any) string             { return s.typ.optionText(v.(T)) }
func (s *setting[T]) defaultValue() any                   { return s.def }
func (s *setting[T]) typeName() string                    { return s.typ.name }
func (s *setting[T]) optionValues() string                { return s.typ.optionName }
func (s *setting[T]) optionCheck(v protoreflect.Value) string {
	if s.typ.optionCheck == nil {
		return ""
	}
	return s.typ.optionCheck(v)
}
func (s *setting[T]) check(v any) string {
	if s.rule == nil {
		return ""
	}
	return s.rule(v.(T))
}

// Workload kinds named by kind=, as Kubernetes spells them.
const (
	kindDeployment  = "Deployment"
	kindStatefulSet = "StatefulSet"
	kindDaemonSet   = "DaemonSet"
)

// Probe styles named by probe=.
const (
	probeGRPC = "grpc"
	probeExec = "exec"
)

// enumWord pairs a parameter's word with the option's enum value.
type enumWord[T ~string] struct {
	word T
	enum protoreflect.EnumNumber
}

// enumType is the value type of an enum of the options: the parameter
// writes the word, the option the enum value, and both read as the word.
func enumType[T ~string](ed protoreflect.EnumDescriptor, words []enumWord[T]) *valueType[T] {
	var quoted, enumNames []string
	for _, w := range words {
		quoted = append(quoted, strconv.Quote(string(w.word)))
		enumNames = append(enumNames, string(ed.Values().ByNumber(w.enum).Name()))
	}
	byNumber := func(n protoreflect.EnumNumber) (T, bool) {
		for _, w := range words {
			if w.enum == n {
				return w.word, true
			}
		}
		return "", false
	}
	var typeName []string
	for _, w := range words {
		typeName = append(typeName, string(w.word))
	}
	return &valueType[T]{
		name:       strings.Join(typeName, "|"),
		optionName: strings.Join(enumNames, "|"),
		parse: func(v string) (T, error) {
			for _, w := range words {
				if string(w.word) == v {
					return w.word, nil
				}
			}
			return "", fmt.Errorf("must be %s", orList(quoted))
		},
		// A number with no word reads as "" (optionCheck reports it).
		fromOption: func(v protoreflect.Value) T { w, _ := byNumber(v.Enum()); return w },
		text:       func(w T) string { return string(w) },
		optionText: func(w T) string {
			for _, x := range words {
				if x.word == w {
					return string(ed.Values().ByNumber(x.enum).Name())
				}
			}
			return string(w)
		},
		optionCheck: func(v protoreflect.Value) string {
			if _, ok := byNumber(v.Enum()); !ok {
				return "must be " + orList(enumNames)
			}
			return ""
		},
	}
}

// orList joins "a", "b" and "c" as "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Timings of a probe, indexed as HealthOptions' ProbeTiming fields.
const (
	tInitialDelay = iota
	tPeriod
	tTimeout
	tSuccess
	tFailure
	numTimings
)

// timing is the non-handler part of a probe.
type timing struct {
	InitialDelay, Period, Timeout, Success, Failure int32
}

// timingRows declares the five timing options of one probe kind with their
// defaults.
func timingRows(k probeKind, def timing) [numTimings]*setting[int32] {
	names := [numTimings]string{"initial_delay_seconds", "period_seconds", "timeout_seconds", "success_threshold", "failure_threshold"}
	defs := [numTimings]int32{def.InitialDelay, def.Period, def.Timeout, def.Success, def.Failure}
	rules := [numTimings]func(int32) string{atLeast(0), atLeast(1), atLeast(1), atLeast(1), atLeast(1)}
	helps := [numTimings]string{"seconds before the first probe", "seconds between probes", "seconds a probe may take",
		"successes in a row that make the probe pass", "failures in a row that make the probe fail"}
	if k != readiness {
		rules[tSuccess] = func(n int32) string {
			if n != 1 {
				return "must be 1 on a " + k.String() + " probe (Kubernetes rejects any other value)"
			}
			return ""
		}
	}
	var rows [numTimings]*setting[int32]
	for i := range numTimings {
		s := &setting[int32]{
			name: k.String() + "." + names[i], typ: int32Type, def: defs[i], scopes: inOptions,
			help: "the " + k.String() + " probe's " + helps[i], rule: rules[i],
		}
		if k == startup && i == tFailure {
			s.unset = "from startup_seconds"
		}
		rows[i] = add(s)
	}
	return rows
}

// probeNameRows declares startup_service, liveness_service and
// readiness_service: any printable string up to the runtime's limit, ""
// included; unset, the naming mode's name.
func probeNameRows() [numProbeKinds]*setting[string] {
	var rows [numProbeKinds]*setting[string]
	for _, k := range []probeKind{startup, liveness, readiness} {
		rows[k] = add(&setting[string]{
			name: k.kind().NameSetting(), typ: stringType, unset: "the names= mode's", scopes: everywhere,
			help: "the health name the " + k.String() + " probe asks, overriding names= for it", rule: probeNameRule,
		})
	}
	return rows
}

// probeNameRule: the probe sends the name as written, and the runtime
// answers no name over its limit.
func probeNameRule(s string) string {
	switch {
	case !printable(s):
		return "must be printable: the probe sends the health name as written"
	case len(s) > contract.MaxNameLength:
		return fmt.Sprintf("is %d bytes, longer than the runtime's limit on a health name (%d)", len(s), contract.MaxNameLength)
	}
	return ""
}

// Value checks shared by rows.

func between(lo, hi int32) func(int32) string {
	return func(n int32) string {
		if n < lo || n > hi {
			return fmt.Sprintf("must be between %d and %d", lo, hi)
		}
		return ""
	}
}

func atLeast(lo int32) func(int32) string {
	return func(n int32) string {
		if n < lo {
			return fmt.Sprintf("must be at least %d", lo)
		}
		return ""
	}
}

// probeBinRule: the exec probe runs the path without a shell and the
// scaffold's Dockerfile COPYs to it.
func probeBinRule(s string) string {
	switch {
	case s == "" || strings.ContainsAny(s, " \t\n"):
		return "must be a path without spaces, such as " + defaultProbeBin
	case !cleanAbsPath(s):
		// A relative path would be looked up on $PATH, and '$', a
		// backslash or a trailing '/' mean something to COPY.
		return "must be an absolute file path of letters, digits, '.', '_', '-' and '/', such as " + defaultProbeBin
	case !contract.IsProbeProgram(s):
		// verify-probes, and anything else that reads manifests, knows
		// an exec health probe by its program's name.
		return "must name the program grpc_health_probe or grpc-health-probe (a name starting with either), such as " + defaultProbeBin
	}
	return ""
}

// printableWord returns a rule refusing, with msg, a value with a space or
// an unprintable character: such values go into YAML, a probe's command, a
// compose healthcheck or a Dockerfile comment.
func printableWord(msg string) func(string) string {
	return func(s string) string {
		if !printable(s) || strings.Contains(s, " ") {
			return msg
		}
		return ""
	}
}

// cleanAbsPath reports whether s is an absolute, clean path of a file made of
// characters that neither YAML, a Dockerfile nor a shell reads specially.
func cleanAbsPath(s string) bool {
	if !path.IsAbs(s) || path.Clean(s) != s || s == "/" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return false
		}
	}
	return true
}

// dns1035Label returns why s is not a DNS-1035 label (the rule for Service
// names), or "".
func dns1035Label(s string) string {
	if msg := dns1123Label(s); msg != "" {
		return msg
	}
	if s[0] < 'a' || s[0] > 'z' {
		return "must start with a lowercase letter (a DNS-1035 label)"
	}
	return ""
}

// dns1123Label returns why s is not a DNS-1123 label (the rule for container
// names), or "".
func dns1123Label(s string) string {
	if s == "" || len(s) > 63 {
		return "must be 1 to 63 characters (a DNS label)"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "must hold only lowercase letters, digits and '-' (a DNS label)"
		}
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return "must start and end with a letter or digit (a DNS label)"
	}
	return ""
}

// parseK8sVersion reads "1.N" (a leading "v" and a patch are allowed).
func parseK8sVersion(v string) (int, bool) {
	parts := strings.Split(strings.TrimPrefix(v, "v"), ".")
	if len(parts) < 2 || len(parts) > 3 || parts[0] != "1" {
		return 0, false
	}
	for _, p := range parts[1:] {
		if _, err := strconv.ParseUint(p, 10, 16); err != nil {
			return 0, false
		}
	}
	minor, _ := strconv.Atoi(parts[1])
	return minor, true
}

// healthOptionsDesc describes HealthOptions, whose fields the options'
// rows name.
var healthOptionsDesc = (&optionsv1.HealthOptions{}).ProtoReflect().Descriptor()

// field is one (possibly nested) field of HealthOptions, such as
// readiness.period_seconds.
type field struct {
	path []protoreflect.FieldDescriptor
	name string // "readiness.period_seconds"
}

func mustField(name string) field {
	f := field{name: name}
	md := healthOptionsDesc
	for _, part := range strings.Split(name, ".") {
		fd := md.Fields().ByName(protoreflect.Name(part))
		if fd == nil {
			panic("gen: HealthOptions has no field " + name)
		}
		f.path = append(f.path, fd)
		md = fd.Message()
	}
	return f
}
