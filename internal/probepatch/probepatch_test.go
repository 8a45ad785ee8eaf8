package probepatch

import (
	"strings"
	"testing"
)

func TestStripReplace(t *testing.T) {
	const head = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n        - name: s\n"
	tests := []struct{ doc, want, wantErr string }{
		{
			doc:  head + "          livenessProbe:\n            $patch: replace\n            grpc:\n              port: 1\n",
			want: `"livenessProbe":{"grpc":{"port":1}}`,
		},
		{
			doc:     head + "          livenessProbe:\n            grpc:\n              port: 1\n",
			wantErr: "containers[0].livenessProbe: want $patch: replace",
		},
		{
			doc:     head + "          $patch: replace\n          livenessProbe:\n            $patch: replace\n            grpc:\n              port: 1\n",
			wantErr: "a $patch directive at .spec.template.spec.containers[0].$patch",
		},
		{doc: "kind: Deployment\n", wantErr: "no spec.template.spec.containers"},
	}
	for _, tc := range tests {
		got, err := StripReplace([]byte(tc.doc))
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("StripReplace(%q) = %s, %v; want error %q", tc.doc, got, err, tc.wantErr)
			}
		case err != nil || !strings.Contains(string(got), tc.want):
			t.Errorf("StripReplace(%q) = %s, %v; want it to contain %s", tc.doc, got, err, tc.want)
		}
	}
}
