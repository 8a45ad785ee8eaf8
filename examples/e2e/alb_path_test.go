package e2e

import (
	"testing"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/statuspb"
)

// TestALBPathAgrees keeps the method emit=alb's Ingress tells the ALB to
// call (the generator cannot import the runtime) equal to the readiness RPC
// the runtime serves.
func TestALBPathAgrees(t *testing.T) {
	if gen.ALBHealthCheckPath != statuspb.ReadinessService_Check_FullMethodName {
		t.Errorf("gen.ALBHealthCheckPath %q, statuspb.ReadinessService_Check_FullMethodName %q", gen.ALBHealthCheckPath, statuspb.ReadinessService_Check_FullMethodName)
	}
}
