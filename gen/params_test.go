package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

func TestParseParams(t *testing.T) {
	vals := func(kv ...any) *Params {
		p := &Params{values: map[string]any{}}
		for i := 0; i < len(kv); i += 2 {
			p.values[kv[i].(string)] = kv[i+1]
		}
		return p
	}
	tests := []struct {
		param   string
		want    *Params
		wantErr string
	}{
		{param: "", want: vals()},
		{param: "paths=source_relative", want: vals()},
		{param: "emit=k8s", want: vals("emit", emitSet{EmitK8s: true})},
		{param: "emit=go,emit=k8s", want: vals("emit", emitSet{EmitGo: true, EmitK8s: true})},
		{param: "emit=k8s,emit=k8s", want: vals("emit", emitSet{EmitK8s: true})},
		{
			param: "emit=k8s,module=example.com,Mfoo.proto=example.com/foo,workload=shop,port=8080,health_port=8081," +
				"probe=exec,probe_bin=/probe,container=app,startup_seconds=90,scaffold=true,image=img:v1,drain_seconds=0,stop_seconds=30," +
				"names=overall,tls=true,k8s_version=v1.37.2",
			want: vals("emit", emitSet{EmitK8s: true}, "workload", "shop", "port", int32(8080), "health_port", int32(8081),
				"probe", probeExec, "probe_bin", "/probe", "container", "app", "startup_seconds", int32(90), "scaffold", true,
				"image", "img:v1", "drain_seconds", int32(0), "stop_seconds", int32(30), "names", contract.NamesOverall,
				"tls", true, "k8s_version", 37),
		},
		// Values that parse are checked later, with the options: a
		// negative port is a number here.
		{param: "port=-1", want: vals("port", int32(-1))},
		{param: "probe_bin=", want: vals("probe_bin", "")},

		// Per-service parameters survive protogen's comma split: the key
		// holds the full name's dots, the value what follows the '='.
		{
			param: "emit=k8s,service.shop.v1.Cart.workload=cart,kind=StatefulSet,service.shop.v1.Cart.port=7070,service.Ads.kind=DaemonSet",
			want: func() *Params {
				p := vals("emit", emitSet{EmitK8s: true}, "kind", kindStatefulSet)
				p.Services = []*ServiceParams{
					{FullName: "shop.v1.Cart", values: map[string]any{"workload": "cart", "port": int32(7070)}, written: []string{"workload", "port"}},
					{FullName: "Ads", values: map[string]any{"kind": kindDaemonSet}, written: []string{"kind"}},
				}
				return p
			}(),
		},
		{param: "kind=Job", wantErr: `parameter kind=Job: must be "Deployment", "StatefulSet" or "DaemonSet"`},
		{param: "service.shop.v1.Cart.kind=deployment", wantErr: `parameter service.shop.v1.Cart.kind=deployment: must be "Deployment", "StatefulSet" or "DaemonSet"`},
		{param: "service.shop.v1.Cart.port=x", wantErr: "parameter service.shop.v1.Cart.port=x: not a whole number"},
		{param: "service.shop.v1.Cart.port=1,service.shop.v1.Cart.port=1", wantErr: "parameter service.shop.v1.Cart.port=1: service.shop.v1.Cart.port= is already given (service.shop.v1.Cart.port=1); give each parameter once (only emit= or rpc_header= may repeat)"},
		{param: "service.Cart=x", wantErr: "parameter service.Cart=x: " + serviceParamSyntax},
		{param: "service.shop.v1.Cart.emit=k8s", wantErr: "parameter service.shop.v1.Cart.emit=k8s: " + serviceParamSyntax},
		{param: "service.shop..Cart.port=1", wantErr: "parameter service.shop..Cart.port=1: " + serviceParamSyntax},
		{param: "service.shop.1v.Cart.port=1", wantErr: "parameter service.shop.1v.Cart.port=1: " + serviceParamSyntax},
		{param: "bogus=1", wantErr: `unknown parameter "bogus" ` + knownParamList},
		{param: "Emit=go", wantErr: `unknown parameter "Emit" ` + knownParamList},
		{param: "emit=go+k8s", wantErr: `parameter emit=go+k8s: must be one of go, k8s, helm, gke, envoygateway, istio, compose, alb, node, python, register (repeat emit= for several: plugin parameters are split on commas)`},
		{param: "emit", wantErr: `parameter emit=: must be one of go, k8s, helm, gke, envoygateway, istio, compose, alb, node, python, register (repeat emit= for several: plugin parameters are split on commas)`},
		{param: "probe=GRPC", wantErr: `parameter probe=GRPC: must be "grpc" or "exec"`},
		{param: "port=http", wantErr: "parameter port=http: not a whole number"},
		{param: "port=8080.5", wantErr: "parameter port=8080.5: not a whole number"},
		{param: "startup_seconds=", wantErr: "parameter startup_seconds=: not a whole number"},
		{param: "drain_seconds=3000000000", wantErr: "parameter drain_seconds=3000000000: out of range for a 32-bit whole number"},
		{param: "scaffold=yes", wantErr: "parameter scaffold=yes: must be true or false"},
		{param: "paths=relative", wantErr: `unknown path type "relative": want "import" or "source_relative"`},
		{param: "module=x,paths=source_relative", wantErr: "cannot use module= with paths=source_relative"},
	}
	for _, tc := range tests {
		t.Run(tc.param, func(t *testing.T) {
			got, err := parseParams(tc.param)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("parseParams(%q) error = %v, want %q", tc.param, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseParams(%q): %v", tc.param, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Params{}, ServiceParams{})); diff != "" {
				t.Errorf("parseParams(%q) (-want +got):\n%s", tc.param, diff)
			}
		})
	}
}

