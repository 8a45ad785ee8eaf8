// Package onaccept tells when a server first calls a listener's Accept:
// from then on it is serving. healthreg sets liveness SERVING at that
// moment, and healthflags announces "serving" just after it.
package onaccept

import (
	"net"
	"sync"
)

// First returns lis, calling first once, when the first call to Accept
// begins.
func First(lis net.Listener, first func()) net.Listener {
	return &listener{Listener: lis, first: first}
}

type listener struct {
	net.Listener
	once  sync.Once
	first func()
}

func (l *listener) Accept() (net.Conn, error) {
	l.once.Do(l.first)
	return l.Listener.Accept()
}
