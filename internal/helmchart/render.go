// Package helmchart renders a Helm chart as helm template does, with Helm's
// own Go engine (helm.sh/helm/v4), so that verify-probes can check a chart
// on a machine without helm. Rendering runs a user's templates, which can
// loop or allocate without end, so Render runs it in a child process that
// a time and a memory bound stop (child.go).
package helmchart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	commonutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/loader/archive"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
)

// Bounds of one chart. A chart's files together are bounded like one
// manifest file (manifest.MaxFileSize), and so is its rendered output.
const (
	MaxFiles = 10_000 // files and directories of the chart, its charts/ included
	MaxBytes = manifest.MaxFileSize
)

// Release is what helm template names the release when given no name.
var Release = common.ReleaseOptions{Name: "release-name", Namespace: "default", Revision: 1, IsInstall: true}

// Options are helm template's values flags.
type Options struct {
	ValueFiles []string // --values, merged in order
	Set        []string // --set, applied after the files
}

// Template is one rendered template of the chart: its name as helm
// template's "# Source:" comment gives it (mychart/templates/x.yaml,
// mychart/charts/sub/templates/y.yaml) and its output.
type Template struct {
	Name    string
	Content string
}

// RenderInProcess renders the chart at dir in this process, unbounded in
// time and memory (Render bounds it, and tests of trusted charts call it
// directly): what helm
// template does without a cluster (client-only capabilities, release
// "release-name" in "default", hooks included), with the dependencies the
// chart's charts/ directory holds. Templates that render to nothing and
// NOTES.txt are left out; the rest come sorted by name.
func RenderInProcess(ctx context.Context, dir string, o Options) ([]Template, error) {
	if err := checkSize(dir); err != nil {
		return nil, err
	}
	archive.MaxDecompressedChartSize = MaxBytes // a .tgz in charts/, and the directory's files together
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, err
	}
	vals, err := values(o)
	if err != nil {
		return nil, err
	}
	if err := checkDependencies(ch); err != nil {
		return nil, err
	}
	if ch.Metadata.Type == "library" {
		return nil, errors.New("a library chart renders nothing: give the chart that depends on it")
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return nil, fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	caps := common.DefaultCapabilities.Copy()
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", ch.Metadata.KubeVersion, caps.KubeVersion.Version)
	}
	rv, err := commonutil.ToRenderValuesWithSchemaValidation(ch, vals, Release, caps, false)
	if err != nil {
		return nil, err
	}
	files, err := engine.Engine{}.RenderWithContext(ctx, ch, rv)
	if err != nil {
		return nil, err
	}
	var out []Template
	size := 0
	for name, content := range files {
		if path.Base(name) == "NOTES.txt" || strings.TrimSpace(content) == "" {
			continue
		}
		if size += len(content); size > MaxBytes {
			return nil, fmt.Errorf("the rendered chart is over %d MiB", MaxBytes>>20)
		}
		out = append(out, Template{Name: name, Content: content})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// values merges --values files and --set as helm template does.
func values(o Options) (map[string]any, error) {
	vals := map[string]any{}
	for _, f := range o.ValueFiles {
		data, err := manifest.Read(manifest.Source{Name: f, Path: f}, nil)
		if err != nil {
			return nil, err
		}
		m, err := loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", f, err)
		}
		vals = loader.MergeMaps(vals, m)
	}
	for _, s := range o.Set {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %w", err)
		}
	}
	return vals, nil
}

// checkDependencies fails, as helm template does, when Chart.yaml lists a
// dependency that charts/ does not hold (helm dependency build was not run).
func checkDependencies(ch *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s (run helm dependency build)", strings.Join(missing, ", "))
	}
	return nil
}

// checkSize refuses a chart directory of more than MaxFiles entries before
// Helm's loader reads them (it bounds their total size, not their number).
func checkSize(dir string) error {
	n := 0
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n++; n > MaxFiles {
			return fmt.Errorf("%s: more than %d files and directories: not a chart", dir, MaxFiles)
		}
		return nil
	})
}
