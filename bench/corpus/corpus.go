// Package corpus writes the benchmark's proto tree: a large, deterministic
// and realistic set of .proto files for protoc-gen-health, protoc-gen-go-grpc
// and the floor plugin to run on.
//
// The tree looks like a big organisation's API repository:
//
//   - deep, versioned packages (acme.commerce.billing.invoices.v1,
//     v1beta1, v2, ...), one directory each, every file with go_package;
//   - short service names that repeat across packages and versions (Admin,
//     Search, Store, ...), up to three services a file;
//   - request and response messages, a shared types.proto in some packages,
//     unary and streaming rpcs, enums, maps, well-known types;
//   - leading, trailing and detached comments, deprecated files and
//     services, a few proto2 and editions 2023 files;
//   - our options on about half of the APIs: file-level workload, port,
//     health_port, probe, container and timings shared by every file of a
//     workload, service-level skip, timings and counts_toward_readiness.
//
// The options are valid (the plugin succeeds with emit=go,emit=k8s): the
// services of an explicitly named workload share one identical file option,
// service-level settings that workloads must agree on appear only on
// services whose workload is their own, a workload's first service always
// counts toward readiness and is never skipped, and explicit workload names
// never start with an organisation's name, which every default name does.
//
// The same seed always gives the same bytes.
package corpus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Seed is the corpus's fixed seed.
const Seed = 20260501

// Minimum sizes of the standard corpus: the generator keeps adding APIs
// until it reaches them (times the scale, for WriteScaled).
const (
	MinFiles    = 1600
	MinServices = 2200
)

// Stats describes a written corpus.
type Stats struct {
	APIs, Packages, Files, Services, Methods, Messages int
	Bytes                                              int64
	OptionFiles, SkippedServices, SharedWorkloads      int
}

func (s Stats) String() string {
	return fmt.Sprintf("%d files (%d packages, %d APIs), %d services, %d rpcs, %d messages, %d bytes of .proto; "+
		"%d files with options, %d skipped services, %d explicitly named workloads",
		s.Files, s.Packages, s.APIs, s.Services, s.Methods, s.Messages, s.Bytes,
		s.OptionFiles, s.SkippedServices, s.SharedWorkloads)
}

var (
	orgs    = []string{"acme", "globex", "initech", "umbrella"}
	domains = []string{"platform", "commerce", "identity", "data", "infra", "media", "support", "risk"}
	areas   = []string{"billing", "payments", "ledger", "catalog", "inventory", "orders", "shipping", "accounts",
		"auth", "sessions", "search", "analytics", "storage", "messaging", "notifications", "pricing", "tax",
		"fraud", "reports", "profiles", "teams", "quotas", "audit", "compute"}
	subs = []string{"invoices", "refunds", "disputes", "events", "jobs", "keys", "tokens", "exports", "imports",
		"indexes", "snapshots", "policies", "rules", "webhooks", "schedules", "limits", "reviews", "assets", "feeds"}
	versionSets = [][]string{{"v1"}, {"v1"}, {"v1", "v2"}, {"v1beta1", "v1"}, {"v1", "v1beta1", "v2"}, {"v1alpha1"}, {"v2"}, {"v1", "v2", "v3"}}
	// Short names that repeat across packages and versions. None is
	// grpc.health.v1.Health, and none has a digit, so a default workload
	// name splits back into package and service at the version.
	serviceNames = []string{"Admin", "Search", "Store", "Query", "Index", "Events", "Jobs", "Config", "Audit",
		"Sync", "Export", "Import", "Catalog", "Ledger", "Reports", "Billing", "Accounts", "Sessions", "Tokens",
		"Keys", "Quota", "Webhooks", "Scheduler", "Notifier", "Gateway", "Registry", "Watcher", "Policy"}
	nouns = []string{"Invoice", "Refund", "Dispute", "Event", "Job", "Key", "Token", "Item", "Record", "Policy",
		"Rule", "Webhook", "Schedule", "Limit", "Review", "Asset", "Feed", "Account", "Session", "Order",
		"Shipment", "Report", "Snapshot", "Member", "Team", "Quota", "Price", "Charge", "Payout", "Entry"}
	unaryVerbs = []string{"Get", "List", "Create", "Update", "Delete", "BatchGet", "Search", "Approve", "Cancel",
		"Retry", "Archive", "Restore", "Validate", "Preview", "Count"}
	scalars = []string{"string", "int64", "int32", "bool", "bytes", "double", "uint32", "uint64"}
	words   = strings.Fields(`the service keeps every record of its tenant consistent across regions and answers
		within the deadline the caller sets; requests are idempotent when they carry a request id, and a retry
		after a timeout never applies a change twice. Pagination follows the usual page token rules, results
		are ordered by creation time, and deleted entries stay visible to administrators for thirty days`)
)

