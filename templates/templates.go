// Package templates holds protoc-gen-health's templates, embedded and parsed
// once at start-up. They see only the generator's view structs, never
// protogen types, and hold no logic beyond layout: every name and value is
// computed before a template runs.
package templates

import (
	"embed"
	"encoding/json"
	"strconv"
	"strings"
	"text/template"
)

//go:embed *.tmpl
var files embed.FS

//go:embed helm/*.tmpl
var helmFiles embed.FS

// All is every template, by file name ("health.go.tmpl", "probes.yaml.tmpl",
// ...). Execute them with ExecuteTemplate.
var All = template.Must(template.New("").
	Option("missingkey=error").
	Funcs(template.FuncMap{
		"goString":   strconv.Quote,
		"yamlString": yamlString,
		"jsonString": yamlString, // a JavaScript, TypeScript and Python string literal too
	}).
	ParseFS(files, "*.tmpl"))

// Helm is the templates of emit=helm's charts (helm/*.tmpl, by base name).
// They write Helm templates, whose actions are {{ }}, so their own actions
// are [[ ]]; a value of the user's written into a Helm template goes
// through helmString, since it may hold "{{".
var Helm = template.Must(template.New("").
	Delims("[[", "]]").
	Option("missingkey=error").
	Funcs(template.FuncMap{
		"yamlString": yamlString,
		"helmString": helmString,
	}).
	ParseFS(helmFiles, "helm/*.tmpl"))

// helmString is yamlString for the text of a Helm template (not
// Chart.yaml or values.yaml, which Helm does not render): a value holding
// "{{" (a header, a path) would be read as an action of Helm's, failing
// the chart or running what it says, so it is written as an action that
// yields it, a Go string literal through Sprig's quote (%q, whose escapes
// YAML's double-quoted scalars read).
func helmString(s string) string {
	if !strings.Contains(s, "{{") {
		return yamlString(s)
	}
	return "{{ " + strconv.Quote(s) + " | quote }}"
}

// yamlString quotes s as a JSON string, which YAML reads back unchanged: a
// service named "on", "1.0" or "null" stays a string.
func yamlString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
