package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	composetypes "github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/protoc-gen-health/protoc-gen-health/examples/helloworld/gen/helloworld"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/internal/probepatch"
)

// helloworldWorkload is the workload buf.gen.yaml writes helloworld's
// manifests, policies and compose file under.
const helloworldWorkload = "helloworld-greeter"

// loadCompose loads the generated compose file with compose-go, the loader
// docker compose itself uses (schema validation included), in both ways the
// file's header suggests: merged into a base file that gives the service an
// image (`docker compose -f base -f generated`), and extended by a service
// of the user's file (`extends:`). Both must give the same healthcheck; it
// returns the merged service.
func loadCompose(t *testing.T, generated string) composetypes.ServiceConfig {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := write("compose.yaml", "services:\n  "+helloworldWorkload+":\n    image: helloworld:dev\n")
	extending := write("extends.yaml", "services:\n  app:\n    image: helloworld:dev\n    extends:\n      file: "+
		strconv.Quote(generated)+"\n      service: "+helloworldWorkload+"\n")
	load := func(files []string, service string) composetypes.ServiceConfig {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		defer cancel()
		details, err := loader.LoadConfigFiles(ctx, files, dir)
		if err != nil {
			t.Fatal(err)
		}
		// Variables compose would substitute for an unescaped $HOME or
		// $USER in the file (TestComposeKeepsDollars).
		// PROBE_TOKEN: the secret an rpc_header takes from the environment
		// of docker compose up (TestTokenExecProbesWithGRPCHealthProbe).
		details.Environment = composetypes.Mapping{"HOME": "/home/compose", "USER": "compose", "PROBE_TOKEN": probeToken}
		project, err := loader.LoadWithContext(ctx, *details, func(o *loader.Options) { o.SetProjectName("e2e", true) })
		if err != nil {
			t.Fatalf("compose-go rejects %s: %v", files, err)
		}
		svc, ok := project.Services[service]
		if !ok || svc.HealthCheck == nil {
			t.Fatalf("%s: no service %q with a healthcheck", files, service)
		}
		return svc
	}
	merged := load([]string{base, generated}, helloworldWorkload)
	extended := load([]string{extending}, "app")
	if diff := cmp.Diff(merged.HealthCheck, extended.HealthCheck); diff != "" {
		t.Errorf("the healthcheck merged with -f and the one inherited with extends differ (-merged +extended):\n%s", diff)
	}
	return merged
}

// composeProbe is the compose healthcheck as the exec probe it is: its
// command after "CMD", bounded by its timeout.
func composeProbe(t *testing.T, hc *composetypes.HealthCheckConfig) *corev1.Probe {
	t.Helper()
	if len(hc.Test) < 2 || hc.Test[0] != "CMD" {
		t.Fatalf("healthcheck test %q: want [CMD grpc_health_probe ...] (exec form, no shell)", hc.Test)
	}
	p := execProbe(hc.Test[1:])
	p.TimeoutSeconds = int32(time.Duration(*hc.Timeout) / time.Second)
	return p
}

// TestComposeHealthcheckWithGRPCHealthProbe loads helloworld's generated
// compose file with compose-go, checks its timings against the readiness and
// startup probes of the same run, and runs its healthcheck command with the
// real grpc_health_probe against the helloworld server: failing before the
// server listens, passing once it is ready, failing once it drains.
func TestComposeHealthcheckWithGRPCHealthProbe(t *testing.T) {
	t.Parallel()
	ex := exampleNamed(t, "helloworld")
	svc := loadCompose(t, filepath.Join(ex.dir(), "deploy", helloworldWorkload, "compose.yaml"))
	hc := svc.HealthCheck

	var d *deploymentProbes
	for _, p := range loadProbes(t, ex) {
		if strings.Contains(p.path, helloworldWorkload) {
			d = &p
		}
	}
	if d == nil {
		t.Fatalf("no probes.yaml of %s", helloworldWorkload)
	}
	r, s := d.readiness, d.startup
	seconds := func(n int32) composetypes.Duration { return composetypes.Duration(time.Duration(n) * time.Second) }
	for _, c := range []struct {
		what      string
		got, want composetypes.Duration
	}{
		{"interval", *hc.Interval, seconds(r.PeriodSeconds)},
		{"timeout", *hc.Timeout, seconds(r.TimeoutSeconds)},
		{"start_period", *hc.StartPeriod, seconds(s.InitialDelaySeconds + s.PeriodSeconds*s.FailureThreshold)},
		{"start_interval", *hc.StartInterval, seconds(s.PeriodSeconds)},
	} {
		if c.got != c.want {
			t.Errorf("healthcheck %s = %v, want %v (from the probes of the same run)", c.what, time.Duration(c.got), time.Duration(c.want))
		}
	}
	if *hc.Retries != uint64(r.FailureThreshold) {
		t.Errorf("healthcheck retries = %d, want the readiness failureThreshold %d", *hc.Retries, r.FailureThreshold)
	}
	probe := composeProbe(t, hc)
	if got, want := targetOf(t, probe).Service, targetOf(t, r).Service; got != want {
		t.Errorf("healthcheck asks %q, the readiness probe %q", got, want)
	}

	// Nothing listens yet on a port just closed: the healthcheck fails.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := portOf(t, lis.Addr().String())
	lis.Close()
	if res := kubeletProbe(t, probe, map[int32]int32{ex.appPort: closed}); res.ok {
		t.Errorf("healthcheck with no server: %v, want a failure", res)
	}

	srv := startServer(t, ex, "-addr=127.0.0.1:0", "-drain="+drain.String())
	ports := map[int32]int32{ex.appPort: portOf(t, srv.Addr)}
	probePasses(t, "the compose healthcheck to pass", probe, ports)
	srv.sigterm()
	eventually(t, notReadyDeadline+rpcTimeout, "the compose healthcheck to fail while draining", func() (bool, string) {
		res := kubeletProbe(t, probe, ports)
		return res.exitCode == probeNotServing, res.String()
	})
}

