package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart"
	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
	"github.com/protoc-gen-health/protoc-gen-health/internal/verify"
)

const (
	name = "verify-probes"

	descriptorsFlagName   = "descriptors"
	strictFlagName        = "strict"
	formatFlagName        = "format"
	namesFlagName         = "names"
	nameFlagName          = "name"
	namesFileFlagName     = "names-file"
	requireProbesFlagName = "require-probes"
	expectFlagName        = "expect"
	serverFlagName        = "server"
	serverTimeoutFlagName = "server-timeout"
	versionFlagName       = "version"
	chartFlagName         = "chart"
	valuesFlagName        = "values"
	setFlagName           = "set"

	usageLine = "usage: verify-probes --descriptors FILE [--names=healthreg|services|overall] [--name NAME]... [--names-file FILE] [--require-probes] [--expect DIR]... [--server ADDR [-tls ...]] [--strict] [--format=text|json] [--chart DIR [--values FILE]... [--set K=V]...] [PATH...]\n"
)

// Exit codes.
const (
	exitOK       = 0 // every probe is right; warnings alone, without --strict
	exitFindings = 1 // a probe is wrong
	exitUsage    = 2 // a usage error, input that cannot be read, or no probes with --require-probes
)

// version is set at link time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module version in the build info.
var version = ""

type options struct {
	descriptors   []string
	strict        bool
	format        string
	names         string
	allowed       []string // --name
	namesFiles    []string
	requireProbes bool
	expect        []string
	server        verify.Server
	version       bool
	chart         string
	chartOptions  helmchart.Options
	paths         []string
}

// stringsFlag is a flag that may be given more than once.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

func newFlagSet(o *options) *flag.FlagSet {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Var((*stringsFlag)(&o.descriptors), descriptorsFlagName, "a descriptor set: `FILE` from buf build -o FILE.binpb, or protoc --include_imports --descriptor_set_out=FILE (may be repeated)")
	flags.BoolVar(&o.strict, strictFlagName, false, "treat warnings as errors")
	flags.StringVar(&o.format, formatFlagName, "text", "output `format`: text (file:line: severity: kind/name container probe: message) or json")
	flags.StringVar(&o.names, namesFlagName, string(contract.NamesHealthreg), "the server's naming `mode`: healthreg (liveness, readiness, \"\" and each service), services (\"\" and each service: grpc-go's health.Server, grpc-java, Python), or overall (\"\" only)")
	flags.Var((*stringsFlag)(&o.allowed), nameFlagName, "a health `NAME` the server registers besides its mode's (may be repeated)")
	flags.Var((*stringsFlag)(&o.namesFiles), namesFileFlagName, "a `FILE` of such names, one a line, and of the names probes ask (liveness_service=NAME; workload.W.liveness_service=NAME for workload W; startup_ and readiness_ alike); blank lines and lines starting with # are ignored (may be repeated)")
	flags.BoolVar(&o.requireProbes, requireProbesFlagName, false, "exit 2 when the manifests hold no probe (an empty or failed helm template in a pipe)")
	flags.Var((*stringsFlag)(&o.expect), expectFlagName, "the plugin's Kubernetes output, a `DIR` (or file): every workload in it must be in the manifests, in each of its namespaces, with exactly its probes (may be repeated)")
	flags.StringVar(&o.server.Addr, serverFlagName, "", "a running server's `ADDR` (host:port): ask it (List, else Check per name) for every health name the manifests ask, report each status, and an error for each name it does not register")
	flags.DurationVar(&o.server.Timeout, serverTimeoutFlagName, 10*time.Second, "bounds the whole conversation with --server: the dial and every call")
	flags.BoolVar(&o.server.TLS, "tls", false, "--server serves TLS")
	flags.StringVar(&o.server.CACert, "tls-ca-cert", "", "with -tls, a PEM `FILE` of the CA to trust instead of the system's")
	flags.StringVar(&o.server.ServerName, "tls-server-name", "", "with -tls, the `NAME` the server's certificate must hold")
	flags.BoolVar(&o.server.NoVerify, "tls-no-verify", false, "with -tls, do not verify the server's certificate")
	flags.BoolVar(&o.version, versionFlagName, false, "print the version and exit")
	flags.StringVar(&o.chart, chartFlagName, "", "a Helm chart `DIR` to render as helm template does (with Helm's own engine, the dependencies in its charts/) and check")
	flags.Var((*stringsFlag)(&o.chartOptions.ValueFiles), valuesFlagName, "a values `FILE` for --chart, as helm template -f (may be repeated)")
	flags.Var((*stringsFlag)(&o.chartOptions.Set), setFlagName, "a value for --chart, as helm template --set `K=V` (may be repeated)")
	return flags
}

