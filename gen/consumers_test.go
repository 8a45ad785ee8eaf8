package gen

import (
	"fmt"
	"path"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	networkingv1 "istio.io/api/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The CRD versions the consumer files are written for.
var (
	gkeCRD = func(t testing.TB) *crdValidator {
		return loadCRD(t, "networking.gke.io_healthcheckpolicies.yaml", "v1")
	}
	envoyCRD = func(t testing.TB) *crdValidator {
		return loadCRD(t, "gateway.envoyproxy.io_backendtrafficpolicies.yaml", "v1alpha1")
	}
)

const allConsumers = "emit=gke,emit=envoygateway,emit=istio,emit=compose"

// consumerCases are requests whose consumer files the tests decode: with
// emit=k8s too, so that each consumer is compared with the readiness probe
// of the same run.
var consumerCases = []struct{ name, params string }{
	{"k8s_default", "emit=k8s," + allConsumers},
	{"workload_two_files", "emit=k8s," + allConsumers},
	{"k8s_health_port", "emit=k8s," + allConsumers},
	{"k8s_probe_exec", "emit=k8s,probe=exec,tls=true," + "emit=envoygateway,emit=istio,emit=compose"},
	{"options_service_level", "emit=k8s," + allConsumers},
	{"scaffold_image_exec", "emit=k8s,scaffold=true,image=registry.example.com/app:v1," + allConsumers},
	{"k8s_default", "emit=k8s,names=overall," + allConsumers},
	{"workload_two_files", "emit=k8s,names=services,readiness_service=shop.Catalog," + allConsumers},
}

// destinationRule is Istio's DestinationRule object: its spec is decoded
// with protojson, which rejects unknown fields, into istio.io/api's type.
type destinationRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              map[string]any `json:"spec"`
}

func decodeDestinationRule(doc string) (*destinationRule, *networkingv1.DestinationRule, error) {
	var dr destinationRule
	if err := yaml.UnmarshalStrict([]byte(doc), &dr); err != nil {
		return nil, nil, err
	}
	if dr.APIVersion != "networking.istio.io/v1" || dr.Kind != "DestinationRule" {
		return nil, nil, fmt.Errorf("%s %s, want networking.istio.io/v1 DestinationRule", dr.APIVersion, dr.Kind)
	}
	spec, err := yaml.Marshal(dr.Spec)
	if err == nil {
		spec, err = yaml.YAMLToJSON(spec)
	}
	if err != nil {
		return nil, nil, err
	}
	var pb networkingv1.DestinationRule
	if err := (protojson.UnmarshalOptions{}).Unmarshal(spec, &pb); err != nil {
		return nil, nil, err
	}
	return &dr, &pb, nil
}

// readinessProbeOf decodes a workload's probes (probes.yaml or the
// scaffold's deployment.yaml) strictly and returns the readiness probe.
func readinessProbeOf(t *testing.T, files map[string]string, workload string) (*corev1.Probe, int32) {
	t.Helper()
	d := &appsv1.Deployment{}
	var err error
	if doc, ok := files[workload+"/probes.yaml"]; ok {
		d, err = decodePatch("Deployment", doc)
	} else {
		err = yaml.UnmarshalStrict([]byte(files[workload+"/deployment.yaml"]), d)
	}
	if err != nil {
		t.Fatalf("%s: %v", workload, err)
	}
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.ReadinessProbe == nil {
			continue
		}
		p := c.ReadinessProbe
		if p.GRPC != nil {
			return p, p.GRPC.Port
		}
		var port int32
		for _, a := range p.Exec.Command {
			if v, ok := strings.CutPrefix(a, "-addr=:"); ok {
				fmt.Sscan(v, &port)
			}
		}
		return p, port
	}
	t.Fatalf("%s: no readiness probe", workload)
	return nil, 0
}

func readinessService(p *corev1.Probe) string {
	if p.GRPC != nil {
		return *p.GRPC.Service
	}
	for _, a := range p.Exec.Command {
		if v, ok := strings.CutPrefix(a, "-service="); ok {
			return v
		}
	}
	return ""
}

