// Package defaults holds the shutdown defaults of healthreg, declared once
// for the two packages that use them: healthreg applies them when New is
// given no WithDrainDelay or WithStopTimeout, and healthflags shows them as
// its flags' defaults. Users read them in WithDrainDelay's and
// WithStopTimeout's documentation; nobody needs them as values.
package defaults

import "time"

const (
	// DrainDelay is how long Shutdown keeps the server serving after it has
	// marked readiness NOT_SERVING. Kubernetes removes a terminating pod
	// from its Services' endpoints asynchronously: the SIGTERM to the
	// container and the endpoint update race each other, and kube-proxy,
	// ingress controllers and client-side balancers learn of the removal
	// later still. For a few seconds after SIGTERM new requests keep
	// arriving; stopping at once would refuse them.
	DrainDelay = 5 * time.Second

	// StopTimeout is how long the graceful stops of the application server
	// and then the health port may take, together, before Stop cancels the
	// RPCs still running. DrainDelay + StopTimeout (20s), Shutdown's worst
	// case, stays under Kubernetes' default terminationGracePeriodSeconds
	// (30s) and the scaffold's (25s), so the kubelet's SIGKILL does not cut
	// the graceful stop short.
	StopTimeout = 15 * time.Second
)
