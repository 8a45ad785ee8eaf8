package manifest

import (
	"strings"
	"testing"
)

func TestCheckDensity(t *testing.T) {
	dense := "[" + strings.Repeat("a,", maxDocumentValues) + "]\n"
	tests := []struct {
		name, data, err string
	}{
		{name: "empty"},
		{name: "ordinary", data: "apiVersion: v1\nkind: Pod\n"},
		{name: "dense", data: dense, err: "1: the document may hold over 300000 values: too many for a Kubernetes object, refusing to parse it"},
		{name: "dense second document", data: "a: 1\n---\n" + dense, err: "2: the document may hold over 300000 values: too many for a Kubernetes object, refusing to parse it"},
		// Each document is counted on its own.
		{name: "many documents", data: strings.Repeat("---\n"+strings.Repeat("a,", maxDocumentValues/2)+"\n", 4)},
		{name: "marker-like text", data: "a: |\n  ---x\n" + strings.Repeat("a,", maxDocumentValues/2) + "\n---x\n" + strings.Repeat("a,", maxDocumentValues/2+10) + "\n", err: "1: the document may hold over 300000 values: too many for a Kubernetes object, refusing to parse it"},
	}
	for _, tt := range tests {
		err := checkDensity([]byte(tt.data))
		if got := errString(err); got != tt.err {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