// TestConsumerObjects decodes every generated consumer object the way its
// consumer does (GKE's and Envoy Gateway's CRD schemas with the API server's
// structural validation and CEL rules; Istio's Go types with protojson,
// strict) and checks that each targets the workload's Service and asks the
// name, port and timings of the workload's readiness probe.
func TestConsumerObjects(t *testing.T) {
	gke, envoy := gkeCRD(t), envoyCRD(t)
	for _, c := range consumerCases {
		t.Run(c.name+" "+c.params, func(t *testing.T) {
			files := runPlugin(t, buildRequest(t, "testdata/"+c.name, c.params))
			seen := 0
			for name, doc := range files {
				workload, base, ok := strings.Cut(name, "/")
				if !ok || strings.HasSuffix(name, ".go") {
					continue
				}
				if !userOwned(strings.Contains(c.params, "scaffold=true"), name) && !strings.HasPrefix(doc, generatedYAMLHeader) {
					t.Errorf("%s does not start with the generated header", name)
				}
				probe, port := readinessProbeOf(t, files, workload)
				r := probe
				service := readinessService(probe)
				switch base {
				case "healthcheckpolicy.yaml":
					seen++
					if err := gke.validate(doc); err != nil {
						t.Errorf("%s: GKE's schema rejects it: %v", name, err)
					}
					var o struct {
						Spec struct {
							Default struct {
								CheckIntervalSec, TimeoutSec, HealthyThreshold, UnhealthyThreshold int32
								Config                                                             struct {
									Type            string
									GRPCHealthCheck struct {
										PortSpecification string
										Port              int32
										GRPCServiceName   string
									}
								}
							}
							TargetRef struct{ Group, Kind, Name string }
						}
					}
					mustUnmarshal(t, doc, &o)
					d, g := o.Spec.Default, o.Spec.Default.Config.GRPCHealthCheck
					want := [...]any{"GRPC", "USE_FIXED_PORT", port, service, r.PeriodSeconds, r.TimeoutSeconds, r.SuccessThreshold, r.FailureThreshold, "", "Service", workload}
					got := [...]any{d.Config.Type, g.PortSpecification, g.Port, g.GRPCServiceName, d.CheckIntervalSec, d.TimeoutSec, d.HealthyThreshold, d.UnhealthyThreshold, o.Spec.TargetRef.Group, o.Spec.TargetRef.Kind, o.Spec.TargetRef.Name}
					if got != want {
						t.Errorf("%s: got %v, want %v", name, got, want)
					}
				case "backendtrafficpolicy.yaml":
					seen++
					if err := envoy.validate(doc); err != nil {
						t.Errorf("%s: Envoy Gateway's CRD rejects it: %v", name, err)
					}
					var o struct {
						Spec struct {
							TargetRefs  []struct{ Group, Kind, Name string }
							HealthCheck struct {
								PanicThreshold *int32
								Active         struct {
									Type                                 string
									GRPC                                 struct{ Service string }
									Interval, Timeout                    string
									HealthyThreshold, UnhealthyThreshold int32
									Overrides                            struct{ Port int32 }
								}
							}
						}
					}
					mustUnmarshal(t, doc, &o)
					a := o.Spec.HealthCheck.Active
					overridePort := port
					if a.Overrides.Port == 0 {
						overridePort = 0 // the endpoint's port: the application's, which the probe dials too
					}
					want := [...]any{"GRPC", service, GatewayDuration(r.PeriodSeconds), GatewayDuration(r.TimeoutSeconds), r.SuccessThreshold, r.FailureThreshold, overridePort}
					got := [...]any{a.Type, a.GRPC.Service, a.Interval, a.Timeout, a.HealthyThreshold, a.UnhealthyThreshold, a.Overrides.Port}
					if got != want {
						t.Errorf("%s: got %v, want %v", name, got, want)
					}
					if p := envoyPanicPercent(o.Spec.HealthCheck.PanicThreshold); p != 0 {
						t.Errorf("%s: Envoy's healthy panic threshold resolves to %v%%, want 0 (no traffic to failing endpoints, even when all fail)", name, p)
					}
					if len(o.Spec.TargetRefs) != 1 || o.Spec.TargetRefs[0].Name != workload || o.Spec.TargetRefs[0].Kind != "GRPCRoute" {
						t.Errorf("%s: targetRefs %v, want GRPCRoute %s", name, o.Spec.TargetRefs, workload)
					}
				case "destinationrule.yaml":
					seen++
					dr, pb, err := decodeDestinationRule(doc)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					od := pb.GetTrafficPolicy().GetOutlierDetection()
					want := [...]any{workload, workload, uint32(r.FailureThreshold), int64(r.PeriodSeconds), int64(r.PeriodSeconds * r.FailureThreshold)}
					got := [...]any{dr.Name, pb.GetHost(), od.GetConsecutiveGatewayErrors().GetValue(), od.GetInterval().GetSeconds(), od.GetBaseEjectionTime().GetSeconds()}
					if got != want {
						t.Errorf("%s: got %v, want %v", name, got, want)
					}
					if gw, other := istioEjection(od); gw != uint32(r.FailureThreshold) || other != 0 {
						t.Errorf("%s: Istio ejects after %d gateway errors and %d other 5xx, want %d and never", name, gw, other, r.FailureThreshold)
					}
				}
			}
			if seen == 0 {
				t.Fatal("no consumer object generated")
			}
		})
	}
}

