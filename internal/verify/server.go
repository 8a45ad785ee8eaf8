package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// Server says how to reach a running server (verify-probes --server), with
// grpc_health_probe's TLS flags.
type Server struct {
	Addr       string
	TLS        bool
	CACert     string // PEM file; the system's roots when empty
	ServerName string
	NoVerify   bool
	// Timeout bounds the whole conversation: the dial and every RPC.
	Timeout time.Duration
}

// maxListResponse bounds the List response read: 1 MiB holds a thousand
// names of the runtime's longest; a larger one (or an unimplemented List)
// falls back to a Check per name.
const maxListResponse = 1 << 20

// maxCheckNames bounds the Check calls of the fallback: each name of the
// manifests is asked once, and manifests of one server ask a handful.
const maxCheckNames = 1000

// Answer is what the server said about the names the manifests ask.
type Answer struct {
	// Method is how it was asked: "List", or "Check" (List unimplemented or
	// too large).
	Method string
	// Status holds each registered name the manifests ask, with its status;
	// with List, every registered name.
	Status map[string]healthpb.HealthCheckResponse_ServingStatus
}

// Registered reports whether the server registers name.
func (a *Answer) Registered(name string) bool {
	_, ok := a.Status[name]
	return ok
}

// Ask connects to the server and asks it for every name in names: with
// List, falling back to Check per name where List is unimplemented or its
// answer is over maxListResponse. Errors name the flag that fixes them.
func Ask(s Server, names []string) (*Answer, error) {
	creds, err := s.credentials()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(s.Addr, grpc.WithTransportCredentials(creds), grpc.WithUserAgent("verify-probes"),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxListResponse)))
	if err != nil {
		return nil, fmt.Errorf("--server %s: %v", Plain(s.Addr), err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	client := healthpb.NewHealthClient(conn)

	a := &Answer{Method: "List", Status: map[string]healthpb.HealthCheckResponse_ServingStatus{}}
	list, err := client.List(ctx, &healthpb.HealthListRequest{})
	switch code := status.Code(err); {
	case err == nil:
		for name, r := range list.GetStatuses() {
			a.Status[name] = r.GetStatus()
		}
		return a, nil
	case code != codes.Unimplemented && code != codes.ResourceExhausted:
		return nil, s.rpcError("List", err)
	}
	a.Method = "Check"
	if len(names) > maxCheckNames {
		return nil, fmt.Errorf("--server %s: List is unimplemented, and the manifests ask %d names, over %d to Check one by one", Plain(s.Addr), len(names), maxCheckNames)
	}
	for _, name := range names {
		r, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		switch status.Code(err) {
		case codes.OK:
			a.Status[name] = r.GetStatus()
		case codes.NotFound:
		default:
			return nil, s.rpcError(fmt.Sprintf("Check %q", name), err)
		}
	}
	return a, nil
}

// rpcError words a failed call, with the flags that may fix it.
func (s Server) rpcError(call string, err error) error {
	st, _ := status.FromError(err)
	hint := ""
	switch {
	case st.Code() == codes.Unavailable && !s.TLS:
		hint = "; is the address right (--server), and if the server serves TLS, give -tls"
	case st.Code() == codes.Unavailable:
		hint = "; is the address right (--server), and the server's certificate trusted (-tls-ca-cert, -tls-server-name, -tls-no-verify)?"
	case st.Code() == codes.DeadlineExceeded:
		hint = "; raise --server-timeout if the server is slow"
	}
	return fmt.Errorf("--server %s: %s: %s: %s%s", Plain(s.Addr), call, st.Code(), st.Message(), hint)
}

func (s Server) credentials() (credentials.TransportCredentials, error) {
	if !s.TLS {
		if s.CACert != "" || s.ServerName != "" || s.NoVerify {
			return nil, errors.New("-tls-ca-cert, -tls-server-name and -tls-no-verify need -tls")
		}
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{ServerName: s.ServerName, InsecureSkipVerify: s.NoVerify, MinVersion: tls.VersionTLS12}
	if s.CACert != "" {
		pem, err := os.ReadFile(s.CACert)
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // the path is said once, after the flag
		}
		if err != nil {
			return nil, fmt.Errorf("-tls-ca-cert %s: %v", Plain(s.CACert), err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-tls-ca-cert %s: no PEM certificate in it", Plain(s.CACert))
		}
	}
	return credentials.NewTLS(cfg), nil
}

// AskedNames returns the health names the probes and the other consumers
// ask, sorted and once each: those a server reached at one address
// answers. Probes of another host, and names with $(VAR) left unexpanded,
// are not the server's to answer.
func AskedNames(sites []manifest.Site, names []manifest.NameSite) []string {
	var out []string
	for _, s := range sites {
		if n, ok := siteName(s); ok {
			out = append(out, n)
		}
	}
	for _, s := range names {
		if n, ok := nameSiteName(s); ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func siteName(s manifest.Site) (string, bool) {
	t, ok := proberules.TargetIn(s.Probe, s.Container.Env)
	if !ok || !t.Local() || (t.Exec && len(contract.Unexpanded(t.Service)) > 0) {
		return "", false
	}
	return t.Service, true
}

func nameSiteName(s manifest.NameSite) (string, bool) {
	if s.Argv == nil {
		return s.Service, true
	}
	p := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: s.Argv}}}
	t, ok := proberules.TargetOf(p)
	if !ok || !t.Exec || len(contract.Unexpanded(t.Service)) > 0 {
		return "", false
	}
	return t.Service, true
}

// CheckServer returns an error at every probe and consumer asking a name
// the server does not register: the kubelet would get NOT_FOUND.
func CheckServer(sites []manifest.Site, names []manifest.NameSite, addr string, a *Answer) []Finding {
	var out []Finding
	registered := make([]string, 0, len(a.Status))
	for n := range a.Status {
		registered = append(registered, n)
	}
	slices.Sort(registered)
	suggester := newSuggester(registered)
	report := func(at Finding, name string) {
		if a.Registered(name) {
			return
		}
		msg := fmt.Sprintf("the server at %s does not register health name %q (asked with %s), so this gets NOT_FOUND", Plain(addr), name, a.Method)
		if s := suggester.suggest(name); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		msg += "; register it in the server, or generate the probes with the names it registers (names=)"
		adder(&out, at)(proberules.Error, "", "%s", msg)
	}
	for _, s := range sites {
		if n, ok := siteName(s); ok {
			report(Finding{File: s.File, Line: s.Line, Kind: s.Kind, Name: s.Name, Namespace: s.Namespace, Container: s.Container.Name, Probe: s.ProbeKind.Field()}, n)
		}
	}
	for _, s := range names {
		if n, ok := nameSiteName(s); ok {
			report(Finding{File: s.File, Line: s.Line, Kind: s.Kind, Name: s.Name, Namespace: s.Namespace, Probe: s.Field}, n)
		}
	}
	return out
}
