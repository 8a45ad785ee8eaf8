package gen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// crdValidator checks objects of one served version of a CRD the way the
// API server does on create: unknown fields (the pruning algorithm, which a
// strict client reports as errors), the OpenAPI schema (types, enums,
// ranges, patterns) and the x-kubernetes-validations CEL rules.
type crdValidator struct {
	group, kind, version string
	structural           *structuralschema.Structural
	schema               apiservervalidation.SchemaCreateValidator
	cel                  *cel.Validator
}

// loadCRD reads testdata/crds/file and prepares the validator of version.
func loadCRD(t testing.TB, file, version string) *crdValidator {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name != version || v.Schema == nil {
			continue
		}
		var internal apiextensions.JSONSchemaProps
		if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(v.Schema.OpenAPIV3Schema, &internal, nil); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		ss, err := structuralschema.NewStructural(&internal)
		if err != nil {
			t.Fatalf("%s: not a structural schema: %v", file, err)
		}
		if errs := structuralschema.ValidateStructural(k8sfield.NewPath("openAPIV3Schema"), ss); len(errs) > 0 {
			t.Fatalf("%s: not a structural schema: %v", file, errs.ToAggregate())
		}
		sv, _, err := apiservervalidation.NewSchemaValidator(&internal)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return &crdValidator{
			group: crd.Spec.Group, kind: crd.Spec.Names.Kind, version: version,
			structural: ss, schema: sv, cel: cel.NewValidator(ss, true, celconfig.PerCallLimit),
		}
	}
	t.Fatalf("%s: no version %s with a schema", file, version)
	return nil
}

// validate returns every reason the API server would reject the YAML
// object, or nil.
func (v *crdValidator) validate(doc string) error {
	// As the API server reads a request: JSON whose whole numbers are
	// int64, which CEL's int comparisons need.
	js, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return err
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil {
		return err
	}
	if got, want := obj["apiVersion"], v.group+"/"+v.version; got != want {
		return fmt.Errorf("apiVersion %v, want %s", got, want)
	}
	if got := obj["kind"]; got != v.kind {
		return fmt.Errorf("kind %v, want %s", got, v.kind)
	}
	var problems []string
	if unknown := pruning.PruneWithOptions(deepCopyJSON(obj), v.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}); len(unknown) > 0 {
		problems = append(problems, "unknown fields: "+strings.Join(unknown, ", "))
	}
	for _, e := range apiservervalidation.ValidateCustomResource(nil, obj, v.schema) {
		problems = append(problems, e.Error())
	}
	errs, _ := v.cel.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	for _, e := range errs {
		problems = append(problems, e.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// deepCopyJSON copies a decoded JSON value, since pruning edits it.
func deepCopyJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopyJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopyJSON(e)
		}
		return s
	}
	return v
}
