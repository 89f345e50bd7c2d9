package listener

import (
	"crypto/tls"
	"io"
	"net"
	"slices"
	"testing"
)

// inspectBytes runs the inspector on a connection whose peer sends data
// (then keeps the connection open, or closes it with closeAfter).
func inspectBytes(t *testing.T, data []byte, closeAfter bool) (connInfo, []byte, bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Close() }()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = server.Close() }()
	if _, err := client.Write(data); err != nil {
		t.Fatal(err)
	}
	if closeAfter {
		_ = client.(*net.TCPConn).CloseWrite()
	}
	out, info, ok := inspect(server)
	if !ok {
		return info, nil, false
	}
	replayed := make([]byte, len(data))
	if _, err := io.ReadFull(out, replayed); err != nil {
		t.Fatal(err)
	}
	return info, replayed, true
}

func TestInspect(t *testing.T) {
	hello := clientHelloWith(t, &tls.Config{ServerName: "Foo.Example.com", NextProtos: []string{"h2", "http/1.1"}}) //nolint:gosec // bytes
	tests := []struct {
		name      string
		data      []byte
		close     bool
		ok        bool
		transport string
		sni       string
		alpn      []string
	}{
		{"plaintext decided on the first byte", []byte("GET"), false, true, transportRaw, "", nil},
		{"client hello", hello, false, true, transportTLS, "foo.example.com", []string{"h2", "http/1.1"}},
		{"handshake message that is not a hello", []byte{22, 3, 1, 0, 4, 2, 0, 0, 0}, false, true, transportRaw, "", nil},
		{"closed before a byte", nil, true, false, "", "", nil},
		{"closed mid-hello", hello[:20], true, false, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, replayed, ok := inspectBytes(t, tt.data, tt.close)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if info.transport != tt.transport || info.sni != tt.sni || !slices.Equal(info.alpn, tt.alpn) {
				t.Errorf("info %+v", info)
			}
			if string(replayed) != string(tt.data) {
				t.Errorf("replayed %q, want the bytes read", replayed)
			}
		})
	}
}

func clientHelloWith(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer func() { _ = a.Close(); _ = b.Close() }()
	go func() { _ = tls.Client(a, cfg).Handshake() }()
	head := make([]byte, 5)
	if _, err := io.ReadFull(b, head); err != nil {
		t.Fatal(err)
	}
	record := make([]byte, 5+(int(head[3])<<8|int(head[4])))
	copy(record, head)
	if _, err := io.ReadFull(b, record[5:]); err != nil {
		t.Fatal(err)
	}
	return record
}
