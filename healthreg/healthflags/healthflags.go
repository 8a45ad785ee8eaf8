// Package healthflags is the command line of a server that protoc-gen-health
// scaffolds: the flags its generated Deployment passes (-addr, -health-addr,
// -drain, -stop-timeout), and listening and serving with a
// healthreg.Registry on the addresses they give. The scaffold's main.go calls
// it; a hand-written main that does the same accepts the Deployment's args
// unchanged:
//
//	cfg := healthflags.Define(flag.CommandLine)
//	flag.Parse()
//	reg := healthreg.New(cfg.Options()...)
//	// register services on srv and reg, then reg.RegisterHealthService(srv)
//	err := cfg.ListenAndServe(ctx, reg, srv)
//
// It is apart from healthreg because only a main needs it: a program with
// flags or listeners of its own calls healthreg's New, ServeHealth and Serve
// directly.
package healthflags

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/internal/defaults"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/internal/onaccept"
)

// The flags Define defines. The Deployment that protoc-gen-health scaffolds
// passes exactly these (as -name=value).
const (
	addrFlag        = "addr"
	healthAddrFlag  = "health-addr"
	drainFlag       = "drain"
	stopTimeoutFlag = "stop-timeout"
)

// defaultAddr is the address a server listens on when -addr is not given:
// every interface, the plugin's default port.
const defaultAddr = ":50051"

// Config is the part of a server's configuration that its Deployment
// decides: where it listens and how long its shutdown may take. Define
// fills it from the command line.
type Config struct {
	Addr        string        // the application's gRPC address (-addr)
	HealthAddr  string        // a separate plaintext health-only address (-health-addr); "" for none
	DrainDelay  time.Duration // -drain: see healthreg.WithDrainDelay (default 5s)
	StopTimeout time.Duration // -stop-timeout: see healthreg.WithStopTimeout (default 15s)
}

// Define defines -addr, -health-addr, -drain and -stop-timeout on fs and
// returns the Config they fill once fs is parsed. The durations default to
// healthreg's own defaults, so a server run without them behaves like one
// whose main passes New no options.
func Define(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Addr, addrFlag, defaultAddr, "address of the gRPC server (services and health)")
	fs.StringVar(&c.HealthAddr, healthAddrFlag, "", "optional address of a separate plaintext health-only server")
	c.DrainDelay, c.StopTimeout = defaults.DrainDelay, defaults.StopTimeout
	fs.Var(durationFlag{&c.DrainDelay}, drainFlag, "`duration` to keep serving after readiness goes NOT_SERVING on shutdown")
	fs.Var(durationFlag{&c.StopTimeout}, stopTimeoutFlag, "`duration` the graceful stops may take after the drain, then a hard stop")
	return c
}

// durationFlag is flag.Duration that refuses a negative value when the
// command line is parsed, with the flag's name, rather than leaving it to
// make Options' WithDrainDelay or WithStopTimeout panic.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil { // the flag package's zero value, for its usage text
		return "0s"
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("parse error")
	}
	if d < 0 {
		return errors.New("must not be negative")
	}
	*f.d = d
	return nil
}

// Options returns the registry options the configuration sets (the drain
// delay and the stop timeout), for healthreg.New; add your own after them.
func (c *Config) Options() []healthreg.Option {
	return []healthreg.Option{healthreg.WithDrainDelay(c.DrainDelay), healthreg.WithStopTimeout(c.StopTimeout)}
}

// ListenAndServe listens on Addr and, when set, HealthAddr, serves the
// health port there (r.ServeHealth), and runs r.Serve for srv on Addr until
// SIGTERM, SIGINT or the end of ctx, returning Serve's result. Register
// every service, and the health service on srv, before calling it.
//
// Once srv is serving (liveness SERVING, and the signal handler installed,
// so a SIGTERM from then on gets the drain) it logs "serving" at Info level
// through slog.Default(), with the bound addresses as "addr" and
// "health_addr": with -addr=127.0.0.1:0, that line says which port it got.
// A health port that fails is logged there at Error.
func (c *Config) ListenAndServe(ctx context.Context, r *healthreg.Registry, srv *grpc.Server) error {
	lis, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	attrs := []any{"addr", lis.Addr().String()}
	var health sync.WaitGroup
	if c.HealthAddr != "" {
		hl, err := net.Listen("tcp", c.HealthAddr)
		if err != nil {
			lis.Close()
			return err
		}
		attrs = append(attrs, "health_addr", hl.Addr().String())
		health.Go(func() {
			if err := r.ServeHealth(hl); err != nil && !errors.Is(err, healthreg.ErrShuttingDown) {
				slog.Error("health server failed", "err", err)
			}
		})
	}
	// Serve wraps lis in a listener of its own that sets liveness SERVING
	// before calling this one's Accept, so the announcement comes after
	// everything Serve sets up.
	announced := onaccept.First(lis, func() { slog.Info("serving", attrs...) })
	err = r.Serve(ctx, srv, announced)
	// Serve returns once Shutdown has stopped the health port (or made
	// ServeHealth refuse to start): the goroutine is ending, not hanging.
	health.Wait()
	return err
}
