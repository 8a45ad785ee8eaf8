// Package helmtest writes the charts the tests of emit=helm render: a
// user's chart that includes a generated library chart, as the library's
// own comment tells a chart author to, and the vendoring helm dependency
// build does.
package helmtest

import (
	"os"
	"path/filepath"
	"strings"
)

// UserChart returns the files of a chart named "app" whose Deployment's
// container (named container) takes its ports and probes from the library
// chart of workload, by the include lines the library documents. values is
// the chart's values.yaml.
func UserChart(workload, container, values string) map[string]string {
	lib := workload + "-health"
	return map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n" +
			"  - name: " + lib + "\n    version: 0.1.0\n    repository: file://../" + lib + "\n",
		"values.yaml": values,
		"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels:
      app: {{ .Release.Name }}
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}
    spec:
      containers:
        - name: ` + container + `
          image: example.com/app:1
          ports:
            {{- include "` + lib + `.ports" . | nindent 12 }}
          {{- include "` + lib + `.probes" . | nindent 10 }}
`,
	}
}

// Write writes files (slash-separated names) under dir.
func Write(dir string, files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Vendor writes the library chart among generated (the files under
// <workload>/helm/) into chartDir/charts/<workload>-health, as helm
// dependency build vendors a file:// dependency.
func Vendor(chartDir, workload string, generated map[string]string) error {
	prefix := workload + "/helm/"
	lib := map[string]string{}
	for name, content := range generated {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			lib[rest] = content
		}
	}
	return Write(filepath.Join(chartDir, "charts", workload+"-health"), lib)
}
