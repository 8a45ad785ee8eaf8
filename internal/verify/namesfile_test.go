package verify

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

func TestParseNamesFile(t *testing.T) {
	var o Options
	data := "# comment\n\n  shop.v1.Cart  \nliveness_service=liveness\nworkload.katib-suggestion.readiness_service=manager.v1beta1.Suggestion\n" +
		"workload.katib-suggestion.liveness_service=\nname with = sign\nstartup_service=liveness\n"
	if err := ParseNamesFile("names.txt", []byte(data), &o); err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"shop.v1.Cart": true, "name with = sign": true}; !cmp.Equal(o.Allowed, want) {
		t.Errorf("Allowed = %v, want %v", o.Allowed, want)
	}
	str := func(s string) *string { return &s }
	got := o.declared("katib-suggestion")
	want := contract.DeclaredNames{Startup: str("liveness"), Liveness: str(""), Readiness: str("manager.v1beta1.Suggestion")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("declared(katib-suggestion) (-want +got):\n%s", diff)
	}
	if !o.registers("katib-suggestion", "") || o.registers("other", "manager.v1beta1.Suggestion") || !o.registers("other", "liveness") {
		t.Error("registers: a workload's declared names count for it alone, the run-wide ones for every workload")
	}

	for data, wantErr := range map[string]string{
		"liveness_servic=x\n":                      `names.txt:1: liveness_servic is not a declaration: want startup_service=, liveness_service= or readiness_service=, for one workload after workload.<name>. (a health name holds no '=')`,
		"#\nworkload.readiness_service=x\n":        `names.txt:2: workload.readiness_service is not a declaration: want startup_service=, liveness_service= or readiness_service=, for one workload after workload.<name>. (a health name holds no '=')`,
		"liveness_service=a\nliveness_service=b\n": `names.txt:2: liveness_service is declared twice, as "a" and "b"`,
	} {
		var o Options
		err := ParseNamesFile("names.txt", []byte(data), &o)
		if err == nil || err.Error() != wantErr {
			t.Errorf("%q: error %v, want %s", data, err, wantErr)
		}
	}
}
