//go:build unix

package healthreg

import (
	"context"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// SIGTERM starts the shutdown and the drain runs on; a second signal cuts
// the drain short. Signals are sent only while Serve has them registered,
// so they never reach the default handler (which would end the test binary).
func TestServeSignals(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Hour))
	srv := grpc.NewServer()
	r.RegisterHealthService(srv)
	lis := listen(t)
	client := dial(t, lis.Addr().String())
	done := startServe(context.Background(), r, srv, lis)
	// Readiness, not liveness: Serve sets liveness just before SetReady, and
	// a wait for readiness to drop would otherwise be met before the signal.
	waitFor(t, "readiness", func() bool { return r.Status(ReadinessName) == SERVING })

	kill(t)
	waitFor(t, "the shutdown", func() bool { return r.Status(ReadinessName) == NOT_SERVING })
	// Draining: the server answers, and the process is still live.
	wantStatuses(t, r, client, statuses{LivenessName: SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING})

	kill(t)
	if err := result(t, done); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if got := r.Status(LivenessName); got != NOT_SERVING {
		t.Errorf("liveness = %v", got)
	}
}

func kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}
