// Package templates holds protoc-gen-health's templates, embedded and parsed
// once at start-up. They see only the generator's view structs, never
// protogen types, and hold no logic beyond layout: every name and value is
// computed before a template runs.
package templates

import (
	"embed"
	"encoding/json"
	"strconv"
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
// are [[ ]]: neither needs escaping in the other.
var Helm = template.Must(template.New("").
	Delims("[[", "]]").
	Option("missingkey=error").
	Funcs(template.FuncMap{
		"yamlString": yamlString,
	}).
	ParseFS(helmFiles, "helm/*.tmpl"))

// yamlString quotes s as a JSON string, which YAML reads back unchanged: a
// service named "on", "1.0" or "null" stays a string.
func yamlString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
