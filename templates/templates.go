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

// yamlString quotes s as a JSON string, which YAML reads back unchanged: a
// service named "on", "1.0" or "null" stays a string.
func yamlString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}
