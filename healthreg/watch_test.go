package healthreg

import (
	"context"
	"errors"
	"testing"
)

// startWatch runs a Watcher's function on a goroutine and records what it sends
// (and, after recording, returns send's result, if send is not nil).
func startWatch(ctx context.Context, r *Registry, name string, send func(servingStatus) error) *watcher {
	w := newWatcher()
	go func() {
		w.end(r.Watcher()(ctx, name, func(st servingStatus) error {
			w.add(st)
			if send != nil {
				return send(st)
			}
			return nil
		}))
	}()
	return w
}

// A Watcher follows a name as grpc.health.v1 Watch streams do, and
// Shutdown ends it with ErrShuttingDown after the latest status.
func TestRegistryWatch(t *testing.T) {
	r := newTestRegistry(t)
	w := startWatch(context.Background(), r, "later.L", nil)
	w.waitLast(t, SERVICE_UNKNOWN)
	r.Register("later.L")
	w.waitLast(t, NOT_SERVING)
	r.SetLive(true)
	r.SetReady()
	w.waitLast(t, SERVING)

	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := w.ended(t); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("Watch after Shutdown = %v, want ErrShuttingDown", err)
	}
	if got := w.last(); got != NOT_SERVING {
		t.Errorf("Watch ended on %v, want NOT_SERVING", got)
	}
}

// The caller leaving, or send failing, ends Watch with that reason.
func TestRegistryWatchEnds(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)

	ctx, cancel := context.WithCancel(context.Background())
	w := startWatch(ctx, r, ReadinessName, nil)
	w.waitLast(t, NOT_SERVING)
	cancel()
	if err := w.ended(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch after cancel = %v, want context.Canceled", err)
	}

	broken := errors.New("client gone")
	w = startWatch(context.Background(), r, ReadinessName, func(servingStatus) error { return broken })
	if err := w.ended(t); !errors.Is(err, broken) {
		t.Errorf("Watch with failing send = %v, want %v", err, broken)
	}
}