// api is one (organisation, domain, area, sub-area) with its versions: the
// unit that shares a workload configuration.
type api struct {
	parts    []string // without the version
	versions []string
	mode     mode
	opt      string // the file option shared by every file of the API (modes sharedAPI, perVersion: per version)
	members  int    // services placed in the explicit workload so far
}

type mode int

const (
	plain      mode = iota // no options at all: one default workload per service
	sharedAPI              // every version in one explicitly named workload
	perVersion             // one explicitly named workload per version
	fileLevel              // file-level port/probe/...; each service its own workload, with service-level settings
	skipFile               // file skipped, one service un-skipping itself
)

type gen struct {
	r     *rand.Rand
	stats Stats
	files []string
	dir   string
}

// Write writes the standard corpus under dir (which should be empty) and
// returns the files' paths relative to dir, in a fixed order, with
// statistics.
func Write(dir string) ([]string, Stats, error) { return WriteScaled(dir, 1) }

// MaxScale bounds WriteScaled's scale: past it the generator would run out
// of distinct API names.
const MaxScale = 20

// WriteScaled writes a corpus scale times the standard one's minimum sizes
// (0 < scale <= MaxScale). The APIs come from the same sequence, so a
// smaller corpus is the first APIs of a larger one, and scale 1 is the
// standard corpus, byte for byte. Scale 5 is about the size of googleapis.
func WriteScaled(dir string, scale float64) ([]string, Stats, error) {
	if !(scale > 0 && scale <= MaxScale) {
		return nil, Stats{}, fmt.Errorf("corpus scale %v: want more than 0 and at most %d", scale, MaxScale)
	}
	minFiles, minServices := int(math.Ceil(MinFiles*scale)), int(math.Ceil(MinServices*scale))
	g := &gen{r: rand.New(rand.NewPCG(Seed, Seed^0x9e3779b97f4a7c15)), dir: dir}
	seen := map[string]bool{}
	for g.stats.Files < minFiles || g.stats.Services < minServices {
		a := &api{parts: []string{pick(g.r, orgs), pick(g.r, domains), pick(g.r, areas)}}
		if g.r.IntN(4) != 0 {
			a.parts = append(a.parts, pick(g.r, subs))
		}
		key := strings.Join(a.parts, ".")
		if seen[key] {
			continue
		}
		seen[key] = true
		a.versions = pick(g.r, versionSets)
		switch n := g.r.IntN(100); {
		case n < 40:
			a.mode = plain
		case n < 60:
			a.mode = sharedAPI
		case n < 72:
			a.mode = perVersion
		case n < 94:
			a.mode = fileLevel
		default:
			a.mode = skipFile
		}
		g.stats.APIs++
		if err := g.writeAPI(a); err != nil {
			return nil, g.stats, err
		}
	}
	return g.files, g.stats, nil
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func (g *gen) writeAPI(a *api) error {
	if a.mode == sharedAPI {
		a.opt = g.workloadOption(strings.Join(a.parts[1:], "-") + "-" + a.parts[0])
	}
	for _, v := range a.versions {
		if a.mode == perVersion {
			a.opt = g.workloadOption(strings.Join(a.parts[1:], "-") + "-" + v + "-" + a.parts[0])
			a.members = 0
		}
		if err := g.writePackage(a, v); err != nil {
			return err
		}
	}
	return nil
}

// workloadOption returns the file option of an explicitly named workload:
// every file of the workload carries exactly this text, so its services
// agree on every shared field. Explicit names start with a domain, default
// names with an organisation, so the two never meet.
func (g *gen) workloadOption(name string) string {
	g.stats.SharedWorkloads++
	port := 8000 + g.r.IntN(2000)
	var b strings.Builder
	fmt.Fprintf(&b, "option (health.options.v1.file) = {\n  workload: %q\n  port: %d\n", name, port)
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&b, "  health_port: %d\n", port+1)
	}
	if g.r.IntN(3) == 0 {
		b.WriteString("  probe: PROBE_STYLE_EXEC\n")
		if g.r.IntN(2) == 0 {
			b.WriteString("  probe_bin: \"/usr/local/bin/grpc_health_probe\"\n")
		}
	} else if g.r.IntN(4) == 0 {
		b.WriteString("  probe: PROBE_STYLE_GRPC\n")
	}
	if g.r.IntN(3) == 0 {
		b.WriteString("  container: \"api\"\n")
	}
	if g.r.IntN(2) == 0 {
		fmt.Fprintf(&b, "  readiness: { period_seconds: %d timeout_seconds: %d success_threshold: %d failure_threshold: %d }\n",
			2+g.r.IntN(8), 1+g.r.IntN(4), 1+g.r.IntN(2), 2+g.r.IntN(4))
	}
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&b, "  liveness: { initial_delay_seconds: %d period_seconds: %d }\n", g.r.IntN(10), 10+g.r.IntN(20))
	}
	if g.r.IntN(3) == 0 {
		fmt.Fprintf(&b, "  startup_seconds: %d\n", 30+g.r.IntN(150))
	} else if g.r.IntN(4) == 0 {
		fmt.Fprintf(&b, "  startup: { period_seconds: %d failure_threshold: %d }\n", 1+g.r.IntN(5), 10+g.r.IntN(40))
	}
	b.WriteString("};\n")
	return b.String()
}

