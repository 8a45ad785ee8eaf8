package gen

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "k8s.io/api/networking/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	k8sfield "k8s.io/apimachinery/pkg/util/validation/field"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// albProto has one service whose readiness timings are within the ALB's
// limits, so none is raised.
const albProto = `syntax = "proto3";
package shop;
option go_package = "example.com/shop;shop";
import "health/options/v1/options.proto";
service Cart {
  option (health.options.v1.service) = { port: 9000, readiness: { period_seconds: 10, timeout_seconds: 3, success_threshold: 3, failure_threshold: 4 } };
}
`

// decodeIngress decodes one generated ingress.yaml strictly into the
// networking.k8s.io/v1 type and validates its annotations as the API
// server does.
func decodeIngress(t *testing.T, content string) *networkingv1.Ingress {
	t.Helper()
	var ing networkingv1.Ingress
	if err := yaml.UnmarshalStrict([]byte(content), &ing); err != nil {
		t.Fatalf("ingress.yaml does not decode strictly into %T: %v\n%s", ing, err, content)
	}
	if ing.APIVersion != "networking.k8s.io/v1" || ing.Kind != "Ingress" {
		t.Errorf("ingress.yaml is %s %s", ing.APIVersion, ing.Kind)
	}
	if errs := apivalidation.ValidateAnnotations(ing.Annotations, k8sfield.NewPath("metadata", "annotations")); len(errs) > 0 {
		t.Errorf("annotations rejected: %v", errs)
	}
	return &ing
}

// The ALB's health check asks healthreg's readiness RPC on the port the
// kubelet's readiness probe dials, with its timings, and the Ingress sends
// traffic to the workload's Service on the application port.
func TestALBIngress(t *testing.T) {
	for _, tc := range []struct {
		name, params                 string
		port, backend, checkProtocol string
	}{
		{"app port", "emit=k8s,emit=alb", "9000", "HTTP", "HTTP"},
		{"plaintext health port of a TLS server", "emit=k8s,emit=alb,health_port=8081,tls=true", "8081", "HTTPS", "HTTP"},
		{"TLS app port", "emit=k8s,emit=alb,tls=true,probe=exec", "9000", "HTTPS", "HTTPS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := runPlugin(t, requestFor(t, tc.params, testProto{"shop/cart.proto", albProto}))
			ing := decodeIngress(t, files["shop-cart/ingress.yaml"])
			patch, err := decodePatch("Deployment", files["shop-cart/probes.yaml"])
			if err != nil {
				t.Fatalf("probes.yaml: %v", err)
			}
			var kust kusttypes.Kustomization
			if err := yaml.UnmarshalStrict([]byte(files["shop-cart/kustomization.yaml"]), &kust); err != nil {
				t.Fatalf("kustomization.yaml: %v", err)
			}

			readiness := patch.Spec.Template.Spec.Containers[0].ReadinessProbe
			probePort := ""
			if readiness.GRPC != nil {
				probePort = strconv.Itoa(int(readiness.GRPC.Port))
			} else {
				probePort = strings.TrimPrefix(flagValue(readiness.Exec.Command, "-addr="), ":")
			}
			if probePort != tc.port {
				t.Fatalf("the readiness probe dials %s, the case expects %s", probePort, tc.port)
			}
			want := map[string]string{
				"alb.ingress.kubernetes.io/target-type":                  "ip",
				"alb.ingress.kubernetes.io/listen-ports":                 `[{"HTTPS":443}]`,
				"alb.ingress.kubernetes.io/backend-protocol":             tc.backend,
				"alb.ingress.kubernetes.io/backend-protocol-version":     "GRPC",
				"alb.ingress.kubernetes.io/healthcheck-protocol":         tc.checkProtocol,
				"alb.ingress.kubernetes.io/healthcheck-port":             probePort,
				"alb.ingress.kubernetes.io/healthcheck-path":             "/health.status.v1.ReadinessService/Check",
				"alb.ingress.kubernetes.io/success-codes":                "0",
				"alb.ingress.kubernetes.io/healthcheck-interval-seconds": strconv.Itoa(int(readiness.PeriodSeconds)),
				"alb.ingress.kubernetes.io/healthcheck-timeout-seconds":  strconv.Itoa(int(readiness.TimeoutSeconds)),
				"alb.ingress.kubernetes.io/healthy-threshold-count":      strconv.Itoa(int(readiness.SuccessThreshold)),
				"alb.ingress.kubernetes.io/unhealthy-threshold-count":    strconv.Itoa(int(readiness.FailureThreshold)),
			}
			if d := cmp.Diff(want, ing.Annotations); d != "" {
				t.Errorf("annotations (-want +got):\n%s", d)
			}
			if ing.Name != "shop-cart" || ing.Spec.IngressClassName == nil || *ing.Spec.IngressClassName != "alb" {
				t.Errorf("Ingress %q of class %v, want shop-cart of class alb", ing.Name, ing.Spec.IngressClassName)
			}
			b := ing.Spec.DefaultBackend
			if b == nil || b.Service == nil || b.Service.Name != "shop-cart" || b.Service.Port.Number != 9000 {
				t.Errorf("default backend %+v, want Service shop-cart port 9000", b)
			}
			if !hasString(kust.Resources, "ingress.yaml") {
				t.Errorf("the kustomization does not list ingress.yaml: %v", kust.Resources)
			}

			// kustomize builds it along with the probes.
			fs := componentOverlay(files, "shop-cart", "deployment.yaml", mustYAML(t, userBase("shop-cart", "server")))
			var built networkingv1.Ingress
			builtObject(t, kustomizeBuild(t, fs, "overlay"), "Ingress", "shop-cart", &built)
			if d := cmp.Diff(ing.Annotations, built.Annotations); d != "" {
				t.Errorf("built Ingress annotations (-generated +built):\n%s", d)
			}
		})
	}
}

