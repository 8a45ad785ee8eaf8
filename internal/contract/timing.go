package contract

import "time"

// ExecTimeout is the -connect-timeout and the -rpc-timeout the generator
// gives grpc_health_probe for a probe's timeoutSeconds: 40% each, leaving a
// fifth for the process to start, so the probe's own deadlines always end
// before the kubelet's.
func ExecTimeout(timeoutSeconds int32) time.Duration {
	return time.Duration(timeoutSeconds) * time.Second * 2 / 5
}

// TimeoutsFit reports whether grpc_health_probe's connect and RPC timeouts
// end strictly before the kubelet's timeoutSeconds (0 meaning the API's
// default), which also covers starting the process: equal is too late.
// When they do not, minSeconds is the smallest timeoutSeconds they fit in.
func TimeoutsFit(connect, rpc time.Duration, timeoutSeconds int32) (ok bool, minSeconds int64) {
	if timeoutSeconds == 0 {
		timeoutSeconds = DefaultTimeoutSeconds
	}
	need := connect + rpc
	if need < time.Duration(timeoutSeconds)*time.Second {
		return true, 0
	}
	return false, int64(need/time.Second) + 1
}
