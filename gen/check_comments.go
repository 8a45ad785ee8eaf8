package gen

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// checkGoComments reports a service whose leading comment holds what Go
// source cannot: a NUL, a byte-order mark, or bytes that are not UTF-8.
// emit=go copies the comment into the service's doc comments, and the Go
// scanner refuses the file. Found here, before anything is rendered, it is
// one error that names the service, and rendering cannot fail on the
// input once the response has begun to go out (response.go). Other control
// characters are valid in Go comments; gofmtComments keeps them as gofmt
// does.
func checkGoComments(services []*service, errs *errorList) {
	for _, s := range services {
		if !s.generate || s.skip {
			continue
		}
		if bad := goCommentProblem(string(s.svc.Comments.Leading)); bad != "" {
			errs.add(&Error{
				File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{s.fullName},
				Msg: fmt.Sprintf("the service's leading comment holds %s, which Go source cannot hold, and emit=go copies the comment into the generated code; remove it", bad),
			})
		}
	}
}

// goCommentProblem describes the first byte or rune of c that the Go
// scanner refuses in a comment; "" when there is none.
func goCommentProblem(c string) string {
	for i, r := range c {
		switch {
		case r == 0:
			return "U+0000 (NUL)"
		case r == utf8.RuneError && !strings.HasPrefix(c[i:], "\uFFFD"):
			return fmt.Sprintf("the byte 0x%02X, which is not UTF-8", c[i])
		case r == '\uFEFF':
			return "U+FEFF (a byte-order mark)"
		}
	}
	return ""
}
