package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart"
	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart/helmtest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

// TestMain lets this test binary render charts as verify-probes does: in a
// child process, which is this binary again.
func TestMain(m *testing.M) {
	helmchart.RunChild()
	os.Exit(m.Run())
}

// generatedChart writes the chart scaffold=true with emit=helm generates
// for testdata/proto's helloworld.Greeter, its library chart vendored into
// charts/ as helm dependency build would, and returns the chart's directory.
func generatedChart(t *testing.T, params string) string {
	t.Helper()
	req, err := protoreq.Build([]string{"testdata/proto", "../../proto"}, []string{"helloworld/helloworld.proto"}, params)
	if err != nil {
		t.Fatal(err)
	}
	resp := gen.Generate(req)
	if resp.Error != nil {
		t.Fatal(resp.GetError())
	}
	files := map[string]string{}
	for _, f := range resp.GetFile() {
		if f.GetInsertionPoint() == "" {
			files[f.GetName()] = f.GetContent()
		}
	}
	dir := t.TempDir()
	if err := helmtest.Write(dir, files); err != nil {
		t.Fatal(err)
	}
	chart := filepath.Join(dir, "helloworld-greeter", "chart")
	if err := helmtest.Vendor(chart, "helloworld-greeter", files); err != nil {
		t.Fatal(err)
	}
	return chart
}

// TestChartGenerated: the generated chart has no findings, with its
// default values and with timings overridden; a handler in the values fails
// the rendering with the library's message, at the including template.
func TestChartGenerated(t *testing.T) {
	desc := writeDescriptors(t, true)
	for _, params := range []string{"emit=helm,scaffold=true", "emit=helm,scaffold=true,probe=exec,health_port=8081"} {
		params += ",Mhelloworld/helloworld.proto=example.com/helloworld"
		chart := generatedChart(t, params)
		for _, tt := range []struct {
			args       []string
			wantCode   int
			wantStderr string
		}{
			{args: nil},
			{args: []string{"--set", "grpcHealth.livenessProbe.periodSeconds=20", "--set", "grpcHealth.readinessProbe.timeoutSeconds=4"}},
			{args: []string{"--set", "grpcHealth.livenessProbe.exec.command={/bin/true}"}, wantCode: exitUsage,
				wantStderr: ": execution error at (helloworld-greeter/templates/deployment.yaml:"},
		} {
			var stdout, stderr bytes.Buffer
			args := append([]string{"--descriptors", desc, "--require-probes", "--strict", "--chart", chart}, tt.args...)
			code := run(args, nil, &stdout, &stderr)
			if code != tt.wantCode || stdout.Len() != 0 || !strings.Contains(stderr.String(), tt.wantStderr) || tt.wantStderr == "" && stderr.Len() != 0 {
				t.Errorf("%s %v: exit %d, stdout %q, stderr %q; want exit %d, stderr with %q", params, tt.args, code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStderr)
			}
		}
	}
}

// TestHostileCharts: charts that would render for ever, exhaust memory or
// hold too many files are refused within the bounds, with one clear line.
func TestHostileCharts(t *testing.T) {
	desc := writeDescriptors(t, true)
	defer func(d time.Duration) { helmchart.Timeout = d }(helmchart.Timeout)
	helmchart.Timeout = 10 * time.Second * raceSlowdown
	chart := func(template string) string {
		dir := filepath.Join(t.TempDir(), "c")
		files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n", "templates/x.yaml": template}
		if err := helmtest.Write(dir, files); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	many := chart("")
	for i := range helmchart.MaxFiles {
		if err := os.WriteFile(filepath.Join(many, "templates", fmt.Sprintf("_%d.tpl", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name, dir, wantStderr string
	}{
		{"memory", chart(`{{ repeat 1000000000 "x" }}`), "rendering the chart took over 512 MiB of memory: refusing it"},
		{"time", chart(`{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}`), "rendering the chart took more than"},
		{"output", chart(`{{ repeat 20000000 "x" }}`), "the rendered chart is over 16 MiB"},
		{"files", many, "more than 10000 files and directories: not a chart"},
		{"recursion", chart(`{{ define "a" }}{{ include "a" . }}{{ end }}{{ include "a" . }}`), "rendering template has a nested reference name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code = run([]string{"--descriptors", desc, "--chart", tt.dir}, nil, &stdout, &stderr)
			elapsed := time.Since(start)
			if code != exitUsage || !strings.Contains(stderr.String(), tt.wantStderr) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("exit %d, stderr %.400q; want exit %d and one line with %q", code, stderr.String(), exitUsage, tt.wantStderr)
			}
			if elapsed > helmchart.Timeout+5*time.Second*raceSlowdown {
				t.Errorf("took %v", elapsed)
			}
			t.Logf("%s: %v", tt.name, elapsed)
		})
	}
}
