// Package otelhealth records a healthreg.Registry's health as OpenTelemetry
// metrics:
//
//	opts, err := otelhealth.Options(otel.GetMeterProvider())
//	if err != nil { ... }
//	reg := healthreg.New(opts...)
//
// The instruments (scope ScopeName), named after the OpenTelemetry semantic
// conventions' rules (a namespace of our own, since the conventions define
// no health-check metrics; durations as histograms in seconds named
// ".duration"; counts with curly-brace annotations; error.type for why an
// operation failed):
//
//	healthreg.status              Int64Gauge      1            1 while the name is SERVING, 0 otherwise
//	                                                           attrs: healthreg.name
//	healthreg.status.transitions  Int64Counter    {transition} status changes of a name, as observers see them
//	                                                           attrs: healthreg.name, healthreg.status (the new one)
//	healthreg.check.duration      Float64Histogram s           how long each run of a check took
//	                                                           attrs: healthreg.service, healthreg.check, error.type if it failed
//	healthreg.check.failures      Int64Counter    {failure}    every failed run of a check
//	                                                           attrs: healthreg.service, healthreg.check, error.type
//
// The transitions are those healthreg.WithObserver delivers, which are
// coalesced per name while delivery is behind: a burst of changes of one
// name counts once (under its last status), and a change undone before it
// was delivered does not count. The counter so may count fewer changes than
// happened, never more; the gauge always ends on the name's latest status.
//
// healthreg.name is the health-check name: a registered service's,
// "liveness", "readiness" or "" (what clients ask when they name none).
// healthreg.status is the grpc.health.v1 status name (SERVING,
// NOT_SERVING). error.type is "timeout" for a run that gave no result
// within its timeout (or returned context.DeadlineExceeded), "_OTHER" for
// any other failure, as the conventions prescribe for errors without a
// low-cardinality type.
//
// It is a module of its own so that healthreg itself depends only on grpc-go
// and protobuf.
package otelhealth

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

// ScopeName is the instrumentation scope of the meter.
const ScopeName = "github.com/protoc-gen-health/protoc-gen-health/healthreg/otelhealth"

// Metric and attribute names; see the package documentation.
const (
	StatusMetric        = "healthreg.status"
	TransitionsMetric   = "healthreg.status.transitions"
	CheckDurationMetric = "healthreg.check.duration"
	CheckFailuresMetric = "healthreg.check.failures"

	NameKey    = attribute.Key("healthreg.name")
	StatusKey  = attribute.Key("healthreg.status")
	ServiceKey = attribute.Key("healthreg.service")
	CheckKey   = attribute.Key("healthreg.check")
	ErrorKey   = attribute.Key("error.type") // the semantic conventions' own
)

// The error.type values.
const (
	ErrorTimeout = "timeout"
	ErrorOther   = "_OTHER"
)

// durationBuckets are the semantic conventions' advice for request
// durations (http.server.request.duration), in seconds: checks are calls
// to dependencies of the same order.
var durationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// Options returns the healthreg options that record a registry's metrics
// through mp; pass them to healthreg.New. It fails only if an instrument
// cannot be created.
func Options(mp metric.MeterProvider) ([]healthreg.Option, error) {
	o, err := newObserver(mp)
	if err != nil {
		return nil, err
	}
	return []healthreg.Option{healthreg.WithObserver(o.transition), healthreg.WithCheckObserver(o.check)}, nil
}

type observer struct {
	status      metric.Int64Gauge
	transitions metric.Int64Counter
	duration    metric.Float64Histogram
	failures    metric.Int64Counter
}

func newObserver(mp metric.MeterProvider) (*observer, error) {
	m := mp.Meter(ScopeName)
	var o observer
	var errs [4]error
	o.status, errs[0] = m.Int64Gauge(StatusMetric, metric.WithUnit("1"),
		metric.WithDescription("1 while the health-check name is SERVING, 0 otherwise."))
	o.transitions, errs[1] = m.Int64Counter(TransitionsMetric, metric.WithUnit("{transition}"),
		metric.WithDescription("Status changes of a health-check name, by new status."))
	o.duration, errs[2] = m.Float64Histogram(CheckDurationMetric, metric.WithUnit("s"),
		metric.WithDescription("Duration of health-check runs."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	o.failures, errs[3] = m.Int64Counter(CheckFailuresMetric, metric.WithUnit("{failure}"),
		metric.WithDescription("Failed health-check runs."))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return &o, nil
}

// transition is the healthreg.WithObserver callback.
func (o *observer) transition(t healthreg.Transition) {
	ctx := context.Background()
	name := NameKey.String(t.Name)
	var v int64
	if t.To == healthpb.HealthCheckResponse_SERVING {
		v = 1
	}
	o.status.Record(ctx, v, metric.WithAttributes(name))
	o.transitions.Add(ctx, 1, metric.WithAttributes(name, StatusKey.String(t.To.String())))
}

// check is the healthreg.WithCheckObserver callback.
func (o *observer) check(res healthreg.CheckResult) {
	ctx := context.Background()
	attrs := []attribute.KeyValue{ServiceKey.String(res.Service), CheckKey.String(res.Check)}
	if res.Err != nil {
		kind := ErrorOther
		if errors.Is(res.Err, context.DeadlineExceeded) {
			kind = ErrorTimeout
		}
		attrs = append(attrs, ErrorKey.String(kind))
		o.failures.Add(ctx, 1, metric.WithAttributes(attrs...))
	}
	o.duration.Record(ctx, res.Duration.Seconds(), metric.WithAttributes(attrs...))
}
