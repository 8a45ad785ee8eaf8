package verify

import (
	"fmt"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// workloadPrefix starts a --names-file line that declares one workload's
// probe name: workload.<name>.<kind>_service=NAME.
const workloadPrefix = "workload."

// ParseNamesFile reads a --names-file into o. Each line, with surrounding
// spaces trimmed, is blank, a comment (starting with #), a health name the
// server registers besides its mode's (o.Allowed), or a declaration of the
// name a probe asks, with the generator's setting names:
//
//	startup_service=NAME                  every workload's startup probe asks NAME
//	workload.W.liveness_service=NAME      workload W's (any kind, any namespace)
//
// NAME is the rest of the line, "" when empty. A line is a declaration when
// the text before its first '=' holds only lowercase letters, digits, '_',
// '.' and '-'; an unknown key there, or a probe declared twice with two
// names, is an error naming file and line.
func ParseNamesFile(file string, data []byte, o *Options) error {
	if o.Allowed == nil {
		o.Allowed = map[string]bool{}
	}
	if o.Declared == nil {
		o.Declared = map[string]contract.DeclaredNames{}
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, name, ok := strings.Cut(line, "=")
		if !ok || !declarationKey(key) {
			o.Allowed[line] = true
			continue
		}
		workload, setting := "", key
		if rest, ok := strings.CutPrefix(key, workloadPrefix); ok {
			if j := strings.LastIndexByte(rest, '.'); j > 0 {
				workload, setting = rest[:j], rest[j+1:]
			}
		}
		kind, ok := settingKind(setting)
		if !ok || strings.HasPrefix(key, workloadPrefix) && workload == "" {
			return fmt.Errorf("%s:%d: %s is not a declaration: want startup_service=, liveness_service= or readiness_service=, "+
				"for one workload after workload.<name>. (a health name holds no '=')", file, i+1, Plain(key))
		}
		d := o.Declared[workload]
		if prev := d.For(kind); prev != nil && *prev != name {
			return fmt.Errorf("%s:%d: %s is declared twice, as %q and %q", file, i+1, Plain(key), *prev, name)
		}
		d.Set(kind, name)
		o.Declared[workload] = d
	}
	return nil
}

// declarationKey reports whether key reads as a declaration's key rather
// than part of a health name.
func declarationKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// settingKind returns the probe kind whose name setting is s.
func settingKind(s string) (contract.Kind, bool) {
	for _, k := range contract.Kinds {
		if k.NameSetting() == s {
			return k, true
		}
	}
	return "", false
}

// declared returns the names declared for a workload's probes: its own
// declarations over those for every workload.
func (o Options) declared(workload string) contract.DeclaredNames {
	return o.Declared[workload].Over(o.Declared[""])
}

// registers reports whether the server is declared to register name for
// workload: a --name, a bare line of a --names-file, or a name declared for
// one of the workload's probes.
func (o Options) registers(workload, name string) bool {
	if o.Allowed[name] {
		return true
	}
	d := o.declared(workload)
	for _, k := range contract.Kinds {
		if n := d.For(k); n != nil && *n == name {
			return true
		}
	}
	return false
}
