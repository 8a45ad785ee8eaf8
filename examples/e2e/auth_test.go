package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// probeToken is the secret of the token tests: the kubelet expands it into
// the probes from the container's env, compose from its own environment.
const probeToken = "t0ken-from-a-secret"

// execProbes generates helloworld with parameter and returns its
// startup, liveness and readiness probes and its compose healthcheck as an
// exec probe (compose's interpolation done, by compose-go).
func execProbes(t *testing.T, parameter string) (map[string]*corev1.Probe, map[string]string) {
	t.Helper()
	files := generateHelloworld(t, parameter)
	c := probedContainer(t, files)
	composeFile := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(composeFile, []byte(files[helloworldWorkload+"/compose.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]*corev1.Probe{
		"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe,
		"compose": composeProbe(t, loadCompose(t, composeFile).HealthCheck),
	}, files
}

var probeOrder = []string{"startup", "liveness", "readiness", "compose"}

// TestMTLSExecProbesWithGRPCHealthProbe: a server that requires a client
// certificate signed by its CA passes every generated probe (tls_client_cert=,
// tls_client_key=) run with the real grpc_health_probe, and fails each
// without the client certificate or with one its CA did not sign.
func TestMTLSExecProbesWithGRPCHealthProbe(t *testing.T) {
	t.Parallel()
	const serverName = "greeter.example.com"
	dir := t.TempDir()
	ca := newCA(t, "probe-test-ca")
	other := newCA(t, "another-ca")
	serverCert := ca.issue(t, serverName, x509.ExtKeyUsageServerAuth)
	caFile := writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.cert.Raw)
	certFile, keyFile := ca.issueFiles(t, dir, "client")
	otherCert, otherKey := other.issueFiles(t, dir, "stranger")
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	addr := serveTLS(t, &tls.Config{
		MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{serverCert},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool,
	})
	ports := map[int32]int32{50051: portOf(t, addr)}
	probes, _ := execProbes(t, "emit=k8s,emit=compose,probe=exec,tls=true,tls_server_name="+serverName+
		",tls_ca_cert="+caFile+",tls_client_cert="+certFile+",tls_client_key="+keyFile)
	for _, what := range probeOrder {
		p := probes[what]
		probePasses(t, what+" probe with a client certificate to pass", p, ports)
		noCert := withoutArgs(p, func(a string) bool { return strings.HasPrefix(a, "-tls-client-") })
		if res := kubeletProbe(t, noCert, ports); res.ok {
			t.Errorf("%s probe without a client certificate passed against a server that requires one: %v", what, res)
		}
		stranger := execProbe(replaceFlagValue(t, replaceFlagValue(t, p.Exec.Command, "tls-client-cert", certFile, otherCert), "tls-client-key", keyFile, otherKey))
		stranger.TimeoutSeconds = p.TimeoutSeconds
		if res := kubeletProbe(t, stranger, ports); res.ok {
			t.Errorf("%s probe with a certificate of another CA passed: %v", what, res)
		}
	}
}

// TestTokenExecProbesWithGRPCHealthProbe: a server whose interceptor
// requires "authorization: Bearer <token>" on every RPC, health included,
// passes every generated probe (rpc_header= with $(PROBE_TOKEN)) run with the
// real grpc_health_probe as the kubelet runs it in a container whose spec
// takes PROBE_TOKEN from a Secret (env valueFrom secretKeyRef) and whose
// processes see it at run time; the manifests never hold the token; a wrong
// token, or none, fails; verify-probes' rules accept the probes with that env
// and report them without it. The command the generator wrote before
// (-rpc-header with the kubelet's $(PROBE_TOKEN)) fails the same container,
// since the kubelet expands a valueFrom entry to "".
func TestTokenExecProbesWithGRPCHealthProbe(t *testing.T) {
	t.Parallel()
	auth := func(ctx context.Context) error {
		md, _ := metadata.FromIncomingContext(ctx)
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer "+probeToken {
			return status.Error(codes.Unauthenticated, "no valid token")
		}
		if got := md.Get("x-tenant"); len(got) != 1 || got[0] != "probes" {
			return status.Error(codes.PermissionDenied, "no tenant")
		}
		return nil
	}
	addr := serveGreeter(t,
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := auth(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := auth(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}))
	ports := map[int32]int32{50051: portOf(t, addr)}
	probes, files := execProbes(t, "emit=k8s,emit=compose,probe=exec,rpc_header=authorization: Bearer $(PROBE_TOKEN),rpc_header=x-tenant: probes")
	for name, content := range files {
		if strings.Contains(content, probeToken) {
			t.Errorf("%s holds the token", name)
		}
	}
	fromSecret := []corev1.EnvVar{{Name: "PROBE_TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: "greeter-probe"}, Key: "token",
	}}}}
	for _, what := range probeOrder {
		p := probes[what]
		if what == "compose" {
			// compose-go has already interpolated ${PROBE_TOKEN:?...} from
			// the environment of docker compose up.
			probePasses(t, "compose probe with the token to pass", p, ports)
			if !strings.Contains(strings.Join(p.Exec.Command, " "), "Bearer "+probeToken) {
				t.Errorf("compose's healthcheck %q does not carry the token from compose's environment", p.Exec.Command)
			}
			continue
		}
		kind := contract.Kind(what)
		eventually(t, startTimeout, what+" probe with the token from a Secret to pass", func() (bool, string) {
			res := kubeletExec(t, p, fromSecret, []string{"PROBE_TOKEN=" + probeToken}, ports)
			return res.ok, res.String()
		})
		for _, f := range proberules.CheckWith(kind, p, proberules.Options{Mode: proberules.HandWritten, Env: fromSecret}) {
			t.Errorf("%s probe with PROBE_TOKEN from a Secret: verify-probes reports %s", what, f)
		}
		if res := kubeletExec(t, p, fromSecret, []string{"PROBE_TOKEN=wrong"}, ports); res.ok || res.exitCode == 0 {
			t.Errorf("%s probe with a wrong token passed: %v", what, res)
		}
		if res := kubeletExec(t, p, nil, nil, ports); res.ok || !strings.Contains(res.detail, "PROBE_TOKEN") {
			t.Errorf("%s probe in a container without PROBE_TOKEN: %v; want a failure naming PROBE_TOKEN", what, res)
		}
		if fs := proberules.CheckWith(kind, p, proberules.Options{Mode: proberules.HandWritten}); !slices.ContainsFunc(fs, func(f proberules.Finding) bool {
			return f.Severity == proberules.Error && strings.Contains(f.Message, "PROBE_TOKEN")
		}) {
			t.Errorf("%s probe in a container without PROBE_TOKEN: verify-probes reports %v, want an error naming PROBE_TOKEN", what, fs)
		}
		// The kubelet's own $(VAR), which the generator wrote before: the
		// same container sends an empty token.
		direct := execProbe(targetIn(t, p, fromSecret).Argv)
		direct.TimeoutSeconds = p.TimeoutSeconds
		for i, a := range direct.Exec.Command {
			direct.Exec.Command[i] = strings.ReplaceAll(a, "${PROBE_TOKEN:?}", "$(PROBE_TOKEN)")
		}
		if !slices.Contains(direct.Exec.Command, "-rpc-header=authorization: Bearer $(PROBE_TOKEN)") {
			t.Fatalf("no kubelet form of the header in %q", direct.Exec.Command)
		}
		if res := kubeletExec(t, direct, fromSecret, []string{"PROBE_TOKEN=" + probeToken}, ports); res.ok {
			t.Errorf("%s probe with the kubelet's $(PROBE_TOKEN) from a Secret passed: %v", what, res)
		}
	}
}