// serverOnlyFlags are the flags only --server reads: without it they would
// do nothing, so giving one is a usage error.
var serverOnlyFlags = []string{serverTimeoutFlagName, "tls", "tls-ca-cert", "tls-server-name", "tls-no-verify"}

// parseArgs reads flags and paths; flags may follow paths.
func parseArgs(args []string) (*options, error) {
	o := &options{}
	flags := newFlagSet(o)
	for {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		rest := flags.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			o.paths = append(o.paths, rest...) // everything after "--" is a path
			break
		}
		o.paths = append(o.paths, rest[0])
		args = rest[1:]
	}
	if o.version {
		return o, nil
	}
	_, namesErr := contract.ParseNamesMode(o.names)
	var serverOnly []string // flags given that only --server reads
	flags.Visit(func(f *flag.Flag) {
		if slices.Contains(serverOnlyFlags, f.Name) {
			serverOnly = append(serverOnly, "-"+f.Name)
		}
	})
	switch {
	case len(o.descriptors) == 0:
		return nil, fmt.Errorf("--%s is required", descriptorsFlagName)
	case o.format != "text" && o.format != "json":
		return nil, fmt.Errorf("--%s must be text or json, not %q", formatFlagName, o.format)
	case namesErr != nil:
		return nil, fmt.Errorf("--%s: %v", namesFlagName, namesErr)
	case len(o.paths) == 0 && o.chart == "":
		return nil, errors.New("no manifests: give files, directories, - for standard input, or --chart DIR")
	case o.chart == "" && len(o.chartOptions.ValueFiles)+len(o.chartOptions.Set) > 0:
		return nil, fmt.Errorf("--%s and --%s need --%s", valuesFlagName, setFlagName, chartFlagName)
	case o.server.Addr == "" && len(serverOnly) > 0:
		return nil, fmt.Errorf("%s: only used with --%s (the running server to ask)", strings.Join(serverOnly, ", "), serverFlagName)
	case o.server.Timeout <= 0:
		return nil, fmt.Errorf("--%s must be positive", serverTimeoutFlagName)
	}
	return o, nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, usageLine)
	fmt.Fprint(w, `
Checks every liveness, readiness and startup probe of the workloads in the
Kubernetes YAML at PATH (a file, a directory searched for regular *.yaml and
*.yml files, or - for standard input) against the gRPC services of the
descriptor set. Workloads are the built-in kinds and any object with
spec.template.spec.containers (an Argo Rollout, a Knative Service). The
health names of GKE HealthCheckPolicies, Envoy Gateway BackendTrafficPolicies
and docker compose healthchecks that run grpc_health_probe are checked too.

  buf build -o image.binpb
  verify-probes --descriptors image.binpb --chart ./chart --values prod.yaml
  helm template ./chart | verify-probes --descriptors image.binpb --require-probes -

--chart renders the chart in-process, as helm template does, and reports
each finding at the rendered template (mychart/templates/x.yaml, as helm
template's "# Source:" names it) and its line in that template's output.

With --server ADDR, the running server is asked for every health name the
manifests ask; each name it does not register is an error.

With --expect DIR (the plugin's Kubernetes output), every workload in DIR
must be in the manifests, in each of its namespaces, with exactly the
generated probes (docs/verify-probes.md).

Exit status: 0 when every probe is right, 1 when one is wrong (or, with
--strict, risky), 2 on a usage error, unreadable input, or (with
--require-probes) no probes.

Flags:
`)
	var o options
	flags := newFlagSet(&o)
	flags.SetOutput(w)
	flags.PrintDefaults()
}

// declaredNames reads --names, --name and --names-file.
func declaredNames(o *options) (verify.Options, error) {
	vo := verify.Options{Names: contract.NamesMode(o.names), Allowed: map[string]bool{}}
	for _, n := range o.allowed {
		vo.Allowed[n] = true
	}
	for _, path := range o.namesFiles {
		data, err := manifest.Read(manifest.Source{Name: path, Path: path}, nil)
		if err != nil {
			return vo, err
		}
		if err := verify.ParseNamesFile(path, data, &vo); err != nil {
			return vo, err
		}
	}
	return vo, nil
}

// readExpected reads the probes of the plugin's output under --expect's
// paths; none at all is a usage error, since nothing would be checked.
func readExpected(paths []string) ([]manifest.Site, error) {
	sources, _, err := manifest.Expand(paths)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", expectFlagName, err)
	}
	var sites []manifest.Site
	for _, src := range sources {
		if src.Path == "" {
			return nil, fmt.Errorf("--%s: give the plugin's output directory, not standard input", expectFlagName)
		}
		data, err := manifest.Read(src, nil)
		if err != nil {
			return nil, err
		}
		s, _, err := manifest.ParseAll(src.Name, data)
		if err != nil {
			return nil, err
		}
		sites = append(sites, s...)
	}
	if len(sites) == 0 {
		return nil, fmt.Errorf("--%s %s: no workload probes: give the directory the plugin writes its Kubernetes output to (emit=k8s; out: of buf.gen.yaml, or --health_out)", expectFlagName, strings.Join(paths, " "))
	}
	return sites, nil
}

