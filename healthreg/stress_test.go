package healthreg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// TestStress runs everything at once under -race: goroutines registering
// services, reporting, flipping checks that run every 10ms, calling
// SetReady, and clients calling Check, List and Watch. It is bounded and
// then checks that the statuses settle where the rules say.
func TestStress(t *testing.T) {
	const (
		registrars = 8
		perEach    = 8   // 64 services + 3 reserved names: List stays under 100
		rounds     = 500 // per registrar
		calls      = 50  // per client: an RPC costs about 1ms under -race
		watches    = 10  // per client
		clients    = 4
	)
	var transitionCount atomic.Int64
	r := newTestRegistry(t,
		WithLogger(slog.New(slog.DiscardHandler)),
		WithChecks(CheckSchedule{Interval: 10 * time.Millisecond}), WithChecks(CheckSchedule{Timeout: 50 * time.Millisecond}),
		WithObserver(func(Transition) { transitionCount.Add(1) }))
	app := startApp(t, r)
	r.SetLive(true)

	var (
		mu    sync.Mutex
		svcs  []*Service
		flags []*switchCheck
		names = []string{LivenessName, ReadinessName, overallName, "stress.unknown"}
	)
	for i := range registrars {
		for j := range perEach {
			names = append(names, fmt.Sprintf("stress.S%d_%d", i, j))
		}
	}
	randomName := func(rng *rand.Rand) string { return names[rng.IntN(len(names))] }
	down := errors.New("down")

	var wg sync.WaitGroup
	for i := range registrars {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			var mine []*Service
			var myFlags []*switchCheck
			for j := range perEach {
				f := &switchCheck{}
				opts := []ServiceOption{WithCheck("c", f.check)}
				if j == 0 {
					opts = append(opts, ExcludeFromReadiness())
				}
				mine = append(mine, r.Register(fmt.Sprintf("stress.S%d_%d", i, j), opts...))
				myFlags = append(myFlags, f)
			}
			mu.Lock()
			svcs, flags = append(svcs, mine...), append(flags, myFlags...)
			mu.Unlock()
			for k := range rounds {
				mine[rng.IntN(perEach)].SetServing(rng.IntN(2) == 0, nil)
				if rng.IntN(2) == 0 {
					myFlags[rng.IntN(perEach)].set(down)
				} else {
					myFlags[rng.IntN(perEach)].set(nil)
				}
				if k == rounds/2 {
					r.SetReady()
				}
				_ = r.Status(randomName(rng))
			}
		})
	}
	for i := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 2))
			ctx := context.Background()
			for range calls {
				if _, err := app.client.Check(ctx, &healthpb.HealthCheckRequest{Service: randomName(rng)}); err != nil && !isNotFound(err) {
					t.Errorf("Check: %v", err)
				}
				if _, err := app.client.List(ctx, &healthpb.HealthListRequest{}); err != nil {
					t.Errorf("List: %v", err)
				}
			}
		})
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			for range watches {
				ctx, cancel := context.WithCancel(context.Background())
				stream, err := app.client.Watch(ctx, &healthpb.HealthCheckRequest{Service: randomName(rng)})
				if err == nil {
					_, err = stream.Recv() // the current status always comes first
				}
				cancel()
				if err != nil {
					t.Errorf("Watch: %v", err)
				}
			}
		})
	}
	wg.Wait()

	// Everything healthy again: every service and readiness must settle on
	// SERVING, in-process and over the wire.
	for i := range svcs {
		flags[i].set(nil)
		svcs[i].SetServing(true, nil)
	}
	waitFor(t, "readiness to settle", func() bool { return r.Status(ReadinessName) == SERVING })
	for _, name := range names {
		if name == "stress.unknown" {
			continue
		}
		// Both views, polled: a check run that read its flag before the
		// reset may still land (on a loaded machine) and flip the name for
		// one interval after the in-process status first reads SERVING.
		waitFor(t, name+" to settle", func() bool {
			st, _ := probe(t, app.client, name)
			return r.Status(name) == SERVING && st == SERVING
		})
	}

	var stops sync.WaitGroup
	for range 2 {
		stops.Go(func() { r.Shutdown(context.Background(), app.srv) })
	}
	stops.Wait()
	t.Logf("%d transitions observed", transitionCount.Load())
}

func isNotFound(err error) bool { return status.Code(err) == codes.NotFound }