// pkg is one versioned package being written.
type pkg struct {
	name     string // acme.commerce.billing.invoices.v1
	dir      string
	goPkg    string
	types    []string // message names of types.proto, if any
	enum     string   // enum of types.proto, if any
	used     map[string]bool
	services map[string]bool
}

func (g *gen) writePackage(a *api, version string) error {
	g.stats.Packages++
	parts := append(append([]string(nil), a.parts...), version)
	p := &pkg{
		name:     strings.Join(parts, "."),
		dir:      strings.Join(parts, "/"),
		used:     map[string]bool{},
		services: map[string]bool{},
	}
	p.goPkg = fmt.Sprintf("bench.invalid/apis/%s;%s%s", p.dir, parts[len(parts)-2], version)
	if g.r.IntN(5) < 2 {
		if err := g.writeTypes(p); err != nil {
			return err
		}
	}
	nfiles := 1 + g.r.IntN(3)
	if g.r.IntN(10) == 0 {
		// A package split into many small files, one service each.
		nfiles = 4 + g.r.IntN(4)
	}
	for i := 0; i < nfiles; i++ {
		nsvc := 1
		if nfiles < 4 {
			switch n := g.r.IntN(100); {
			case n < 20:
				nsvc = 2
			case n < 28:
				nsvc = 3
			}
		}
		if err := g.writeServiceFile(a, p, nsvc); err != nil {
			return err
		}
	}
	return nil
}

// syntax picks a file's syntax line: mostly proto3, a few proto2 and
// editions 2023 files.
func (g *gen) syntax() string {
	switch n := g.r.IntN(100); {
	case n < 3:
		return "syntax = \"proto2\";"
	case n < 6:
		return "edition = \"2023\";"
	}
	return "syntax = \"proto3\";"
}

func (g *gen) header(b *strings.Builder, syntax string, p *pkg, imports []string) {
	if g.r.IntN(2) == 0 {
		b.WriteString("// Copyright 2026 The Bench Authors. All rights reserved.\n// Use of this source code is governed by the LICENSE file.\n\n")
	}
	b.WriteString(syntax + "\n\n")
	g.comment(b, "", 0, 2)
	fmt.Fprintf(b, "package %s;\n\n", p.name)
	for _, imp := range imports {
		fmt.Fprintf(b, "import %q;\n", imp)
	}
	if len(imports) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "option go_package = %q;\n", p.goPkg)
	if g.r.IntN(4) == 0 {
		fmt.Fprintf(b, "option java_package = \"com.%s\";\noption java_multiple_files = true;\n", p.name)
	}
}

