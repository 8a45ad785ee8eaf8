package otelhealth_test

import (
	"log"

	"go.opentelemetry.io/otel"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/otelhealth"
)

// A registry whose statuses, transitions and checks are recorded through the
// global MeterProvider (set it up with your exporter first).
func Example() {
	opts, err := otelhealth.Options(otel.GetMeterProvider())
	if err != nil {
		log.Fatal(err)
	}
	// Your own options go after opts.
	reg := healthreg.New(opts...)
	_ = reg // Register services, Serve, ... as usual.
}
