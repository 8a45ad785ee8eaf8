package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// serveForProbes starts ex's server on loopback (and its health port, when
// it has one) with args, and returns it with the map kubeletProbe takes:
// each port the manifests name to the port the server bound.
func serveForProbes(t *testing.T, ex example, args ...string) (*server, map[int32]int32) {
	t.Helper()
	args = append([]string{"-addr=127.0.0.1:0"}, args...)
	if ex.healthPort != 0 {
		args = append(args, "-health-addr=127.0.0.1:0")
	}
	srv := startServer(t, ex, args...)
	ports := map[int32]int32{ex.appPort: portOf(t, srv.Addr)}
	if ex.healthPort != 0 {
		ports[ex.healthPort] = portOf(t, srv.HealthAddr)
	}
	return srv, ports
}

// TestManifestProbes runs each example's generated probes as the kubelet
// runs them against the example's server: all pass once it is ready; after
// SIGTERM readiness fails within a second while liveness passes and the
// application still answers; a readiness probe one letter off never passes.
func TestManifestProbes(t *testing.T) {
	t.Parallel()
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			deployments := loadProbes(t, ex)
			srv, ports := serveForProbes(t, ex, fmt.Sprintf("-drain=%v", manifestDrain))

			for _, d := range deployments {
				eventually(t, startTimeout, d.path+": readiness probe passes", func() (bool, string) {
					r := kubeletProbe(t, d.readiness, ports)
					return r.ok, r.String()
				})
				for kind, p := range map[string]*corev1.Probe{"startup": d.startup, "liveness": d.liveness, "readiness": d.readiness} {
					if r := kubeletProbe(t, p, ports); !r.ok {
						t.Errorf("%s: ready: %s probe failed: %v", d.path, kind, r)
					}
				}
				wrong := oneLetterOff(targetOf(t, d.readiness).Service)
				if r := kubeletProbe(t, withService(t, d.readiness, wrong), ports); !r.notFound() {
					t.Errorf("%s: readiness probe for %q: %v; want NOT_FOUND (grpc_health_probe exits %d)", d.path, wrong, r, probeRPCFailure)
				}
			}

			app := dial(t, srv.Addr)
			ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
			defer cancel()
			if err := ex.rpc(ctx, app); err != nil {
				t.Errorf("ready: application RPC: %v", err)
			}

			sent := srv.sigterm()
			for _, d := range deployments {
				// eventually starts no attempt after its deadline, so the probe
				// that fails started within notReadyDeadline of the signal;
				// it fails on the server's answer, not a refused connection.
				eventually(t, notReadyDeadline-time.Since(sent), d.path+": readiness probe answered NOT_SERVING after SIGTERM", func() (bool, string) {
					r := kubeletProbe(t, d.readiness, ports)
					return !r.ok && r.notServing(), r.String()
				})
				if r := kubeletProbe(t, d.liveness, ports); !r.ok {
					t.Errorf("%s: draining: liveness probe failed: %v", d.path, r)
				}
			}
			ctx, cancel = context.WithTimeout(context.Background(), rpcTimeout)
			defer cancel()
			if err := ex.rpc(ctx, app); err != nil {
				t.Errorf("draining: application RPC: %v", err)
			}
			if elapsed := time.Since(sent); elapsed >= manifestDrain {
				t.Fatalf("the draining checks took %v, longer than the drain %v: they may have seen the stop", elapsed, manifestDrain)
			}
		})
	}
}