// istioEjection resolves an OutlierDetection's consecutive-error rules the
// way istio/api documents them (networking/v1alpha3/destination_rule.proto):
// consecutive5xxErrors defaults to 5 and 0 disables it;
// consecutiveGatewayErrors is off when unset or 0; gateway errors (502, 503,
// 504: gRPC's UNAVAILABLE and DEADLINE_EXCEEDED) are 5xx too, so the lower
// enabled rule ejects on them. It returns how many gateway errors, and how
// many other 5xx (INTERNAL, UNKNOWN), in a row eject a pod; 0 is never.
func istioEjection(od *networkingv1.OutlierDetection) (gateway, other uint32) {
	fiveXX := uint32(5)
	if v := od.GetConsecutive_5XxErrors(); v != nil {
		fiveXX = v.GetValue()
	}
	gateway = od.GetConsecutiveGatewayErrors().GetValue()
	if fiveXX != 0 && (gateway == 0 || fiveXX < gateway) {
		gateway = fiveXX
	}
	return gateway, fiveXX
}

// envoyPanicPercent is the healthy panic threshold Envoy gets from a
// BackendTrafficPolicy's healthCheck.panicThreshold: Envoy Gateway v1.9's
// buildXdsCluster (internal/xds/translator/cluster.go) sets
// CommonLbConfig.HealthyPanicThreshold only when the field is set and not
// 50, and Envoy's default is 50%.
func envoyPanicPercent(p *int32) float64 {
	if p == nil {
		return 50
	}
	return float64(*p)
}

// TestIstioEjectionRule: for every failure_threshold Istio accepts in a row,
// the DestinationRule ejects a pod after exactly that many gateway errors
// and never for the application's own errors, as Istio resolves the fields.
// Without consecutive5xxErrors: 0, Istio's default of 5 would eject after 5
// errors of any 5xx kind, and cap the gateway rule at 5.
func TestIstioEjectionRule(t *testing.T) {
	for _, threshold := range []int32{1, 2, 3, 4, 5, 6, 10, 1000} {
		src := fmt.Sprintf(`syntax = "proto3";
package helloworld;
import "health/options/v1/options.proto";
service Greeter {
  option (health.options.v1.service) = { readiness: { failure_threshold: %d } };
}
`, threshold)
		files := runPlugin(t, requestFor(t, "emit=istio", testProto{"helloworld/greeter.proto", src}))
		doc := files["helloworld-greeter/destinationrule.yaml"]
		_, pb, err := decodeDestinationRule(doc)
		if err != nil {
			t.Fatalf("failure_threshold %d: %v", threshold, err)
		}
		if gw, other := istioEjection(pb.GetTrafficPolicy().GetOutlierDetection()); gw != uint32(threshold) || other != 0 {
			t.Errorf("failure_threshold %d: ejects after %d gateway errors, %d other 5xx; want %d, never", threshold, gw, other, threshold)
		}
		// The rule Istio keeps when the 5xx setting is left out.
		without := strings.Replace(doc, "      consecutive5xxErrors: 0\n", "", 1)
		if without == doc {
			t.Fatalf("failure_threshold %d: no consecutive5xxErrors: 0 line", threshold)
		}
		_, pb, err = decodeDestinationRule(without)
		if err != nil {
			t.Fatal(err)
		}
		if gw, other := istioEjection(pb.GetTrafficPolicy().GetOutlierDetection()); gw != uint32(min(threshold, 5)) || other != 5 {
			t.Errorf("failure_threshold %d without consecutive5xxErrors: resolved %d, %d; want %d, 5", threshold, gw, other, min(threshold, 5))
		}
	}
}

