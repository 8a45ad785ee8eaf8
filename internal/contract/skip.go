package contract

// Skipped resolves the skip option of a service: the service's own value
// when set, else its file's, else false. A skipped service gets no health
// code, so the health server never registers its name.
func Skipped(fileSkip, serviceSkip *bool) bool {
	switch {
	case serviceSkip != nil:
		return *serviceSkip
	case fileSkip != nil:
		return *fileSkip
	}
	return false
}