// kubeletExec runs the exec probe p as the kubelet runs it in a container
// whose spec has env and whose processes see runtime as their environment:
// $(VAR) in the command expanded as ExpandContainerCommandOnlyStatic does
// (from each entry's value field: an entry set by valueFrom expands to ""),
// then the command run with runtime (and a PATH) as its environment, killed
// after timeoutSeconds. grpc_health_probe is the pinned one and -addr's port
// the test server's, whether the command runs it or sh -c's script does;
// nothing else changes.
func kubeletExec(t *testing.T, p *corev1.Probe, env []corev1.EnvVar, runtime []string, ports map[int32]int32) probeResult {
	t.Helper()
	tg := targetIn(t, p, env)
	port, ok := ports[tg.Port]
	if !ok {
		t.Fatalf("the probe's port %d is none of the example's ports %v", tg.Port, ports)
	}
	static := map[string]string{}
	for _, e := range env {
		static[e.Name] = e.Value
	}
	cmd := make([]string, len(p.Exec.Command))
	for i, a := range p.Exec.Command {
		cmd[i], _ = contract.ExpandKubelet(a, static)
	}
	addrArg := "-addr=" + tg.Addr
	localAddr := "-addr=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port)))
	probeBin := tool(t, probeBinName)
	if tg.Shell {
		// sh -c 'exec /bin/grpc_health_probe -addr=:50051 ...'
		script := cmd[len(cmd)-1]
		prefix := "exec " + tg.Argv[0] + " "
		if !strings.HasPrefix(script, prefix) || strings.Count(script, " "+addrArg+" ") != 1 {
			t.Fatalf("script %q: want %q, then %s once", script, prefix, addrArg)
		}
		script = strings.Replace(script, " "+addrArg+" ", " "+localAddr+" ", 1)
		script = "exec '" + probeBin + "' " + script[len(prefix):]
		cmd[len(cmd)-1] = script
	} else {
		cmd[0] = probeBin
		cmd = replaceFlagValue(t, cmd, "addr", tg.Addr, localAddr[len("-addr="):])
	}
	r := runCmd(time.Duration(p.TimeoutSeconds)*time.Second, "", append([]string{"PATH=/usr/bin:/bin"}, runtime...), cmd...)
	return probeResult{exec: true, ok: r.code == probeOK, exitCode: r.code, detail: r.out}
}

func targetIn(t *testing.T, p *corev1.Probe, env []corev1.EnvVar) proberules.Target {
	t.Helper()
	tg, ok := proberules.TargetIn(p, env)
	if !ok || !tg.Exec {
		t.Fatalf("not an exec probe running grpc_health_probe: %q", p.Exec)
	}
	return tg
}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

// issue returns a certificate for name signed by the CA.
func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// issueFiles writes a client certificate signed by the CA and its key into
// dir, and returns their paths.
func (ca *testCA) issueFiles(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	c := ca.issue(t, name, x509.ExtKeyUsageClientAuth)
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, name+".pem", "CERTIFICATE", c.Certificate[0]), writePEM(t, dir, name+"-key.pem", "PRIVATE KEY", key)
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