func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// serviceParamSyntax is the error of a malformed per-service parameter,
// which lists the settings of the table that may be written per service.
var serviceParamSyntax = "a per-service parameter is service.<full.Name>.<field>=value, with the service's full name " +
	"(such as service.acme.shop.v1.Cart.port=8080) and field one of " + strings.Join(settingNames(inServiceParam), ", ")

var dns1035 = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)

func TestDefaultWorkloadName(t *testing.T) {
	const long = "com.example.platform.observability.telemetry.ingestion.v1alpha1.HighThroughputMetricsIngestionService"
	tests := []struct{ fullName, want string }{
		{"helloworld.Greeter", "helloworld-greeter"},
		{"Greeter", "greeter"},
		{"shop.v1.CartService", "shop-v1-cart-service"},
		{"shop.v1.cartService", "shop-v1-cart-service"},
		{"foo.BarBaz", "foo-bar-baz"},
		{"foo.bar_baz", "foo-bar-baz"},
		{"foo.bar__baz", "foo-bar-baz"},
		{"acme.HTTPServer", "acme-http-server"},
		{"acme.GRPC", "acme-grpc"},
		{"acme.v1beta1.S3Bucket", "acme-v1beta1-s3-bucket"},
		{"acme.Service2Go", "acme-service2-go"},
		{"_internal.Admin", "internal-admin"},
		{"_Admin", "admin"},
		{"1st.Admin", "svc-1st-admin"},
		{"9", "svc-9"},
		{"___", "svc"},
		// Shortened to whole words: the service's own, the package's version
		// and the package's other words that fit, nearest the service
		// first, in order; then a hash of the full name.
		{long, "com-v1alpha1-high-throughput-metrics-ingestion-service-b255e1ad"},
		{long + "V2", "v1alpha1-high-throughput-metrics-ingestion-service-v2-3acbcfb0"},
		{"google.cloud.videointelligence.v1p1beta1.VideoIntelligenceService", "videointelligence-v1p1beta1-video-intelligence-service-c3ba4526"},
		{"google.cloud.videointelligence.v1beta2.VideoIntelligenceService", "videointelligence-v1beta2-video-intelligence-service-aab88f61"},
		{"google.marketingplatform.admin.v1alpha.MarketingplatformAdminService", "google-admin-v1alpha-marketingplatform-admin-service-387fd608"},
		{"google.ads.googleads.v17.services.ConversionAdjustmentUploadService", "ads-v17-services-conversion-adjustment-upload-service-61797d9a"},
		{strings.Repeat("a", 53) + ".B" + strings.Repeat("c", 20), "b" + strings.Repeat("c", 20) + "-23fb202b"},
		// A word longer than the whole budget is the one cut.
		{"p." + strings.Repeat("X", 70), strings.Repeat("x", 54) + "-" + hash8("p."+strings.Repeat("X", 70))},
		{"acme.v2.APIv2", "acme-v2-apiv2"},
	}
	for _, tc := range tests {
		t.Run(tc.fullName, func(t *testing.T) {
			got := defaultWorkloadName(tc.fullName)
			if got != tc.want {
				t.Errorf("defaultWorkloadName(%q) = %q, want %q", tc.fullName, got, tc.want)
			}
			if !dns1035.MatchString(got) || dns1035Label(got) != "" {
				t.Errorf("defaultWorkloadName(%q) = %q is not a DNS-1035 label", tc.fullName, got)
			}
		})
	}
}
