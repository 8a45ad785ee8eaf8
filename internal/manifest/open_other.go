//go:build !unix

package manifest

import "os"

func openFile(path string) (*os.File, error) { return os.Open(path) }