// comment writes a leading comment of between lo and hi lines (0: maybe none).
func (g *gen) comment(b *strings.Builder, indent string, lo, hi int) {
	n := lo + g.r.IntN(hi-lo+1)
	for i := 0; i < n; i++ {
		start := g.r.IntN(len(words) - 12)
		line := strings.Join(words[start:start+4+g.r.IntN(9)], " ")
		if i == 0 {
			line = strings.ToUpper(line[:1]) + line[1:]
		}
		fmt.Fprintf(b, "%s// %s\n", indent, line)
	}
}

func (g *gen) writeTypes(p *pkg) error {
	var b strings.Builder
	// Never proto2: a proto3 file cannot use a proto2 (closed) enum.
	syntax := "syntax = \"proto3\";"
	if g.r.IntN(10) == 0 {
		syntax = "edition = \"2023\";"
	}
	g.header(&b, syntax, p, []string{"google/protobuf/timestamp.proto"})
	b.WriteString("\n")
	p.enum = "State"
	g.comment(&b, "", 1, 2)
	b.WriteString("enum State {\n  STATE_UNSPECIFIED = 0;\n  STATE_ACTIVE = 1;\n  STATE_SUSPENDED = 2;\n  STATE_DELETED = 3;\n}\n")
	n := 2 + g.r.IntN(4)
	for i := 0; i < n; i++ {
		name := pick(g.r, nouns)
		if p.used[name] {
			continue
		}
		p.used[name] = true
		b.WriteString("\n")
		g.comment(&b, "", 1, 3)
		fmt.Fprintf(&b, "message %s {\n", name)
		fmt.Fprintf(&b, "  // The resource name, such as \"%ss/123\".\n", strings.ToLower(name))
		fmt.Fprintf(&b, "  %s name = 1;\n", label(syntax, "string"))
		fmt.Fprintf(&b, "  %s state = 2;\n", label(syntax, "State"))
		fmt.Fprintf(&b, "  %s create_time = 3;\n", label(syntax, "google.protobuf.Timestamp"))
		g.fields(&b, syntax, p, 4, 2+g.r.IntN(6))
		b.WriteString("}\n")
		p.types = append(p.types, name)
		g.stats.Messages++
	}
	return g.write(p.dir+"/types.proto", b.String())
}

// label prefixes a singular field's type as its syntax requires.
func label(syntax, typ string) string {
	if strings.Contains(syntax, "proto2") {
		return "optional " + typ
	}
	return typ
}

// fields writes n fields numbered from num.
func (g *gen) fields(b *strings.Builder, syntax string, p *pkg, num, n int) {
	for i := 0; i < n; i++ {
		fname := fmt.Sprintf("%s_%d", strings.ToLower(pick(g.r, nouns)), num)
		if g.r.IntN(3) == 0 {
			g.comment(b, "  ", 1, 1)
		}
		switch k := g.r.IntN(10); {
		case k < 5:
			fmt.Fprintf(b, "  %s %s = %d;", label(syntax, pick(g.r, scalars)), fname, num)
		case k < 6:
			fmt.Fprintf(b, "  repeated %s %s = %d;", pick(g.r, scalars), fname, num)
		case k < 7:
			fmt.Fprintf(b, "  map<string, %s> %s = %d;", pick(g.r, scalars), fname, num)
		case k < 9 && len(p.types) > 0:
			fmt.Fprintf(b, "  repeated %s %s = %d;", pick(g.r, p.types), fname, num)
		case p.enum != "":
			fmt.Fprintf(b, "  %s %s = %d;", label(syntax, p.enum), fname, num)
		default:
			fmt.Fprintf(b, "  %s %s = %d;", label(syntax, "string"), fname, num)
		}
		if g.r.IntN(8) == 0 {
			b.WriteString(" // Trailing: not copied.")
		}
		b.WriteString("\n")
		num++
	}
}

// svcPlan is one service of a file: its name and its service option.
type svcPlan struct {
	name, opt  string
	deprecated bool
}

