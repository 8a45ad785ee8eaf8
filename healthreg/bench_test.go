package healthreg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// quietRegistry is a registry that logs nothing, for benchmarks.
func quietRegistry(opts ...Option) *Registry {
	return New(append([]Option{WithLogger(slog.New(slog.DiscardHandler)), WithDrainDelay(0)}, opts...)...)
}

// benchClient serves whatever register puts on a server over loopback and
// returns a client for it; both end with the benchmark.
func benchClient(b *testing.B, register func(*grpc.Server)) healthpb.HealthClient {
	lis := listen(b)
	srv := grpc.NewServer()
	register(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	b.Cleanup(func() { srv.Stop(); <-served })
	return dial(b, lis.Addr().String())
}

// benchCheck measures Check's throughput, with parallel clients sharing one
// connection.
func benchCheck(b *testing.B, register func(*grpc.Server)) {
	client := benchClient(b, register)
	req := &healthpb.HealthCheckRequest{Service: "bench.A"}

	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Check(context.Background(), req)
			if err != nil || resp.GetStatus() != SERVING {
				b.Errorf("Check = %v, %v", resp, err)
				return
			}
		}
	})
}

// benchCheckLatency measures what one probe waits for: Check after Check
// from one goroutine, nothing else on the connection, reporting the median
// and 99th percentile of each call's duration.
func benchCheckLatency(b *testing.B, register func(*grpc.Server)) {
	client := benchClient(b, register)
	req := &healthpb.HealthCheckRequest{Service: "bench.A"}
	ctx := context.Background()
	if _, err := client.Check(ctx, req); err != nil { // connect outside the loop
		b.Fatal(err)
	}

	var latencies []time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		resp, err := client.Check(ctx, req)
		latencies = append(latencies, time.Since(start))
		if err != nil || resp.GetStatus() != SERVING {
			b.Fatalf("Check = %v, %v", resp, err)
		}
	}
	reportPercentiles(b, latencies, "check")
}

// benchRegistry is a ready registry with 21 services, bench.A among them,
// as BenchmarkCheck and BenchmarkCheckLatency serve it.
func benchRegistry(b *testing.B) *Registry {
	r := quietRegistry()
	b.Cleanup(func() { r.Shutdown(context.Background(), nil) })
	for i := range 20 {
		r.Register(fmt.Sprintf("bench.S%d", i))
	}
	r.Register("bench.A")
	r.SetLive(true)
	r.SetReady()
	return r
}

// bareHealth registers a bare grpc-go health server with bench.A SERVING.
func bareHealth(s *grpc.Server) {
	hs := health.NewServer()
	hs.SetServingStatus("bench.A", SERVING)
	healthpb.RegisterHealthServer(s, hs)
}

// BenchmarkCheck is Check through the registry, which answers with
// grpc-go's own server: compare with BenchmarkCheckBare in the same run.
func BenchmarkCheck(b *testing.B) {
	r := benchRegistry(b)
	benchCheck(b, func(s *grpc.Server) { r.RegisterHealthService(s) })
}

// BenchmarkCheckBare is Check against a bare grpc-go health server.
func BenchmarkCheckBare(b *testing.B) {
	benchCheck(b, bareHealth)
}

// BenchmarkCheckLatency is one Check at a time through the registry:
// compare with BenchmarkCheckLatencyBare in the same run.
func BenchmarkCheckLatency(b *testing.B) {
	r := benchRegistry(b)
	benchCheckLatency(b, func(s *grpc.Server) { r.RegisterHealthService(s) })
}

// BenchmarkCheckLatencyBare is one Check at a time against a bare grpc-go
// health server.
func BenchmarkCheckLatencyBare(b *testing.B) {
	benchCheckLatency(b, bareHealth)
}

// BenchmarkWatchFanout measures how long one transition takes to reach each
// of 1000 Watch streams (spread over 10 connections, as from 10 clients),
// reporting the median and 99th percentile per stream.
func BenchmarkWatchFanout(b *testing.B) {
	const streams, conns = 1000, 10
	r := quietRegistry()
	defer r.Shutdown(context.Background(), nil)
	svc := r.Register("bench.A")
	r.SetLive(true)
	r.SetReady()
	lis := listen(b)
	srv := grpc.NewServer()
	r.RegisterHealthService(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	defer func() { srv.Stop(); <-served }()

	var flipped atomic.Int64 // UnixNano of the latest SetServing
	arrivals := make(chan time.Duration, streams)
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	defer func() { cancel(); readers.Wait() }()
	for range conns {
		client := dial(b, lis.Addr().String())
		for range streams / conns {
			stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "bench.A"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := stream.Recv(); err != nil { // the current status
				b.Fatal(err)
			}
			readers.Go(func() {
				for {
					if _, err := stream.Recv(); err != nil {
						return
					}
					arrivals <- time.Duration(time.Now().UnixNano() - flipped.Load())
				}
			})
		}
	}

	var latencies []time.Duration
	up := true
	for b.Loop() {
		up = !up
		flipped.Store(time.Now().UnixNano())
		svc.SetServing(up, nil)
		for range streams {
			latencies = append(latencies, <-arrivals)
		}
	}
	reportPercentiles(b, latencies, "fanout")
}

// BenchmarkCheckPropagation measures the time from a check returning a new
// result to the observer seeing the service's transition: the registry's
// own overhead, excluding the wait for the next tick.
func BenchmarkCheckPropagation(b *testing.B) {
	var (
		failing  atomic.Bool
		returned atomic.Int64 // UnixNano when the check last returned a changed result
		last     atomic.Bool  // what it returned last time
	)
	seen := make(chan time.Duration, 1)
	r := quietRegistry(WithChecks(CheckSchedule{Interval: time.Millisecond}), WithObserver(func(t Transition) {
		if t.Name == "bench.A" && t.From != SERVICE_UNKNOWN {
			seen <- time.Duration(time.Now().UnixNano() - returned.Load())
		}
	}))
	defer r.Shutdown(context.Background(), nil)
	down := errors.New("down")
	r.Register("bench.A", WithCheck("flip", func(context.Context) error {
		f := failing.Load()
		if f != last.Load() {
			last.Store(f)
			returned.Store(time.Now().UnixNano())
		}
		if f {
			return down
		}
		return nil
	}))
	r.SetLive(true)
	r.SetReady()
	<-seen // the first NOT_SERVING → SERVING

	var latencies []time.Duration
	for b.Loop() {
		failing.Store(!failing.Load())
		latencies = append(latencies, <-seen)
	}
	reportPercentiles(b, latencies, "propagation")
}

// reportPercentiles adds the median and 99th percentile of ds, in µs, to
// the benchmark's output.
func reportPercentiles(b *testing.B, ds []time.Duration, what string) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		return float64(ds[int(p*float64(len(ds)-1))]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), what+"-p50-µs")
	b.ReportMetric(at(0.99), what+"-p99-µs")
}