// TestComposeKeepsDollars: compose interpolates $VAR and ${VAR} in every
// value of its files, so the generator doubles each "$" of the healthcheck;
// compose-go, loading the file with HOME and USER set, gives the probe the
// values as the user wrote them, as the Kubernetes exec probe has them.
func TestComposeKeepsDollars(t *testing.T) {
	t.Parallel()
	const ca, serverName = "${HOME}/ca.pem", "$USER.example"
	files := generateHelloworld(t, "emit=k8s,emit=compose,probe=exec,tls=true,tls_ca_cert="+ca+",tls_server_name="+serverName)
	generated := files[helloworldWorkload+"/compose.yaml"]
	if !strings.Contains(generated, `"-tls-ca-cert=$${HOME}/ca.pem"`) {
		t.Errorf("compose.yaml does not double the $ of tls_ca_cert:\n%s", generated)
	}
	composeFile := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(composeFile, []byte(generated), 0o644); err != nil {
		t.Fatal(err)
	}
	got := composeProbe(t, loadCompose(t, composeFile).HealthCheck).Exec.Command
	want := probedContainer(t, files).ReadinessProbe.Exec.Command
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("compose's healthcheck command differs from the readiness probe's (-probe +compose):\n%s", diff)
	}
	for _, arg := range []string{"-tls-ca-cert=" + ca, "-tls-server-name=" + serverName} {
		if !slices.Contains(got, arg) {
			t.Errorf("compose's healthcheck command %q lacks %q", got, arg)
		}
	}
}