func (g *gen) writeServiceFile(a *api, p *pkg, nsvc int) error {
	var plans []svcPlan
	for len(plans) < nsvc {
		name := pick(g.r, serviceNames)
		if g.r.IntN(5) == 0 {
			name += "Service"
		}
		if p.used[name] {
			if len(p.services) >= len(serviceNames) {
				break
			}
			continue
		}
		p.used[name] = true // services and messages share the package's scope
		p.services[name] = true
		plans = append(plans, svcPlan{name: name, deprecated: g.r.IntN(25) == 0})
	}
	if len(plans) == 0 {
		return nil
	}
	fileOpt := ""
	switch a.mode {
	case sharedAPI, perVersion:
		fileOpt = a.opt
		for i := range plans {
			// The workload's first service counts and is served; later ones
			// may be skipped or not count.
			if a.members > 0 {
				switch n := g.r.IntN(10); {
				case n < 3:
					plans[i].opt = "counts_toward_readiness: false"
				case n < 4:
					plans[i].opt = "skip: true"
					g.stats.SkippedServices++
				}
			}
			if plans[i].opt != "skip: true" {
				a.members++
			}
		}
		if allSkipped(plans) {
			// The file's option must reach a service: the plugin rejects
			// options that would do nothing.
			plans[0].opt = ""
			g.stats.SkippedServices--
			a.members++
		}
	case fileLevel:
		fileOpt = g.fileLevelOption()
		for i := range plans {
			plans[i].opt = g.ownWorkloadOption()
			if plans[i].opt == "skip: true" {
				g.stats.SkippedServices++
			}
		}
		if allSkipped(plans) {
			plans[0].opt = "" // as above
			g.stats.SkippedServices--
		}
	case skipFile:
		fileOpt = "option (health.options.v1.file) = { skip: true };\n"
		g.stats.SkippedServices += len(plans) - 1
		plans[0].opt = "skip: false"
	case plain:
		if g.r.IntN(12) == 0 {
			plans[len(plans)-1].opt = "skip: true"
			g.stats.SkippedServices++
		}
	}

	var imports []string
	if p.types != nil {
		imports = append(imports, p.dir+"/types.proto")
	}
	wellKnown := g.r.IntN(3) == 0
	if wellKnown {
		imports = append(imports, "google/protobuf/empty.proto", "google/protobuf/field_mask.proto")
	}
	hasOpts := fileOpt != ""
	for _, s := range plans {
		hasOpts = hasOpts || s.opt != ""
	}
	if hasOpts {
		imports = append(imports, "health/options/v1/options.proto")
		g.stats.OptionFiles++
	}

	var b strings.Builder
	syntax := g.syntax()
	g.header(&b, syntax, p, imports)
	if g.r.IntN(40) == 0 {
		b.WriteString("option deprecated = true;\n")
	}
	if fileOpt != "" {
		b.WriteString("\n")
		g.comment(&b, "", 0, 1)
		b.WriteString(fileOpt)
	}
	var messages strings.Builder
	for _, s := range plans {
		b.WriteString("\n")
		if g.r.IntN(10) == 0 {
			b.WriteString("// A detached comment: protoc keeps it apart from the service's own.\n\n")
		}
		g.comment(&b, "", 0, 4)
		fmt.Fprintf(&b, "service %s {\n", s.name)
		if s.deprecated {
			b.WriteString("  option deprecated = true;\n")
		}
		if s.opt != "" {
			fmt.Fprintf(&b, "  option (health.options.v1.service) = { %s };\n", s.opt)
		}
		g.stats.Services++
		nrpc := 1 + g.r.IntN(7)
		if g.r.IntN(30) == 0 {
			nrpc = 0
		}
		for i := 0; i < nrpc; i++ {
			g.rpc(&b, &messages, syntax, p, wellKnown)
		}
		b.WriteString("}\n")
	}
	b.WriteString(messages.String())
	name := strings.ToLower(plans[0].name[:1]) + plans[0].name[1:]
	name = strings.ReplaceAll(name, "Service", "_service")
	return g.write(p.dir+"/"+name+".proto", b.String())
}

