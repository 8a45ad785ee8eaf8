package contract

import (
	"path"
	"strings"
	"time"
)

// ProbeProgramNames are the names grpc_health_probe goes by: its releases'
// and its `go install` name. A program whose base name starts with one of
// them (grpc_health_probe-linux-amd64, grpc-health-probe.exe) is the same
// program renamed.
var ProbeProgramNames = [...]string{"grpc_health_probe", "grpc-health-probe"}

// IsProbeProgram reports whether the program at file path p is
// grpc_health_probe, by its base name.
func IsProbeProgram(p string) bool {
	base := path.Base(p)
	for _, n := range ProbeProgramNames {
		if strings.HasPrefix(base, n) {
			return true
		}
	}
	return false
}

// Defaults of grpc_health_probe and of the Kubernetes API.
const (
	ProbeDefaultConnectTimeout = time.Second // grpc_health_probe -connect-timeout
	ProbeDefaultRPCTimeout     = time.Second // grpc_health_probe -rpc-timeout
	DefaultTimeoutSeconds      = 1           // a probe's timeoutSeconds when 0
)
