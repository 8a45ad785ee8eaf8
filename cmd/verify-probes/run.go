package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

const (
	name = "verify-probes"

	descriptorsFlagName = "descriptors"
	strictFlagName      = "strict"
	formatFlagName      = "format"
	versionFlagName     = "version"

	usageLine = "usage: verify-probes --descriptors FILE [--strict] [--format=text|json] PATH...\n"
)

// Exit codes.
const (
	exitOK       = 0 // every probe is right; warnings alone, without --strict
	exitFindings = 1 // a probe is wrong
	exitUsage    = 2 // a usage error, or input that cannot be read
)

// version is set at link time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module version in the build info.
var version = ""

type options struct {
	descriptors []string
	strict      bool
	format      string
	version     bool
	paths       []string
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
	flags.BoolVar(&o.version, versionFlagName, false, "print the version and exit")
	return flags
}

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
	switch {
	case len(o.descriptors) == 0:
		return nil, fmt.Errorf("--%s is required", descriptorsFlagName)
	case o.format != "text" && o.format != "json":
		return nil, fmt.Errorf("--%s must be text or json, not %q", formatFlagName, o.format)
	case len(o.paths) == 0:
		return nil, errors.New("no manifests: give files, directories, or - for standard input")
	}
	return o, nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, usageLine)
	fmt.Fprint(w, `
Checks every liveness, readiness and startup probe of the workloads in the
Kubernetes YAML at PATH (a file, a directory searched for *.yaml and *.yml, or
- for standard input) against the gRPC services of the descriptor set.

  buf build -o image.binpb
  helm template ./chart | verify-probes --descriptors image.binpb -

Exit status: 0 when every probe is right, 1 when one is wrong (or, with
--strict, risky), 2 on a usage error or unreadable input.

Flags:
`)
	var o options
	flags := newFlagSet(&o)
	flags.SetOutput(w)
	flags.PrintDefaults()
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
		fmt.Fprintf(stderr, "%s: %v\n", name, plainError(err))
		return exitUsage
	}

	cat, err := loadCatalog(o.descriptors)
	if err != nil {
		return fail(err)
	}
	sources, err := expand(o.paths)
	if err != nil {
		return fail(err)
	}
	var sites []site
	var inputErrs []error
	for _, src := range sources {
		var data []byte
		if src.path == "" {
			data, err = io.ReadAll(stdin)
		} else {
			data, err = os.ReadFile(src.path)
		}
		if err != nil {
			inputErrs = append(inputErrs, err)
			continue
		}
		s, err := parse(src.name, data)
		if err != nil {
			inputErrs = append(inputErrs, err)
		}
		sites = append(sites, s...)
	}
	if len(sites) == 0 && len(inputErrs) == 0 {
		// Say so: an empty pipe (a failed helm template) should not pass
		// unnoticed.
		fmt.Fprintf(stderr, "%s: no probes found in the manifests\n", name)
	}

	findings := check(sites, cat)
	if o.strict {
		for i := range findings {
			findings[i].Severity = proberules.Error
		}
	}
	sortFindings(findings)
	write := writeText
	if o.format == "json" {
		write = writeJSON
	}
	if err := write(stdout, findings); err != nil {
		return fail(err)
	}
	for _, err := range inputErrs {
		fmt.Fprintf(stderr, "%s: %v\n", name, plainError(err))
	}
	switch {
	case len(inputErrs) > 0:
		return exitUsage
	case slices.ContainsFunc(findings, func(f finding) bool { return f.Severity == proberules.Error }):
		return exitFindings
	}
	return exitOK
}