// fileLevelOption is a file option whose services each get their own
// default workload: shared fields are free to differ between files.
func (g *gen) fileLevelOption() string {
	var fields []string
	port := 7000 + g.r.IntN(3000)
	fields = append(fields, fmt.Sprintf("port: %d", port))
	if g.r.IntN(3) == 0 {
		fields = append(fields, "probe: PROBE_STYLE_EXEC")
	}
	if g.r.IntN(4) == 0 {
		fields = append(fields, fmt.Sprintf("health_port: %d", port+100))
	}
	if g.r.IntN(4) == 0 {
		fields = append(fields, fmt.Sprintf("liveness: { timeout_seconds: %d failure_threshold: %d }", 1+g.r.IntN(5), 2+g.r.IntN(5)))
	}
	return "option (health.options.v1.file) = { " + strings.Join(fields, " ") + " };\n"
}

// allSkipped reports whether every planned service of a file is skipped.
func allSkipped(plans []svcPlan) bool {
	for _, p := range plans {
		if p.opt != "skip: true" {
			return false
		}
	}
	return true
}

// ownWorkloadOption is the service option of a service whose workload is its
// own (fileLevel mode): any shared field may be set.
func (g *gen) ownWorkloadOption() string {
	switch g.r.IntN(8) {
	case 0:
		return fmt.Sprintf("readiness: { period_seconds: %d failure_threshold: %d }", 1+g.r.IntN(10), 1+g.r.IntN(5))
	case 1:
		return fmt.Sprintf("startup_seconds: %d", 10+g.r.IntN(300))
	case 2:
		return "container: \"grpc\" probe: PROBE_STYLE_GRPC"
	case 3:
		return fmt.Sprintf("liveness: { initial_delay_seconds: %d period_seconds: %d success_threshold: 1 }", g.r.IntN(30), 5+g.r.IntN(30))
	case 4:
		return "skip: true"
	}
	return ""
}

// rpc writes one method into b and its request and response into messages.
func (g *gen) rpc(b, messages *strings.Builder, syntax string, p *pkg, wellKnown bool) {
	var name, in, out string
	kind := g.r.IntN(100)
	for {
		noun := pick(g.r, nouns)
		switch {
		case kind < 80:
			name = pick(g.r, unaryVerbs) + noun
		case kind < 88:
			name = "Watch" + noun + "s"
		case kind < 94:
			name = "Upload" + noun + "s"
		default:
			name = "Sync" + noun + "s"
		}
		if !p.used[name] {
			break
		}
	}
	p.used[name] = true
	in, out = name+"Request", name+"Response"
	g.comment(b, "  ", 0, 2)
	switch {
	case kind < 80 && wellKnown && g.r.IntN(4) == 0:
		fmt.Fprintf(b, "  rpc %s(%s) returns (google.protobuf.Empty);\n", name, in)
		out = ""
	case kind < 80:
		fmt.Fprintf(b, "  rpc %s(%s) returns (%s);\n", name, in, out)
	case kind < 88:
		fmt.Fprintf(b, "  rpc %s(%s) returns (stream %s);\n", name, in, out)
	case kind < 94:
		fmt.Fprintf(b, "  rpc %s(stream %s) returns (%s);\n", name, in, out)
	default:
		fmt.Fprintf(b, "  rpc %s(stream %s) returns (stream %s) {\n    option deprecated = false;\n  }\n", name, in, out)
	}
	g.stats.Methods++
	for _, m := range []string{in, out} {
		if m == "" {
			continue
		}
		messages.WriteString("\n")
		g.comment(messages, "", 1, 2)
		fmt.Fprintf(messages, "message %s {\n", m)
		g.fields(messages, syntax, p, 1, 1+g.r.IntN(6))
		if wellKnown && strings.HasSuffix(m, "Request") && g.r.IntN(3) == 0 {
			fmt.Fprintf(messages, "  %s update_mask = 100;\n", label(syntax, "google.protobuf.FieldMask"))
		}
		messages.WriteString("}\n")
		g.stats.Messages++
	}
}

func (g *gen) write(rel, content string) error {
	p := filepath.Join(g.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		return err
	}
	g.files = append(g.files, rel)
	g.stats.Files++
	g.stats.Bytes += int64(len(content))
	return nil
}
