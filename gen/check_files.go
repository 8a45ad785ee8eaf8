package gen

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/types/pluginpb"
)

// checkFileNames rejects a file to generate whose name is not printable
// UTF-8, before anything reads or renders it. Every generated file copies
// the .proto name into a header comment ("// source: ...", "# source: ..."):
// a newline, U+2028 or any other control character there would end the
// comment and start a line of the name's choosing: a //go:generate
// directive in Go, a YAML document, a RUN instruction in the Dockerfile.
// Rejecting is simpler to trust than escaping in every output format, and
// no real .proto file needs such a name. Imported files are not checked:
// their names reach only error messages, which quote them.
func checkFileNames(req *pluginpb.CodeGeneratorRequest) error {
	var errs errorList
	for _, name := range req.GetFileToGenerate() {
		if printable(name) {
			continue
		}
		errs.add(&Error{File: name, Msg: fmt.Sprintf("the file name holds %s; generated files copy the name into comments, "+
			"so it must be printable UTF-8 (no control characters, line or paragraph separators)", firstUnprintable(name))})
	}
	return errs.err()
}

// firstUnprintable describes the first rune or byte of s that printable
// rejects.
func firstUnprintable(s string) string {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Sprintf("the byte 0x%02X, which is not UTF-8", s[i])
			}
		}
		if notPrintable(r) {
			return fmt.Sprintf("%U, which is not printable", r)
		}
	}
	return "a character that is not printable"
}
