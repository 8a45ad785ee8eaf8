package gen

// emit=alb: an Ingress for the AWS Load Balancer Controller whose target
// group health check is a gRPC call an ALB can judge. An ALB sends its gRPC
// health check with an empty body and accepts a target by the status code
// alone, so grpc.health.v1.Health/Check would ask about "" and pass on
// NOT_SERVING. It calls healthreg's readiness RPC instead, which fails
// (UNAVAILABLE) while the process is not ready.

// ALBHealthCheckPath is the method the ALB calls: healthreg's readiness RPC
// (proto/health/status/v1/status.proto; statuspb's
// ReadinessService_Check_FullMethodName). The examples
// module asserts the two agree, since the root module cannot import
// healthreg.
const ALBHealthCheckPath = "/health.status.v1.ReadinessService/Check"

// Limits of an ALB target group's health check. Kubernetes' own minimums
// (a threshold of 1, a period of 1s) lie below them, so smaller values are
// raised to the minimum; larger ones are errors, since lowering them would
// make the check less patient than asked (checkConsumers reports them).
const (
	albMinInterval, albMaxInterval   = 5, 300
	albMinTimeout, albMaxTimeout     = 2, 120
	albMinThreshold, albMaxThreshold = 2, 10
)

// ALBHealthCheck is the target group health check of emit=alb, from the
// workload's readiness probe.
type ALBHealthCheck struct {
	Path                string // ALBHealthCheckPath
	Port                int32  // the probes' port: the health port if any
	Protocol            string // HTTP, or HTTPS when the checked port is TLS
	BackendProtocol     string // HTTP, or HTTPS when the application port is TLS (tls=true)
	IntervalSeconds     int32
	TimeoutSeconds      int32
	HealthyThreshold    int32
	UnhealthyThreshold  int32
	ServicePort         int32 // the Service port the Ingress sends traffic to
	RaisedToALBMinimums bool  // a timing was raised to the ALB's minimum
}

// The ALB's minimums, which the Ingress's comment names when
// RaisedToALBMinimums.
func (*ALBHealthCheck) MinIntervalSeconds() int32 { return albMinInterval }
func (*ALBHealthCheck) MinTimeoutSeconds() int32  { return albMinTimeout }
func (*ALBHealthCheck) MinThreshold() int32       { return albMinThreshold }

// albHealthCheck derives the ALB's health check from w's readiness probe;
// tls is the tls= parameter (the application port serves TLS).
func albHealthCheck(w *Workload, tls bool) *ALBHealthCheck {
	r := w.Readiness
	a := &ALBHealthCheck{
		Path:               ALBHealthCheckPath,
		Port:               w.ProbePort(),
		Protocol:           "HTTP",
		BackendProtocol:    "HTTP",
		IntervalSeconds:    max(r.PeriodSeconds, albMinInterval),
		TimeoutSeconds:     max(r.TimeoutSeconds, albMinTimeout),
		HealthyThreshold:   max(r.SuccessThreshold, albMinThreshold),
		UnhealthyThreshold: max(r.FailureThreshold, albMinThreshold),
		ServicePort:        w.Port,
	}
	a.RaisedToALBMinimums = a.IntervalSeconds != r.PeriodSeconds || a.TimeoutSeconds != r.TimeoutSeconds ||
		a.HealthyThreshold != r.SuccessThreshold || a.UnhealthyThreshold != r.FailureThreshold
	if tls {
		a.BackendProtocol = "HTTPS"
	}
	if w.TLS {
		a.Protocol = "HTTPS"
	}
	return a
}