// TestTLSExecProbesWithGRPCHealthProbe generates helloworld's probes and
// compose file with tls=true, serves the generated registration on a TLS
// server with a self-signed certificate, and runs every probe with the real
// grpc_health_probe: each passes. Without -tls they fail: the flags are what
// make a TLS port probeable. Twice: without verification (tls=true alone),
// and verifying the certificate against tls_server_name= with tls_ca_cert=,
// where the probe must send the name and fails without the CA.
func TestTLSExecProbesWithGRPCHealthProbe(t *testing.T) {
	t.Parallel()
	const serverName = "greeter.example.com"
	cert := selfSignedCert(t, serverName)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sniSeen []string
	addr := serveTLS(t, &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			mu.Lock()
			sniSeen = append(sniSeen, hello.ServerName)
			mu.Unlock()
			return &cert, nil
		},
	})
	ports := map[int32]int32{50051: portOf(t, addr)}

	for _, tc := range []struct {
		name, params string
		unverified   bool // also fails without what verifies it
		drop         func(arg string) bool
	}{
		{name: "no-verify", params: "tls=true", drop: func(a string) bool { return a == "-tls-no-verify" }},
		{name: "server name", params: "tls=true,tls_server_name=" + serverName + ",tls_ca_cert=" + caFile, drop: func(a string) bool { return strings.HasPrefix(a, "-tls-ca-cert=") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			sniSeen = nil
			mu.Unlock()
			probes, _ := execProbes(t, "emit=k8s,emit=compose,probe=exec,"+tc.params)
			for _, what := range probeOrder {
				p := probes[what]
				probePasses(t, what+" probe over TLS to pass", p, ports)
				plaintext := withoutArgs(p, func(a string) bool { return strings.HasPrefix(a, "-tls") })
				if res := kubeletProbe(t, plaintext, ports); res.ok {
					t.Errorf("%s probe without -tls passed against a TLS port: %v", what, res)
				}
				if res := kubeletProbe(t, withoutArgs(p, tc.drop), ports); res.ok {
					t.Errorf("%s probe without what trusts the self-signed certificate passed: %v", what, res)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if tc.name == "server name" && !slices.Contains(sniSeen, serverName) {
				t.Errorf("no probe sent server name %q (seen %q)", serverName, sniSeen)
			}
		})
	}
}

// probedContainer is the container of helloworld's generated probes.yaml
// (the Component's patch), with its probes.
func probedContainer(t *testing.T, files map[string]string) corev1.Container {
	t.Helper()
	var dep appsv1.Deployment
	data, err := probepatch.StripReplace([]byte(files[helloworldWorkload+"/probes.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &dep); err != nil {
		t.Fatal(err)
	}
	return dep.Spec.Template.Spec.Containers[0]
}

// serveTLS serves helloworld's generated registration over TLS on loopback
// until the test ends, and returns its address.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return serveGreeter(t, grpc.Creds(credentials.NewTLS(cfg)))
}

// serveGreeter serves helloworld's generated registration with opts on
// loopback until the test ends, and returns its address.
func serveGreeter(t *testing.T, opts ...grpc.ServerOption) string {
	t.Helper()
	reg := healthreg.New(healthreg.WithDrainDelay(0), healthreg.WithLogger(slog.New(slog.DiscardHandler)))
	srv := grpc.NewServer(opts...)
	helloworld.RegisterGreeterServer(srv, greeter{})
	helloworld.RegisterGreeterHealth(reg)
	reg.RegisterHealthService(srv)
	lis := listen(t)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- reg.Serve(ctx, srv, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// withoutArgs returns a copy of the exec probe p without the arguments drop
// matches.
func withoutArgs(p *corev1.Probe, drop func(arg string) bool) *corev1.Probe {
	q := p.DeepCopy()
	q.Exec.Command = slices.DeleteFunc(q.Exec.Command, drop)
	return q
}

// TestServiceConfigNamesReadiness checks the generated gRFC A17 service
// config: grpc-go accepts it, and it health-checks the name helloworld's
// readiness probe asks, with round_robin. The rollout test runs clients
// with it through a rolling update.
func TestServiceConfigNamesReadiness(t *testing.T) {
	t.Parallel()
	var cfg struct {
		LoadBalancingConfig []map[string]json.RawMessage `json:"loadBalancingConfig"`
		HealthCheckConfig   struct {
			ServiceName string `json:"serviceName"`
		} `json:"healthCheckConfig"`
	}
	dec := json.NewDecoder(strings.NewReader(helloworld.Greeter_ServiceConfig))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.LoadBalancingConfig) != 1 || cfg.LoadBalancingConfig[0]["round_robin"] == nil {
		t.Errorf("loadBalancingConfig = %v, want round_robin alone", cfg.LoadBalancingConfig)
	}
	ex := exampleNamed(t, "helloworld")
	for _, d := range loadProbes(t, ex) {
		if got, want := cfg.HealthCheckConfig.ServiceName, targetOf(t, d.readiness).Service; got != want {
			t.Errorf("%s: the service config checks %q, the readiness probe asks %q", d.path, got, want)
		}
	}
	cc, err := grpc.NewClient("passthrough:///unused", grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{})),
		grpc.WithDefaultServiceConfig(helloworld.Greeter_ServiceConfig))
	if err != nil {
		t.Fatalf("grpc-go rejects the generated service config: %v", err)
	}
	cc.Close()
	if _, err := grpc.NewClient("passthrough:///unused", grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{})),
		grpc.WithDefaultServiceConfig(`{"healthCheckConfig":{"serviceName":1}}`)); err == nil {
		t.Error("grpc-go accepted a malformed service config: the check above proves nothing")
	}
}

// generateHelloworld runs the generator on helloworld's proto with
// parameter and returns the files by name.
func generateHelloworld(t *testing.T, parameter string) map[string]string {
	t.Helper()
	return generateFiles(t, exampleNamed(t, "helloworld"), []string{"helloworld/helloworld.proto"}, parameter)
}

// selfSignedCert returns an ECDSA certificate for name, signed by itself.
func selfSignedCert(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
