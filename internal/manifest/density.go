package manifest

import (
	"bytes"
	"fmt"
)

// maxDocumentValues bounds the values one YAML document may hold, counted
// before parsing (the parser's node tree costs about 170 bytes a value, so
// a megabyte of one-letter list items would take over 100 MB): every comma,
// colon and dash and every line counts as one, which overcounts real
// manifests (a 1 MB CRD or dashboard ConfigMap counts about 100,000). No
// Kubernetes object comes near: the API server stores at most 1.5 MiB.
const maxDocumentValues = 300_000

// checkDensity refuses data with a document that may hold more than
// maxDocumentValues values. Documents start at lines beginning "---" or
// "..." (which YAML forbids inside any scalar).
func checkDensity(data []byte) error {
	count, docLine, line := 0, 1, 1
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			end = len(data)
		}
		l := data[:end]
		if isDocumentMarker(l) {
			count, docLine = 0, line
		}
		count++
		for _, c := range l {
			if c == ',' || c == ':' || c == '-' {
				count++
			}
		}
		if count > maxDocumentValues {
			return fmt.Errorf("%d: the document may hold over %d values: too many for a Kubernetes object, refusing to parse it", docLine, maxDocumentValues)
		}
		data = data[min(end+1, len(data)):]
		line++
	}
	return nil
}

func isDocumentMarker(l []byte) bool {
	if !bytes.HasPrefix(l, []byte("---")) && !bytes.HasPrefix(l, []byte("...")) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r'
}
