package contract

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Addr is grpc_health_probe's -addr as gRPC reads it.
type Addr struct {
	// Scheme is the gRPC name resolver: "unix", "unix-abstract", "dns",
	// "passthrough", or "" for a plain host:port.
	Scheme string
	// Host and Port are the endpoint dialled; Port is 0 for a Unix socket.
	// A dns: target without a port dials 443, as gRPC does.
	Host string
	Port int32
}

// Unix reports whether the address is a Unix domain socket.
func (a Addr) Unix() bool { return a.Scheme == "unix" || a.Scheme == "unix-abstract" }

// Local reports whether the address is the probing container's own network
// namespace: a Unix socket, or a wildcard, loopback or empty host.
func (a Addr) Local() bool {
	if a.Unix() {
		return true
	}
	switch a.Host {
	case "", "localhost", "127.0.0.1", "::1", "0.0.0.0", "::":
		return true
	}
	return false
}

// ParseAddr reads an -addr as grpc_health_probe's grpc.Dial would:
// unix:PATH, unix:///PATH, unix-abstract:NAME, dns:[//AUTHORITY/]HOST[:PORT],
// passthrough:///HOST:PORT, or HOST:PORT. The error says what is wrong, in
// words that follow the address.
func ParseAddr(addr string) (Addr, error) {
	scheme, rest, hasScheme := strings.Cut(addr, ":")
	switch {
	case hasScheme && (scheme == "unix" || scheme == "unix-abstract"):
		p := strings.TrimPrefix(rest, "//")
		if p == "" || p == "/" {
			return Addr{}, fmt.Errorf("names no socket: write unix:///path/to/socket")
		}
		return Addr{Scheme: scheme, Host: p}, nil
	case hasScheme && (scheme == "dns" || scheme == "passthrough"):
		endpoint := rest
		if strings.HasPrefix(endpoint, "//") {
			slash := strings.IndexByte(endpoint[2:], '/')
			if slash < 0 {
				return Addr{}, fmt.Errorf("must be %s:///host:port (the authority is followed by /)", scheme)
			}
			endpoint = endpoint[2+slash+1:]
		}
		if endpoint == "" {
			return Addr{}, fmt.Errorf("names no host: write %s:///host:port", scheme)
		}
		if scheme == "dns" {
			if _, _, err := net.SplitHostPort(endpoint); err != nil {
				return Addr{Scheme: scheme, Host: strings.Trim(endpoint, "[]"), Port: 443}, nil
			}
		}
		a, err := hostPort(endpoint)
		a.Scheme = scheme
		return a, err
	}
	return hostPort(addr)
}

func hostPort(s string) (Addr, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return Addr{}, fmt.Errorf("must be host:port, such as :50051")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return Addr{Host: host}, fmt.Errorf("port must be a number between 1 and 65535")
	}
	return Addr{Host: host, Port: int32(n)}, nil
}
