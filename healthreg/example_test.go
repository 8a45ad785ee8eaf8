package healthreg_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"log/slog"
	"net"

	"google.golang.org/grpc"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

// The intended wiring of a server's main. Generated code provides the
// Register<Service>Health helpers that wrap reg.Register with the service's
// full name; they are written out here.
func Example() {
	var db *sql.DB // the application's dependencies

	reg := healthreg.New() // defaults: 5s drain, 15s stop timeout, checks every 10s
	reg.Register("helloworld.Greeter",
		healthreg.WithCheck("database", func(ctx context.Context) error { return db.PingContext(ctx) }))

	srv := grpc.NewServer()
	// helloworld.RegisterGreeterServer(srv, &greeter{db: db})
	reg.RegisterHealthService(srv) // probes: grpc.service "liveness", "readiness"

	// Optional: a plaintext health port, for when the application port needs
	// TLS or authentication. Shutdown stops it.
	healthLis, err := net.Listen("tcp", ":8081")
	if err != nil {
		log.Fatal(err)
	}
	go reg.ServeHealth(healthLis)

	lis, err := net.Listen("tcp", ":50051")
	if err != nil {
		log.Fatal(err)
	}
	// Serves until SIGTERM, then drains and stops gracefully.
	if err := reg.Serve(context.Background(), srv, lis); err != nil {
		log.Fatal(err)
	}
}

// The statuses a probe sees over a process's life, when the application
// runs its server itself rather than with Serve.
func Example_lifecycle() {
	reg := healthreg.New(healthreg.WithDrainDelay(0), healthreg.WithLogger(slog.New(slog.DiscardHandler)))
	const greeterName = "helloworld.Greeter" // generated: helloworld.Greeter_HealthName
	greeter := reg.Register(greeterName)
	show := func(when string) {
		fmt.Printf("%-12s liveness=%v readiness=%v greeter=%v\n", when,
			reg.Status(healthreg.LivenessName), reg.Status(healthreg.ReadinessName), reg.Status(greeterName))
	}
	show("registered")
	reg.SetLive(true) // the server's Serve is running
	show("serving")
	reg.SetReady()
	show("ready")
	greeter.SetServing(false, fmt.Errorf("cache reloading"))
	show("reloading")
	reg.Shutdown(context.Background(), nil) // normally the *grpc.Server
	show("shut down")
	// Output:
	// registered   liveness=NOT_SERVING readiness=NOT_SERVING greeter=NOT_SERVING
	// serving      liveness=SERVING readiness=NOT_SERVING greeter=NOT_SERVING
	// ready        liveness=SERVING readiness=SERVING greeter=SERVING
	// reloading    liveness=SERVING readiness=NOT_SERVING greeter=NOT_SERVING
	// shut down    liveness=NOT_SERVING readiness=NOT_SERVING greeter=NOT_SERVING
}
