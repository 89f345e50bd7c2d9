package dataplane_test

import (
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	bufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/buffer/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/go-logr/logr"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/server"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// nackSink records the error_detail of the NACKs our xDS server logs.
type nackSink struct {
	mu      sync.Mutex
	details []string
}

func (s *nackSink) Init(logr.RuntimeInfo)          {}
func (s *nackSink) Enabled(int) bool               { return false }
func (s *nackSink) Info(int, string, ...any)       {}
func (s *nackSink) WithValues(...any) logr.LogSink { return s }
func (s *nackSink) WithName(string) logr.LogSink   { return s }

func (s *nackSink) Error(_ error, msg string, kv ...any) {
	if !strings.Contains(msg, "NACK") {
		return
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == "detail" {
			s.mu.Lock()
			s.details = append(s.details, fmt.Sprint(kv[i+1]))
			s.mu.Unlock()
		}
	}
}

func (s *nackSink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.details...)
}

// mutateListener translates x and changes its only listener's HCM.
func translated(t *testing.T, x *ir.Xds, mutate func(*listenerv3.Listener, *hcmv3.HttpConnectionManager)) *translator.Resources {
	t.Helper()
	res, err := translator.Translate(x)
	if err != nil {
		t.Fatal(err)
	}
	if mutate == nil {
		return res
	}
	l := proto.Clone(res.Listeners[0]).(*listenerv3.Listener)
	h := &hcmv3.HttpConnectionManager{}
	if err := l.FilterChains[0].Filters[0].GetTypedConfig().UnmarshalTo(h); err != nil {
		t.Fatal(err)
	}
	mutate(l, h)
	a, err := anypb.New(h)
	if err != nil {
		t.Fatal(err)
	}
	l.FilterChains[0].Filters[0].ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: a}
	res.Listeners[0] = l
	return res
}

const hcmPath = "filter_chains[0].filters[0].typed_config.(envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager)"

// TestNACKOverADS sends configurations the data plane does not implement
// through our xDS server: each is NACKed with the resource and field path
// in error_detail (as the server logs it), and the last good
// configuration keeps serving.
func TestNACKOverADS(t *testing.T) {
	sink := &nackSink{}
	s, err := server.New(server.Options{Address: "127.0.0.1", Port: 0, Plaintext: true, Logger: logr.New(sink)})
	if err != nil {
		t.Fatal(err)
	}
	port := startServer(t, s)
	b := backend(t, "one")
	x := httpIR([]netip.AddrPort{b}, toBackend("r", "*", "/"))
	update := func(res *translator.Resources) {
		if _, err := s.Update(fleet, res); err != nil {
			t.Fatal(err)
		}
	}
	update(translated(t, x, nil))
	pod := podIP()
	p := startProxy(t, plainBootstrap(port), pod)
	waitReady(t, p)
	c := client(t)
	url := fmt.Sprintf("http://%s/", netip.AddrPortFrom(pod, listenerPort))
	ok := func() {
		t.Helper()
		if r, err := get(c, url, "a"); err != nil || r.status != 200 {
			t.Fatalf("last good configuration not served: %v %+v", err, r)
		}
	}
	ok()

	buffer, err := anypb.New(&bufferv3.Buffer{MaxRequestBytes: wrapperspb.UInt32(10)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*listenerv3.Listener, *hcmv3.HttpConnectionManager)
		want   string
	}{
		{
			"unknown HTTP filter",
			func(_ *listenerv3.Listener, h *hcmv3.HttpConnectionManager) {
				h.HttpFilters = append([]*hcmv3.HttpFilter{{Name: "envoy.filters.http.buffer",
					ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: buffer}}}, h.HttpFilters...)
			},
			"Error adding/updating listener(s) listener/0.0.0.0/10080: " + hcmPath +
				".http_filters[0].typed_config: type type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer is not implemented by the test data plane",
		},
		{
			"field not implemented",
			func(_ *listenerv3.Listener, h *hcmv3.HttpConnectionManager) { h.Via = "1.1 gateway" },
			"Error adding/updating listener(s) listener/0.0.0.0/10080: " + hcmPath +
				".via: field envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.via is not implemented",
		},
		{
			"unknown field",
			func(l *listenerv3.Listener, _ *hcmv3.HttpConnectionManager) {
				l.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 9999, protowire.VarintType), 7))
			},
			"Error adding/updating listener(s) listener/0.0.0.0/10080: (envoy.config.listener.v3.Listener): unknown fields",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x.HTTP[0].Routes[0].Name = fmt.Sprintf("r%d", i) // a new version of the resources
			update(translated(t, x, tt.mutate))
			eventually(t, "NACK", func() (bool, string) {
				for _, d := range sink.all() {
					if strings.HasPrefix(d, tt.want) {
						return true, ""
					}
				}
				return false, strings.Join(sink.all(), " | ")
			})
			ok()
		})
	}
}

// startServer runs s until the test ends and returns its port.
func startServer(t *testing.T, s *server.Server) uint32 {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	startBackground(t, s)
	return uint32(netip.MustParseAddrPort(s.Addr().String()).Port())
}
