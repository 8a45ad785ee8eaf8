package healthreg

import (
	"encoding/binary"
	"net"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
)

// stuckWatch opens a Watch of name on addr the way a client that never
// reads does: by hand, over HTTP/2 with a stream window of zero, after
// which it never reads the socket. The server can send the response
// headers but no message and no trailers, so the stream never ends: a
// graceful stop waits for it until it is forced. (grpc-go's client cannot
// be made to do this: it always reads and grants at least 64 KiB.) The
// connection closes when the test ends.
func stuckWatch(t testing.TB, addr, name string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	var out []byte
	frame := func(typ, flags byte, stream uint32, payload []byte) {
		out = append(out, byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload)), typ, flags)
		out = binary.BigEndian.AppendUint32(out, stream)
		out = append(out, payload...)
	}
	const (
		typeData, typeHeaders, typeSettings = 0x0, 0x1, 0x4
		endStream, endHeaders               = 0x1, 0x4
		settingsInitialWindowSize           = 0x4
	)
	out = append(out, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"...)
	frame(typeSettings, 0, 0, []byte{0, settingsInitialWindowSize, 0, 0, 0, 0})

	// HPACK literals without indexing (0x00), short enough for one-byte
	// lengths and no Huffman coding.
	var block []byte
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "http"}, {":path", "/grpc.health.v1.Health/Watch"},
		{":authority", addr}, {"content-type", "application/grpc"}, {"te", "trailers"},
	} {
		block = append(block, 0, byte(len(f[0])))
		block = append(block, f[0]...)
		block = append(block, byte(len(f[1])))
		block = append(block, f[1]...)
	}
	frame(typeHeaders, endHeaders, 1, block)

	msg, err := proto.Marshal(&healthpb.HealthCheckRequest{Service: name})
	if err != nil {
		t.Fatal(err)
	}
	data := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg))) // not compressed, length
	frame(typeData, endStream, 1, append(data, msg...))

	if _, err := conn.Write(out); err != nil {
		t.Fatal(err)
	}
}
