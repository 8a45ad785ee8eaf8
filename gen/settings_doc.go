package gen

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// ParameterHelp is the parameter part of protoc-gen-health -h, printed from
// the settings table: every parameter, emit= kind and option with its
// default.
func ParameterHelp() string {
	var b strings.Builder
	b.WriteString("Parameters (--health_opt, or buf's opt), name=value, split on commas:\n")
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, r := range settings {
		if in := r.info(); in.scopes&inParam != 0 {
			fmt.Fprintf(tw, "  %s=%s\t%s; default %s\n", in.name, r.typeName(), in.help, defaultText(r))
		}
	}
	fmt.Fprintf(tw, "  paths=, module=, M<file>=\tas for protoc-gen-go (Go files only)\n")
	fmt.Fprintf(tw, "  %s<full.Name>.<field>=\tone service's %s\n", servicePrefix, strings.Join(settingNames(inServiceParam), ", "))
	tw.Flush()
	b.WriteString("\nemit= kinds (repeat emit= for several):\n")
	tw = tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, k := range emitKinds {
		fmt.Fprintf(tw, "  %s\t%s\n", k.name, k.help)
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nOptions only in the .proto, %s and %s:\n", fileOptionName, serviceOptionName)
	tw = tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	for _, r := range settings {
		if in := r.info(); in.scopes&inParam == 0 {
			fmt.Fprintf(tw, "  %s: %s\t%s; default %s\n", in.name, optionTypeName(r), in.help, defaultText(r))
		}
	}
	tw.Flush()
	b.WriteString("\nEvery setting, where it may be written and its precedence: docs/parameters.md\n")
	return b.String()
}

// ParameterReference is docs/parameters.md, printed from the settings table
// (TestParameterReference keeps the file equal to it).
func ParameterReference() string {
	var b strings.Builder
	b.WriteString(`# Parameters and options

<!-- Generated from the settings table (gen/settings.go) by
     go test ./gen -run TestParameterReference -update; DO NOT EDIT. -->

Every setting of protoc-gen-health, where it may be written, and its default.
A setting is written as a plugin parameter (` + "`--health_opt=name=value`" + ` or buf's
` + "`opt:`" + `), as a per-service parameter (` + "`service.<full.Name>.name=value`" + `),
in a file's ` + "`" + fileOptionName + "`" + ` option, or in a service's
` + "`" + serviceOptionName + "`" + ` option (` + "`proto/health/options/v1/options.proto`" + `).

**Precedence**, setting by setting: service option, then per-service
parameter, then file option, then plugin parameter, then the default. A
parameter is given once (only ` + "`emit=`" + ` repeats); a service option and a
per-service parameter that disagree are an error naming both.

`)
	b.WriteString("| setting | values | default | parameter | per-service | file option | service option | meaning |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, r := range settings {
		in := r.info()
		mark := func(sc scope) string {
			if in.scopes&sc != 0 {
				return "yes"
			}
			return ""
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", in.name, mdValues(r), mdCode(defaultText(r), r),
			mark(inParam), mark(inServiceParam), mark(inFileOption), mark(inServiceOption), in.help)
	}
	b.WriteString("\nprotogen's own `paths=`, `module=` and `M<file>=` work as for protoc-gen-go (Go files only).\n")
	b.WriteString("\n## Probe timings\n\nThe defaults of the timing options above, by probe " +
		"(`startup_seconds` sets the startup probe's failure threshold: ceil(startup_seconds / period)).\n\n| probe |")
	for _, t := range sTimings[0] {
		b.WriteString(" " + strings.TrimPrefix(t.name, liveness.String()+".") + " |")
	}
	b.WriteString("\n|---|---|---|---|---|---|\n")
	for k := range numProbeKinds {
		b.WriteString("| " + k.String() + " |")
		for _, t := range sTimings[k] {
			b.WriteString(" " + defaultText(t) + " |")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Outputs (`emit=`)\n\n| kind | writes |\n|---|---|\n")
	for _, k := range emitKinds {
		fmt.Fprintf(&b, "| `%s` | %s |\n", k.name, k.help)
	}
	return b.String()
}

// defaultText prints a setting's default as a parameter is written, or what
// happens when it is not set.
func defaultText(r row) string {
	if u := r.info().unset; u != "" {
		return u
	}
	return r.text(r.defaultValue())
}

// optionTypeName names an option's values as the .proto writes them.
func optionTypeName(r row) string {
	if o := r.optionValues(); o != "" {
		return o
	}
	return r.typeName()
}

func mdValues(r row) string {
	s := "`" + strings.ReplaceAll(r.typeName(), "|", "\\|") + "`"
	if o := r.optionValues(); o != "" {
		s += " (option: `" + strings.ReplaceAll(o, "|", "\\|") + "`)"
	}
	return s
}

// mdCode sets a default in code type, unless it is prose (unset: "one per
// service").
func mdCode(text string, r row) string {
	if r.info().unset != "" && r.info().unset == text {
		return text
	}
	return "`" + text + "`"
}