// flagValue returns the value of the argument that starts with prefix.
func flagValue(argv []string, prefix string) string {
	for _, a := range argv {
		if v, ok := strings.CutPrefix(a, prefix); ok {
			return v
		}
	}
	return ""
}

// Timings the ALB cannot take are errors that name the file and line, the
// option, the value, the workload and the limit; timings below its minimums
// are raised.
func TestALBTimings(t *testing.T) {
	src := func(readiness string) map[string]string {
		return map[string]string{"in/shop/cart.proto": `syntax = "proto3";
package shop;
option go_package = "example.com/shop;shop";
import "health/options/v1/options.proto";
service Cart {
  option (health.options.v1.service) = { readiness: { ` + readiness + ` } };
}
`}
	}
	for _, tc := range []struct{ readiness, want string }{
		{"period_seconds: 301, timeout_seconds: 2", `shop/cart.proto:6: service shop.Cart: option (health.options.v1.service).readiness.period_seconds = 301: workload "shop-cart": emit=alb: an ALB health check allows at most 300`},
		{"failure_threshold: 11", `shop/cart.proto:6: service shop.Cart: option (health.options.v1.service).readiness.failure_threshold = 11: workload "shop-cart": emit=alb: an ALB health check allows at most 10`},
		{"period_seconds: 5, timeout_seconds: 5", `shop/cart.proto:6: service shop.Cart: option (health.options.v1.service).readiness.timeout_seconds = 5: workload "shop-cart": emit=alb: an ALB health check needs a timeout shorter than its interval (5s)`},
		{"period_seconds: 1, timeout_seconds: 5", `an ALB health check needs a timeout shorter than its interval (5s)`},
	} {
		got := generateError(t, "emit=alb", src(tc.readiness))
		if !strings.Contains(got, tc.want) {
			t.Errorf("readiness {%s}: error\n%s\ndoes not contain\n%s", tc.readiness, got, tc.want)
		}
	}

	// Kubernetes' smallest values are raised to the ALB's minimums.
	files := runPlugin(t, requestFor(t, "emit=alb", testProto{"shop/cart.proto", strings.Replace(albProto,
		"period_seconds: 10, timeout_seconds: 3, success_threshold: 3, failure_threshold: 4",
		"period_seconds: 1, timeout_seconds: 1, success_threshold: 1, failure_threshold: 1", 1)}))
	ing := decodeIngress(t, files["shop-cart/ingress.yaml"])
	for key, want := range map[string]string{
		"healthcheck-interval-seconds": "5", "healthcheck-timeout-seconds": "2",
		"healthy-threshold-count": "2", "unhealthy-threshold-count": "2",
	} {
		if got := ing.Annotations["alb.ingress.kubernetes.io/"+key]; got != want {
			t.Errorf("%s = %q, want the ALB's minimum %q", key, got, want)
		}
	}
}
