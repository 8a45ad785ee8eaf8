package healthreg

import (
	"context"
	"errors"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg/internal/onaccept"
)

// shutdownSignals are what Kubernetes (SIGTERM) and a terminal (SIGINT) send.
var shutdownSignals = []os.Signal{syscall.SIGTERM, os.Interrupt}

// Serve runs the application server srv on lis for the life of the process
// and ties liveness, and so every other name, to it:
//
//   - once srv is accepting connections on lis, liveness goes SERVING and
//     SetReady is called;
//   - with WithAppProbe, liveness goes NOT_SERVING while lis stops answering
//     gRPC calls, and SERVING again once it answers;
//   - when ctx is done or SIGTERM or SIGINT arrives, Serve calls Shutdown.
//     The drain then runs in full, unless a second signal arrives (or ctx
//     ends, if it was a signal that started the shutdown);
//   - whenever srv.Serve returns, liveness goes NOT_SERVING. If it returns
//     before any shutdown was asked for (lis failed, or something called
//     srv.Stop), Serve still runs Shutdown (with its drain, during which a
//     health port reports every name NOT_SERVING) and returns srv.Serve's
//     error;
//   - when Shutdown is called by anyone else (another Serve on the same
//     registry, the program's own signal handling), srv is stopped with that
//     Shutdown's servers and Serve returns once it has finished.
//
// Serve returns when Shutdown has finished: srv.Serve's error if it failed,
// else Shutdown's (nil unless a stop had to be forced). Called once Shutdown
// has begun, it does not serve: it closes lis, has srv stopped, waits for
// Shutdown and returns ErrShuttingDown. Register the health service on srv
// (RegisterHealthService) or serve a health port (ServeHealth) before
// calling it.
func (r *Registry) Serve(ctx context.Context, srv *grpc.Server, lis net.Listener) error {
	// Serve waits for the whole shutdown, whoever began it and whatever
	// becomes of ctx: it must not return while srv still serves.
	wait := context.WithoutCancel(ctx)
	r.mu.Lock()
	late := r.shutting
	r.mu.Unlock()
	if late {
		lis.Close()
		r.shutdown(wait, wait, srv)
		return ErrShuttingDown
	}

	sigCtx, stopSignals := signal.NotifyContext(ctx, shutdownSignals...)
	defer stopSignals()

	accepting := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		// From grpc.Server.Serve's first Accept, srv is serving lis: the
		// moment liveness becomes true.
		err := srv.Serve(onaccept.First(lis, func() {
			r.SetLive(true)
			r.SetReady()
			close(accepting)
		}))
		// After the hook's SetLive(true), since both run on this goroutine.
		r.SetLive(false)
		served <- err
	}()

	var serveErr error
	serveDone := false
	select {
	case <-accepting:
		r.startAppProbe(lis.Addr())
		select {
		case <-sigCtx.Done():
		case <-r.stopping.Done(): // someone else's Shutdown
		case serveErr = <-served:
			serveDone = true
		}
	case <-r.stopping.Done():
	case serveErr = <-served: // never accepted: nothing to drain
		serveDone = true
	}

	// The drain gets its own cancellation: if ctx started the shutdown it is
	// done already and must not cut the drain to nothing.
	drainBase := ctx
	if ctx.Err() != nil {
		drainBase = context.WithoutCancel(ctx)
	}
	drainCtx, stopDrainSignals := signal.NotifyContext(drainBase, shutdownSignals...)
	defer stopDrainSignals()
	select {
	case <-accepting:
	default:
		stopDrainSignals() // cancels drainCtx: skip the drain
	}

	shutdownErr := r.shutdown(drainCtx, wait, srv)
	if !serveDone {
		serveErr = <-served
		// The Shutdown that stopped srv began after the check above but
		// before srv.Serve started: srv never served, as if Serve had been
		// called late.
		if errors.Is(serveErr, grpc.ErrServerStopped) {
			return ErrShuttingDown
		}
	}
	if serveErr != nil {
		return serveErr
	}
	return shutdownErr
}
