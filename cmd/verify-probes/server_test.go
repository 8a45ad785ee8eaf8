package main

import (
	"bytes"
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
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// serverManifest is a Deployment whose probes ask liveness and
// helloworld.Greeter.
const serverManifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: greeter
spec:
  template:
    spec:
      containers:
        - name: server
          image: example.com/greeter:1
          ports:
            - containerPort: 50051
          livenessProbe:
            grpc:
              port: 50051
              service: liveness
          readinessProbe:
            grpc:
              port: 50051
              service: helloworld.Greeter
`

// serveHealth serves hs on a loopback port from :0, with TLS when creds
// is not nil, and returns the address.
func serveHealth(t *testing.T, hs healthpb.HealthServer, creds credentials.TransportCredentials) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	s := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s, hs)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// plainHealth is grpc-go's health server with names set SERVING.
func plainHealth(names ...string) *health.Server {
	hs := health.NewServer()
	for _, n := range names {
		hs.SetServingStatus(n, healthpb.HealthCheckResponse_SERVING)
	}
	return hs
}

// noList answers Check as hs does and List with UNIMPLEMENTED, as servers
// older than List (or Python's HealthServicer) do.
type noList struct {
	healthpb.UnimplementedHealthServer
	hs *health.Server
}

func (n noList) Check(ctx context.Context, r *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	return n.hs.Check(ctx, r)
}

// hugeList answers List with over 1 MiB of names, which verify-probes
// does not read: it asks Check per name instead.
type hugeList struct{ noList }

func (h hugeList) List(context.Context, *healthpb.HealthListRequest) (*healthpb.HealthListResponse, error) {
	r := &healthpb.HealthListResponse{Statuses: map[string]*healthpb.HealthCheckResponse{}}
	for i := range 2000 {
		r.Statuses[strings.Repeat("x", 1000)+string(rune('a'+i%26))+strings.Repeat("y", i)] = &healthpb.HealthCheckResponse{}
	}
	return r, nil
}

func runServer(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	desc := writeDescriptors(t, true)
	t.Chdir(t.TempDir())
	if err := os.WriteFile("deploy.yaml", []byte(serverManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(append(append([]string{"--descriptors", desc}, args...), "deploy.yaml"), nil, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestServer: --server asks with List, or Check per name where List is
// unimplemented or too large, and reports each name the server does not
// register at its probe's line.
func TestServer(t *testing.T) {
	all := plainHealth("liveness", "helloworld.Greeter")
	tests := []struct {
		name     string
		server   healthpb.HealthServer
		method   string
		wantCode int
		wantOut  string
	}{
		{"List, every name", all, "List", exitOK, ""},
		{"List, one missing", plainHealth("liveness"), "List", exitFindings,
			`deploy.yaml:17: error: Deployment/greeter server readinessProbe: the server at ADDR does not register health name "helloworld.Greeter" (asked with List), so this gets NOT_FOUND; register it in the server, or generate the probes with the names it registers (names=)` + "\n"},
		{"Check, every name", noList{hs: all}, "Check", exitOK, ""},
		{"Check, one missing", noList{hs: plainHealth("helloworld.Greeter")}, "Check", exitFindings,
			`deploy.yaml:13: error: Deployment/greeter server livenessProbe: the server at ADDR does not register health name "liveness" (asked with Check), so this gets NOT_FOUND; register it in the server, or generate the probes with the names it registers (names=)` + "\n"},
		{"List too large", hugeList{noList{hs: all}}, "Check", exitOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := serveHealth(t, tc.server, nil)
			code, stdout, stderr := runServer(t, "--server", addr)
			if code != tc.wantCode || strings.ReplaceAll(stdout, addr, "ADDR") != tc.wantOut {
				t.Errorf("exit %d, want %d; stdout:\n%s\nwant:\n%s\nstderr:\n%s", code, tc.wantCode, stdout, tc.wantOut, stderr)
			}
			if want := "server " + addr + " (" + tc.method + "): \"liveness\": "; !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		})
	}
}

// TestServerTLS: grpc_health_probe's TLS flags, and errors naming the flag
// that fixes them.
func TestServerTLS(t *testing.T) {
	certPEM, cert := selfSigned(t, "health.test")
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := serveHealth(t, plainHealth("liveness", "helloworld.Greeter"), credentials.NewServerTLSFromCert(&cert))
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"CA and server name", []string{"-tls", "-tls-ca-cert", ca, "-tls-server-name", "health.test"}, exitOK, ""},
		{"no verify", []string{"-tls", "-tls-no-verify"}, exitOK, ""},
		{"plaintext to a TLS server", nil, exitUsage, "give -tls"},
		{"untrusted", []string{"-tls"}, exitUsage, "-tls-ca-cert, -tls-server-name, -tls-no-verify"},
		{"TLS flag without -tls", []string{"-tls-no-verify"}, exitUsage, "-tls-ca-cert, -tls-server-name and -tls-no-verify need -tls"},
		{"CA file missing", []string{"-tls", "-tls-ca-cert", ca + ".missing"}, exitUsage, "-tls-ca-cert " + ca + ".missing: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--server", addr, "--server-timeout", "5s"}, tc.args...)
			code, stdout, stderr := runServer(t, args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantErr) {
				t.Errorf("exit %d, want %d with %q; stdout:\n%s\nstderr:\n%s", code, tc.wantCode, tc.wantErr, stdout, stderr)
			}
		})
	}
}

// TestServerTimeout: a peer that accepts and never answers costs at most
// --server-timeout, and the error names that flag.
func TestServerTimeout(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	start := time.Now()
	code, _, stderr := runServer(t, "--server", lis.Addr().String(), "--server-timeout", "300ms")
	if code != exitUsage || !strings.Contains(stderr, "--server-timeout") {
		t.Errorf("exit %d, want %d naming --server-timeout:\n%s", code, exitUsage, stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with --server-timeout 300ms", d)
	}
}

// selfSigned returns a self-signed certificate for name, PEM-encoded and
// as a tls.Certificate.
func selfSigned(t *testing.T, name string) ([]byte, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, cert
}