// plainError words a file system error as "path: problem", without the
// operation ("open", "stat") that Go adds.
func plainError(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// run is the whole command, with its standard streams; it returns the exit
// code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\n%s", name, err, usageLine)
		return exitUsage
	case o.version:
		fmt.Fprintf(stdout, "%s %s\n", name, versionString())
		return exitOK
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(plainError(err).Error()))
		return exitUsage
	}

	cat, err := verify.LoadCatalog(o.descriptors)
	if err != nil {
		return fail(err)
	}
	vo, err := declaredNames(o)
	if err != nil {
		return fail(err)
	}
	var sources []manifest.Source
	var skipped []string
	if len(o.paths) > 0 {
		if sources, skipped, err = manifest.Expand(o.paths); err != nil {
			return fail(err)
		}
	}
	var rendered []helmchart.Template
	if o.chart != "" {
		if rendered, err = helmchart.Render(o.chart, o.chartOptions); err != nil {
			return fail(err)
		}
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "%s: skipping %s\n", name, oneLine(s))
	}
	var expected []manifest.Site
	if len(o.expect) > 0 {
		if expected, err = readExpected(o.expect); err != nil {
			return fail(err)
		}
	}
	// One file at a time: its YAML and probes are garbage once checked, so
	// memory does not grow with the number of files (--expect and --server
	// keep the probes, not the YAML, to compare or ask them at the end).
	checker := verify.NewChecker(cat, vo)
	var findings []verify.Finding
	var built []manifest.Site              // with --expect or --server
	var builtWorkloads []manifest.Workload // with --expect
	var builtNames []manifest.NameSite     // with --server
	var inputErrs []error
	found := false
	check := func(name string, data []byte) {
		parsed, err := manifest.ParseFile(name, data)
		if err != nil {
			inputErrs = append(inputErrs, err)
		}
		sites, names := parsed.Sites, parsed.Names
		found = found || len(sites) > 0 || len(names) > 0
		findings = append(findings, checker.Check(sites)...)
		findings = append(findings, checker.CheckNames(names)...)
		if len(expected) > 0 || o.server.Addr != "" {
			built = append(built, sites...)
		}
		if len(expected) > 0 {
			builtWorkloads = append(builtWorkloads, parsed.Workloads...)
		}
		if o.server.Addr != "" {
			builtNames = append(builtNames, names...)
		}
	}
	for _, src := range sources {
		data, err := manifest.Read(src, stdin)
		if err != nil {
			inputErrs = append(inputErrs, err)
			continue
		}
		check(src.Name, data)
	}
	for _, t := range rendered {
		check(t.Name, []byte(t.Content))
	}
	noProbes := !found && len(inputErrs) == 0
	if noProbes {
		// Say so: an empty pipe (a failed helm template) should not pass
		// unnoticed.
		fmt.Fprintf(stderr, "%s: no probes found in the manifests\n", name)
	}

	if len(expected) > 0 {
		findings = append(findings, verify.Expect(expected, built, builtWorkloads)...)
	}
	if o.server.Addr != "" {
		asked := verify.AskedNames(built, builtNames)
		answer, err := verify.Ask(o.server, asked)
		if err != nil {
			return fail(err)
		}
		for _, n := range asked {
			state := "not registered"
			if st, ok := answer.Status[n]; ok {
				state = st.String()
			}
			fmt.Fprintf(stderr, "%s: server %s (%s): %s: %s\n", name, verify.Plain(o.server.Addr), answer.Method, oneLine(strconv.Quote(n)), state)
		}
		findings = append(findings, verify.CheckServer(built, builtNames, o.server.Addr, answer)...)
	}
	if o.strict {
		for i := range findings {
			findings[i].Severity = proberules.Error
		}
	}
	verify.Sort(findings)
	write := writeText
	if o.format == "json" {
		write = writeJSON
	}
	if err := write(stdout, findings); err != nil {
		return fail(err)
	}
	for _, err := range inputErrs {
		fmt.Fprintf(stderr, "%s: %s\n", name, oneLine(plainError(err).Error()))
	}
	switch {
	case len(inputErrs) > 0, noProbes && o.requireProbes:
		return exitUsage
	case slices.ContainsFunc(findings, func(f verify.Finding) bool { return f.Severity == proberules.Error }):
		return exitFindings
	}
	return exitOK
}
