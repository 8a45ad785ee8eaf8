package gen

import (
	"slices"
	"strconv"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// emit=helm writes, per workload, a library chart (type: library) whose
// named templates are the container's ports and probes: a chart author adds
// the directory as a file:// dependency and includes them (docs/helm.md).
// A library chart rather than a _<workload>-health.tpl partial copied into
// the user's templates/: the generator owns the whole directory, so
// regenerating replaces it wholesale and never touches (or is mixed with)
// the user's own templates, and helm dependency build picks up each
// regeneration.

// HelmValuesKey is the one key of the including chart's values under which
// the probes' timings may be overridden (grpcHealth.livenessProbe.periodSeconds).
const HelmValuesKey = "grpcHealth"

// Directories of a workload's Helm output, under <workload>/.
const (
	helmLibraryDir  = "helm"  // the library chart
	helmScaffoldDir = "chart" // scaffold=true's application chart, which depends on ../helm
)

// helmTemplates prefixes a manifest's template that is in templates.Helm.
const helmTemplates = "helm/"

var (
	helmLibraryFiles = []manifest{
		{helmLibraryDir + "/Chart.yaml", helmTemplates + "library-Chart.yaml.tmpl"},
		{helmLibraryDir + "/templates/_health.tpl", helmTemplates + "library-health.tpl.tmpl"},
	}
	helmScaffoldFiles = []manifest{
		{helmScaffoldDir + "/Chart.yaml", helmTemplates + "scaffold-Chart.yaml.tmpl"},
		{helmScaffoldDir + "/values.yaml", helmTemplates + "scaffold-values.yaml.tmpl"},
		{helmScaffoldDir + "/templates/deployment.yaml", helmTemplates + "scaffold-deployment.yaml.tmpl"},
		{helmScaffoldDir + "/templates/service.yaml", helmTemplates + "scaffold-service.yaml.tmpl"},
	}
)

// helmFiles is emit=helm's workloadFiles. A scaffold's chart runs the image
// of the scaffold's Dockerfile, which emit=k8s's scaffold writes when it
// comes first (emitKinds order); otherwise this one does.
func helmFiles(w *Workload) []manifest {
	if w.Scaffold == nil {
		return helmLibraryFiles
	}
	files := slices.Concat(helmLibraryFiles, helmScaffoldFiles)
	if !slices.ContainsFunc(w.Files, func(f manifest) bool { return f.tmpl == dockerfileTemplate }) {
		files = append(files, manifest{"Dockerfile", dockerfileTemplate})
	}
	return files
}

// helmView is what the helm/*.tmpl templates see.
type helmView struct {
	k8sView
	Chart        string // the library chart's name, which prefixes its templates' names
	ChartVersion string
	ValuesKey    string
	Probes       []helmProbe
	// ExecMillisPerSecond is grpc_health_probe's connect (and RPC) timeout
	// per second of an overridden timeoutSeconds, by the contract's rule.
	ExecMillisPerSecond int64
}

// helmProbe is one probe of the library chart. An exec probe's argv is
// split around its two timeouts, which follow an overridden timeoutSeconds;
// when it reads the env (Shell), as the two halves of the sh -c script
// (contract.ProbeCommand), each a Go string literal for the Helm template.
type helmProbe struct {
	ProbeView
	Head, Tail             []string
	Shell                  bool
	ScriptHead, ScriptTail string
}

func newHelmView(v k8sView) *helmView {
	w := v.Workload
	hv := &helmView{
		k8sView:             v,
		Chart:               w.Name + "-health",
		ChartVersion:        strings.TrimPrefix(Version, "v"),
		ValuesKey:           HelmValuesKey,
		ExecMillisPerSecond: contract.ExecTimeout(1).Milliseconds(),
	}
	for _, p := range w.Probes() {
		hp := helmProbe{ProbeView: p}
		if p.Exec {
			hp.Head, hp.Tail = w.execArgs(p.Probe)
			if hp.Shell = contract.ReadsEnv(slices.Concat(hp.Head, hp.Tail)); hp.Shell {
				hp.ScriptHead = strconv.Quote("exec " + contract.ShellWords(hp.Head))
				hp.ScriptTail = strconv.Quote(contract.ShellWords(hp.Tail))
			}
		}
		hv.Probes = append(hv.Probes, hp)
	}
	return hv
}

// CommentSources lists the workload's .proto files for a Helm template
// comment, which "*/" would end.
func (v *helmView) CommentSources() string {
	return v.Comment(strings.Join(v.Workload.Sources, ", "))
}

// Comment makes s safe inside a Helm template comment.
func (*helmView) Comment(s string) string { return strings.ReplaceAll(s, "*/", "* /") }
