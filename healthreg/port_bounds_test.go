package healthreg

import (
	"container/list"
	"context"
	"net"
	"testing"
	"time"
)

// hostConn is one end of a pipe that says it comes from host.
type hostConn struct {
	net.Conn
	host string
}

func (c hostConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.ParseIP(c.host), Port: 40000}
}

func fromHost(t *testing.T, host string) net.Conn {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return hostConn{Conn: a, host: host}
}

// Past the bound, a connection from a new host closes the oldest
// connection of the hosts holding the most, even when several hold as many
// (an attacker spread over many addresses): a probe's, the newest, stays.
func TestConnBoundDropsOldestOfTied(t *testing.T) {
	b := connBound{max: 3, byHost: make(map[string]*list.List)}
	oldest := b.admit(fromHost(t, "10.0.0.1")).(*boundConn)
	b.admit(fromHost(t, "10.0.0.2"))
	probe := b.admit(fromHost(t, "10.0.0.3")).(*boundConn)
	if b.admit(fromHost(t, "10.0.0.4")) == nil {
		t.Fatal("a connection from a host holding none was refused")
	}
	if oldest.elem != nil || probe.elem == nil || b.open != 3 {
		t.Errorf("oldest still counted: %v; probe's still counted: %v; %d open, want 3", oldest.elem != nil, probe.elem != nil, b.open)
	}
	// A host already holding the most is refused instead.
	if b.admit(fromHost(t, "10.0.0.4")) != nil || b.open != 3 {
		t.Errorf("a second connection from a host tied for the most was admitted (%d open)", b.open)
	}
}

// Past the bound, a call on a connection with none waiting resets the
// oldest call of the connections holding the most, even when several hold
// as many: a probe's call, the newest, is not the one reset.
func TestRequestBoundResetsOldestOfTied(t *testing.T) {
	b := requestBound{max: 3, timeout: time.Hour, conns: make(map[*connCalls]struct{})}
	call := func() context.Context {
		t.Helper()
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), connKey{}, new(connCalls)))
		t.Cleanup(cancel)
		ctx, err := b.tap(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ctx
	}
	oldest := call()
	call()
	probe := call()
	call()
	if oldest.Err() == nil || probe.Err() != nil || b.n != 3 {
		t.Errorf("oldest call ended: %v; probe's ended: %v; %d waiting, want 3", oldest.Err() != nil, probe.Err() != nil, b.n)
	}
}
