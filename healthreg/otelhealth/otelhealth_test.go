package otelhealth_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/otelhealth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitTimeout = 10 * time.Second

// metrics reads everything recorded so far through the SDK's ManualReader.
type metrics struct {
	t      *testing.T
	reader *sdkmetric.ManualReader
}

func (m metrics) collect() map[string]metricdata.Metrics {
	m.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := m.reader.Collect(context.Background(), &rm); err != nil {
		m.t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != otelhealth.ScopeName {
			m.t.Errorf("scope %q, want %q", sm.Scope.Name, otelhealth.ScopeName)
		}
		for _, md := range sm.Metrics {
			out[md.Name] = md
		}
	}
	return out
}

// matches reports whether set holds every one of want (and, for a nil
// error.type, has none).
func matches(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// int64Point returns the value of an int64 gauge or sum at exactly attrs, or
// -1 if there is none.
func (m metrics) int64Point(name string, attrs ...attribute.KeyValue) int64 {
	m.t.Helper()
	var points []metricdata.DataPoint[int64]
	switch d := m.collect()[name].Data.(type) {
	case metricdata.Gauge[int64]:
		points = d.DataPoints
	case metricdata.Sum[int64]:
		points = d.DataPoints
	case nil:
		return -1
	default:
		m.t.Fatalf("%s is a %T", name, d)
	}
	for _, p := range points {
		if p.Attributes.Len() == len(attrs) && matches(p.Attributes, attrs) {
			return p.Value
		}
	}
	return -1
}

// histogramCount returns how many durations were recorded at exactly attrs.
func (m metrics) histogramCount(attrs ...attribute.KeyValue) uint64 {
	m.t.Helper()
	d, _ := m.collect()[otelhealth.CheckDurationMetric].Data.(metricdata.Histogram[float64])
	for _, p := range d.DataPoints {
		if p.Attributes.Len() == len(attrs) && matches(p.Attributes, attrs) {
			return p.Count
		}
	}
	return 0
}

func (m metrics) waitFor(what string, cond func() bool) {
	m.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			m.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A registry's life read back through the SDK: the status gauge per name,
// the transitions by new status, and the check's durations and failures
// with their error.type.
func TestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { mp.Shutdown(context.Background()) })
	m := metrics{t: t, reader: reader}

	opts, err := otelhealth.Options(mp)
	if err != nil {
		t.Fatal(err)
	}
	const (
		pass = iota
		fail
		hang
	)
	var mode atomic.Int32
	r := healthreg.New(append(opts,
		healthreg.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
		healthreg.WithDrainDelay(0),
		healthreg.WithChecks(healthreg.CheckSchedule{Interval: 10 * time.Millisecond}),
		healthreg.WithChecks(healthreg.CheckSchedule{Timeout: 50 * time.Millisecond}))...)
	r.Register("a.A", healthreg.WithCheck("db", func(ctx context.Context) error {
		switch mode.Load() {
		case fail:
			return errors.New("connection refused")
		case hang:
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}))

	name := func(n string) attribute.KeyValue { return otelhealth.NameKey.String(n) }
	status := func(n string) int64 { return m.int64Point(otelhealth.StatusMetric, name(n)) }
	// Observers are told asynchronously.
	for _, n := range []string{healthreg.LivenessName, healthreg.ReadinessName, "", "a.A"} {
		m.waitFor(fmt.Sprintf("before serving: %s{%q} 0", otelhealth.StatusMetric, n), func() bool { return status(n) == 0 })
	}

	r.SetLive(true)
	r.SetReady()
	// "" is the last name to come up, and observers hear of transitions in
	// order: once it is 1, so are the others.
	m.waitFor(`"" 1`, func() bool { return status("") == 1 })
	for _, n := range []string{healthreg.LivenessName, healthreg.ReadinessName, "a.A"} {
		if got := status(n); got != 1 {
			t.Errorf("ready: %s{%q} = %d, want 1", otelhealth.StatusMetric, n, got)
		}
	}
	check := []attribute.KeyValue{otelhealth.ServiceKey.String("a.A"), otelhealth.CheckKey.String("db")}
	m.waitFor("a passing run's duration", func() bool { return m.histogramCount(check...) > 0 })

	mode.Store(fail)
	other := append(check, otelhealth.ErrorKey.String(otelhealth.ErrorOther))
	m.waitFor("a.A 0", func() bool { return status("a.A") == 0 })
	if got := status(healthreg.ReadinessName); got != 0 {
		t.Errorf("a.A failing: readiness = %d, want 0", got)
	}
	// A result reaches the check observers before the transitions it
	// caused reach the transition observers, but the gauge may have been
	// read in between.
	m.waitFor("a failure counted", func() bool { return m.int64Point(otelhealth.CheckFailuresMetric, other...) >= 1 })
	m.waitFor("a failed run's duration", func() bool { return m.histogramCount(other...) >= 1 })

	mode.Store(hang)
	timeout := append(check, otelhealth.ErrorKey.String(otelhealth.ErrorTimeout))
	m.waitFor("a timeout failure", func() bool { return m.int64Point(otelhealth.CheckFailuresMetric, timeout...) >= 1 })

	mode.Store(pass)
	m.waitFor("a.A 1 again", func() bool { return status("a.A") == 1 })

	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{healthreg.LivenessName, healthreg.ReadinessName, "", "a.A"} {
		if got := status(n); got != 0 {
			t.Errorf("after Shutdown: %s{%q} = %d, want 0", otelhealth.StatusMetric, n, got)
		}
	}
	// liveness went NOT_SERVING at New and at Shutdown, SERVING once.
	trans := func(n, to string) int64 {
		return m.int64Point(otelhealth.TransitionsMetric, name(n), otelhealth.StatusKey.String(to))
	}
	if got := trans(healthreg.LivenessName, "NOT_SERVING"); got != 2 {
		t.Errorf("liveness transitions to NOT_SERVING = %d, want 2", got)
	}
	if got := trans(healthreg.LivenessName, "SERVING"); got != 1 {
		t.Errorf("liveness transitions to SERVING = %d, want 1", got)
	}

	// The documented units and kinds.
	all := m.collect()
	for metric, unit := range map[string]string{
		otelhealth.StatusMetric:        "1",
		otelhealth.TransitionsMetric:   "{transition}",
		otelhealth.CheckDurationMetric: "s",
		otelhealth.CheckFailuresMetric: "{failure}",
	} {
		if got := all[metric].Unit; got != unit {
			t.Errorf("%s unit = %q, want %q", metric, got, unit)
		}
	}
	for _, metric := range []string{otelhealth.TransitionsMetric, otelhealth.CheckFailuresMetric} {
		if s, ok := all[metric].Data.(metricdata.Sum[int64]); !ok || !s.IsMonotonic {
			t.Errorf("%s is not a monotonic counter: %T", metric, all[metric].Data)
		}
	}
}