func mustUnmarshal(t *testing.T, doc string, v any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(doc), v); err != nil {
		t.Fatal(err)
	}
}

// TestConsumerValidatorsReject shows the validators above can fail: each
// broken object, one change away from a generated one, is rejected.
func TestConsumerValidatorsReject(t *testing.T) {
	files := runPlugin(t, buildRequest(t, "testdata/k8s_default", "emit="+EmitGKE+",emit=envoygateway,emit=istio"))
	hcp := files["helloworld-greeter/healthcheckpolicy.yaml"]
	btp := files["helloworld-greeter/backendtrafficpolicy.yaml"]
	dr := files["helloworld-greeter/destinationrule.yaml"]
	gke, envoy := gkeCRD(t), envoyCRD(t)
	for _, c := range []struct {
		name     string
		validate func(string) error
		doc      string
		old, new string
	}{
		{"gke unknown field", gke.validate, hcp, "grpcServiceName:", "serviceName:"},
		{"gke type", gke.validate, hcp, "type: GRPC", "type: GRPCS"},
		{"gke timeout over interval", gke.validate, hcp, "timeoutSec: 2", "timeoutSec: 6"},
		{"gke threshold", gke.validate, hcp, "unhealthyThreshold: 3", "unhealthyThreshold: 11"},
		{"envoy unknown field", envoy.validate, btp, "service:", "serviceName:"},
		{"envoy type", envoy.validate, btp, "type: GRPC", "type: GRPCS"},
		{"envoy target kind", envoy.validate, btp, "kind: GRPCRoute", "kind: Service"},
		{"envoy duration", envoy.validate, btp, "interval: 5s", "interval: five"},
		{"istio unknown field", func(d string) error { _, _, err := decodeDestinationRule(d); return err }, dr, "consecutiveGatewayErrors:", "consecutiveGatewayFailures:"},
		{"istio duration", func(d string) error { _, _, err := decodeDestinationRule(d); return err }, dr, "interval: 5s", "interval: five"},
	} {
		if err := c.validate(c.doc); err != nil {
			t.Fatalf("%s: the generated object is rejected: %v", c.name, err)
		}
		broken := strings.Replace(c.doc, c.old, c.new, 1)
		if broken == c.doc {
			t.Fatalf("%s: %q not in the object", c.name, c.old)
		}
		if err := c.validate(broken); err == nil {
			t.Errorf("%s: accepted", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// TestConsumerKustomize builds the scaffold and a Component overlay with
// the policies: kustomize lists them beside the Deployment, and the GKE
// policy targets the Service the scaffold builds.
func TestConsumerKustomize(t *testing.T) {
	files := runPlugin(t, buildRequest(t, "testdata/scaffold_placeholder", "emit=k8s,scaffold=true,"+allConsumers))
	fs := map[string]string{}
	for f, content := range files {
		fs["/app/"+f] = content
	}
	const name = "helloworld-greeter"
	m := kustomizeBuild(t, fs, "/app/"+name)
	if m.Size() != 5 {
		t.Errorf("scaffold build has %d resources, want 5 (Deployment, Service and three policies)", m.Size())
	}
	var svc corev1.Service
	builtObject(t, m, "Service", name, &svc)
	var hcp struct {
		metav1.TypeMeta   `json:",inline"`
		metav1.ObjectMeta `json:"metadata"`
		Spec              struct {
			Default   map[string]any                     `json:"default"`
			TargetRef struct{ Group, Kind, Name string } `json:"targetRef"`
		} `json:"spec"`
	}
	builtObject(t, m, "HealthCheckPolicy", name, &hcp)
	if hcp.Spec.TargetRef.Kind != "Service" || hcp.Spec.TargetRef.Name != svc.Name {
		t.Errorf("HealthCheckPolicy targets %v, want the scaffold's Service %s", hcp.Spec.TargetRef, svc.Name)
	}
	for _, r := range m.Resources() {
		if k := r.GetKind(); k == "BackendTrafficPolicy" || k == "DestinationRule" {
			if r.GetName() != name {
				t.Errorf("%s named %s, want %s", k, r.GetName(), name)
			}
		}
	}

	files = runPlugin(t, buildRequest(t, "testdata/k8s_default", "emit=k8s,emit=gke,emit=istio"))
	m = kustomizeBuild(t, componentOverlay(files, name, "deployment.yaml", mustYAML(t, userBase(name, "server"))), "overlay")
	kinds := map[string]bool{}
	for _, r := range m.Resources() {
		kinds[r.GetKind()] = true
	}
	if len(kinds) != 3 || !kinds["Deployment"] || !kinds["HealthCheckPolicy"] || !kinds["DestinationRule"] {
		t.Errorf("component build has kinds %v, want Deployment, HealthCheckPolicy and DestinationRule", kinds)
	}
}

// albNeedsHealthreg is emit=alb's error for a server without healthreg.
const albNeedsHealthreg = `workload "helloworld-greeter": emit=alb needs a healthreg server: an ALB sends an empty request, ` +
	`so against grpc.health.v1.Health/Check it could only ask "", which answers OK even while NOT_SERVING, ` +
	`and the readiness RPC it calls instead (/health.status.v1.ReadinessService/Check) is served only by healthreg; leave names unset and run healthreg, ` +
	`or drop emit=alb and give the target group a health check of your own that fails while the server is not ready`

// TestConsumerErrors: the consumer parameters that cannot work are errors
// naming the parameter and the way out, and nothing is written.
func TestConsumerErrors(t *testing.T) {
	const greeter = `service helloworld.Greeter: `
	// A timing is reported where its option was written.
	const greeterAt5 = `helloworld/greeter.proto:5: ` + greeter
	for _, c := range []struct{ params, want string }{
		{"emit=k8s,tls_server_name=a.example", `parameter tls_server_name=a.example: needs tls=true`},
		{"emit=k8s,probe=exec,tls=true,tls_ca_cert=/ca.pem", `parameter tls_ca_cert=/ca.pem: needs tls_server_name= (the name the certificate is verified against: a pod's certificate does not name localhost)`},
		{"emit=k8s,k8s_version=1.37", `parameter k8s_version=1.37: is only used with tls=true (it allows the kubelet's TLS grpc probes)`},
		{"emit=k8s,tls=true,k8s_version=2.0", `parameter k8s_version=2.0: must be a Kubernetes version 1.N, like 1.37`},
		{"emit=go,tls=true", `parameter tls=true: needs an emit= that writes probes or health checks (k8s, helm, gke, envoygateway, compose, alb)`},
		{"emit=k8s,tls=true,k8s_version=1.36", greeter + `parameter tls=true: workload "helloworld-greeter": the kubelet's grpc probes are plaintext before Kubernetes 1.37 (KEP-4939, alpha: feature gate GRPCContainerProbeTLS); use probe=exec (grpc_health_probe -tls), serve health on a plaintext health_port, or set k8s_version=1.37 for a cluster with the gate on`},
		{"emit=k8s,tls=true,k8s_version=1.37,tls_server_name=a.example", greeter + `parameter tls_server_name=a.example: workload "helloworld-greeter": the kubelet's grpc probe sends no server name; use probe=exec for a TLS server name`},
		{"emit=gke,tls=true", greeter + `parameter tls=true: workload "helloworld-greeter": GKE's GRPC health check (HealthCheckPolicy) is plaintext; serve health on a plaintext health_port for emit=gke`},
		// Envoy Gateway v1.9 checks overrides.port with the backend's TLS
		// (the translator's evidence is at the check in consumers.go).
		{"emit=envoygateway,tls=true,health_port=8081", greeter + `parameter tls=true: workload "helloworld-greeter": emit=envoygateway: Envoy Gateway's active health check reuses the backend's TLS (BackendTLSPolicy) on overrides.port, so it would fail against the plaintext health_port; leave health_port unset for emit=envoygateway (the check then asks the TLS application port)`},
		// emit=alb outside healthreg's naming, each mode.
		{"emit=k8s,emit=alb,names=services", `parameter names=services: ` + albNeedsHealthreg},
		{"emit=alb,names=overall", `parameter names=overall: ` + albNeedsHealthreg},
	} {
		t.Run(c.params, func(t *testing.T) {
			resp := Generate(buildRequest(t, "testdata/k8s_probe_exec", c.params))
			if resp.GetError() != c.want {
				t.Errorf("error:\n got %s\nwant %s", resp.GetError(), c.want)
			}
			if len(resp.GetFile()) != 0 {
				t.Errorf("%d files written with an error", len(resp.GetFile()))
			}
		})
	}
	// Envoy Gateway's longest duration.
	envoySrc := `syntax = "proto3";
package helloworld;
import "health/options/v1/options.proto";
service Greeter {
  option (health.options.v1.service) = { readiness: { period_seconds: 360000000 } };
}
`
	resp := Generate(requestFor(t, "emit=envoygateway", testProto{"helloworld/greeter.proto", envoySrc}))
	if want := greeterAt5 + `option (health.options.v1.service).readiness.period_seconds = 360000000: workload "helloworld-greeter": emit=envoygateway: Envoy Gateway's durations allow at most 359999999 seconds (99999h59m59s)`; resp.GetError() != want {
		t.Errorf("error:\n got %s\nwant %s", resp.GetError(), want)
	}
	// GKE's limits, from the options of a proto file.
	src := `syntax = "proto3";
package helloworld;
import "health/options/v1/options.proto";
service Greeter {
  option (health.options.v1.service) = { readiness: { period_seconds: 2, timeout_seconds: 3, failure_threshold: 12 } };
}
`
	resp = Generate(requestFor(t, "emit=gke", testProto{"helloworld/greeter.proto", src}))
	want := greeterAt5 + `option (health.options.v1.service).readiness.failure_threshold = 12: workload "helloworld-greeter": emit=gke: GKE's HealthCheckPolicy allows at most 10` + "\n" +
		greeterAt5 + `option (health.options.v1.service).readiness.timeout_seconds = 3: workload "helloworld-greeter": emit=gke: GKE's HealthCheckPolicy needs a timeout (3s) no longer than the period (2s)`
	if resp.GetError() != want {
		t.Errorf("error:\n got %s\nwant %s", resp.GetError(), want)
	}
	// A period under the default timeout: reported at the period, the
	// option that was written.
	src = strings.Replace(src, "period_seconds: 2, timeout_seconds: 3, failure_threshold: 12", "period_seconds: 1", 1)
	resp = Generate(requestFor(t, "emit=gke", testProto{"helloworld/greeter.proto", src}))
	want = greeterAt5 + `option (health.options.v1.service).readiness.period_seconds = 1: workload "helloworld-greeter": emit=gke: GKE's HealthCheckPolicy needs a timeout (2s) no longer than the period (1s)`
	if resp.GetError() != want {
		t.Errorf("error:\n got %s\nwant %s", resp.GetError(), want)
	}
}

// FuzzConsumerTimings: whatever readiness timings and ports the generator
// accepts, every consumer object it writes is one its consumer accepts (the
// limits the generator reports as errors are all of them).
func FuzzConsumerTimings(f *testing.F) {
	gke, envoy := gkeCRD(f), envoyCRD(f)
	// emits: a bit each for gke, envoygateway, istio and compose.
	f.Add(int32(0), int32(5), int32(2), int32(1), int32(3), int32(0), uint8(15))
	f.Add(int32(300), int32(300), int32(300), int32(10), int32(10), int32(8081), uint8(15))
	f.Add(int32(0), int32(99999), int32(99999), int32(1), int32(1), int32(0), uint8(14))
	f.Add(int32(0), int32(100000), int32(1), int32(1), int32(1), int32(0), uint8(2))
	f.Add(int32(1), int32(2147483647), int32(2147483647), int32(2147483647), int32(2147483647), int32(65535), uint8(15))
	f.Add(int32(0), int32(2147483647), int32(1), int32(1), int32(2), int32(0), uint8(4))
	f.Fuzz(func(t *testing.T, initialDelay, period, timeout, success, failure, healthPort int32, emits uint8) {
		src := fmt.Sprintf(`syntax = "proto3";
package fuzz.v1;
import "health/options/v1/options.proto";
service Svc {
  option (health.options.v1.service) = { readiness: { initial_delay_seconds: %d, period_seconds: %d, timeout_seconds: %d, success_threshold: %d, failure_threshold: %d } };
}
`, initialDelay, period, timeout, success, failure)
		params := "emit=k8s"
		for i, e := range []string{EmitGKE, EmitEnvoyGateway, EmitIstio, EmitCompose} {
			if emits&(1<<i) != 0 {
				params += ",emit=" + e
			}
		}
		if healthPort != 0 {
			params += fmt.Sprintf(",health_port=%d", healthPort)
		}
		resp := Generate(requestFor(t, params, testProto{"fuzz/v1/svc.proto", src}))
		if resp.Error != nil {
			return
		}
		for _, file := range resp.File {
			var err error
			switch path.Base(file.GetName()) {
			case "healthcheckpolicy.yaml":
				err = gke.validate(file.GetContent())
			case "backendtrafficpolicy.yaml":
				err = envoy.validate(file.GetContent())
			case "destinationrule.yaml":
				var pb interface {
					GetTrafficPolicy() *networkingv1.TrafficPolicy
				}
				if _, pb, err = decodeDestinationRule(file.GetContent()); err == nil {
					od := pb.GetTrafficPolicy().GetOutlierDetection()
					if od.GetInterval().AsDuration() <= 0 || od.GetBaseEjectionTime().AsDuration() <= 0 {
						err = fmt.Errorf("durations must be positive")
					}
				}
			}
			if err != nil {
				t.Errorf("%s is rejected by its consumer: %v\n%s", file.GetName(), err, file.GetContent())
			}
		}
	})
}

func TestGatewayDuration(t *testing.T) {
	for sec, want := range map[int32]string{0: "0s", 1: "1s", 59: "59s", 60: "1m", 61: "1m1s", 3600: "1h", 99999: "27h46m39s", 100000: "27h46m40s", maxGatewaySeconds: "99999h59m59s"} {
		if got := GatewayDuration(sec); got != want {
			t.Errorf("GatewayDuration(%d) = %q, want %q", sec, got, want)
		}
	}
}

// composeHeader reads the kubelet's syntax as the kubelet does
// (contract.RewriteKubelet) and writes what compose interpolates to the
// same text, a readable variable becoming compose's required one.
func TestComposeHeader(t *testing.T) {
	for in, want := range map[string]string{
		"x-tenant: probes":             "x-tenant: probes",
		"authorization: Bearer $(TOK)": "authorization: Bearer ${TOK:?TOK is the probe's rpc_header; set it for docker compose}",
		"a: $$(TOK) costs $5":          "a: $$(TOK) costs $$5",
		"a: $(a$$b)":                   "a: $$(a$$$$b)", // one name to the kubelet, not a shell variable: the kubelet leaves it
		"a: $(unclosed $$":             "a: $$(unclosed $$",
	} {
		if got := composeHeader(in); got != want {
			t.Errorf("composeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}
