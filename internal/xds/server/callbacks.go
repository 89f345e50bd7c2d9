package server

import (
	"context"
	"strings"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/types/known/anypb"
)

// metrics are the server's Prometheus collectors.
type metrics struct {
	connected *prometheus.GaugeVec
	nacks     *prometheus.CounterVec
	pushes    *prometheus.CounterVec
	updates   *prometheus.CounterVec
	// endpointUpdates are the updates that changed only the endpoints.
	endpointUpdates *prometheus.CounterVec
}

// labelFleet is the metric label holding the fleet (node cluster).
const labelFleet = "fleet"

func newMetrics() *metrics {
	return &metrics{
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "envoy_gateway_xds_connected_proxies",
			Help: "xDS streams open from proxies, by fleet (node cluster) and protocol (sotw or delta).",
		}, []string{labelFleet, "protocol"}),
		nacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "envoy_gateway_xds_nacks_total",
			Help: "xDS responses rejected by proxies (requests carrying error_detail), by fleet and resource type.",
		}, []string{labelFleet, "type"}),
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "envoy_gateway_xds_pushes_total",
			Help: "xDS responses sent to proxies, by fleet and resource type.",
		}, []string{labelFleet, "type"}),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "envoy_gateway_xds_snapshot_updates_total",
			Help: "Snapshots set for a fleet whose content changed, by fleet.",
		}, []string{labelFleet}),
		endpointUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "envoy_gateway_xds_endpoint_updates_total",
			Help: "Snapshots set for a fleet whose endpoints (ClusterLoadAssignments) alone changed, by fleet; also counted in envoy_gateway_xds_snapshot_updates_total.",
		}, []string{labelFleet}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.connected, m.nacks, m.pushes, m.updates, m.endpointUpdates}
}

// typeLabel shortens a type URL to its message name ("Listener").
func typeLabel(typeURL string) string {
	return typeURL[strings.LastIndex(typeURL, ".")+1:]
}

// callbacks log and count stream events for both protocols. A stream is
// counted as a connected proxy of its fleet once its first request names the
// node.
type callbacks struct {
	log     logr.Logger
	metrics *metrics
	tracker *tracker

	mu      sync.Mutex
	streams map[int64]streamInfo
}

type streamInfo struct {
	fleet    string
	node     string
	protocol string
}

func newCallbacks(log logr.Logger, m *metrics, t *tracker) *callbacks {
	return &callbacks{log: log, metrics: m, tracker: t, streams: map[int64]streamInfo{}}
}

// stream returns what is known of stream id, registering it on its first
// request. Delta and SotW stream ids are counted separately by
// go-control-plane, so the protocol is part of the key.
func (c *callbacks) stream(id int64, protocol string, node *corev3.Node) streamInfo {
	key := streamKey(id, protocol)
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.streams[key]; ok {
		return s
	}
	s := streamInfo{fleet: nodeHash{}.ID(node), node: node.GetId(), protocol: protocol}
	c.streams[key] = s
	c.metrics.connected.WithLabelValues(s.fleet, protocol).Inc()
	c.tracker.opened(key, s)
	log := c.log.WithValues("fleet", s.fleet, "node", s.node, "protocol", protocol, "stream", id)
	if s.fleet == "" {
		log.Info("proxy connected without node.cluster; it gets no configuration until it names its fleet")
	} else {
		log.V(1).Info("proxy connected")
	}
	return s
}

func streamKey(id int64, protocol string) int64 {
	if protocol == protocolDelta {
		return -id
	}
	return id
}

func (c *callbacks) closed(id int64, protocol string) {
	key := streamKey(id, protocol)
	c.mu.Lock()
	s, ok := c.streams[key]
	delete(c.streams, key)
	c.mu.Unlock()
	if ok {
		c.tracker.closed(key)
		c.metrics.connected.WithLabelValues(s.fleet, protocol).Dec()
		c.log.V(1).Info("proxy disconnected", "fleet", s.fleet, "node", s.node, "protocol", protocol, "stream", id)
	}
}

// request records a request; for a NACK it returns the version rejected
// ("" when not known).
func (c *callbacks) request(
	id int64, protocol string, node *corev3.Node, typeURL string, errDetail interface{ GetMessage() string }, version, nonce string,
) (rejected string) {
	s := c.stream(id, protocol, node)
	if errDetail == nil {
		c.tracker.requested(streamKey(id, protocol), typeURL, version, nonce, "", false)
		return ""
	}
	rejected = c.tracker.requested(streamKey(id, protocol), typeURL, version, nonce, errDetail.GetMessage(), true)
	c.metrics.nacks.WithLabelValues(s.fleet, typeLabel(typeURL)).Inc()
	c.log.Error(nil, "proxy rejected xDS configuration (NACK)",
		"fleet", s.fleet, "node", s.node, "type", typeURL,
		"rejectedNonce", nonce, "keptVersion", version, "detail", errDetail.GetMessage())
	return rejected
}

func (c *callbacks) pushed(id int64, protocol, typeURL, nonce, version string, resources []*anypb.Any) {
	c.mu.Lock()
	s := c.streams[streamKey(id, protocol)]
	c.mu.Unlock()
	c.metrics.pushes.WithLabelValues(s.fleet, typeLabel(typeURL)).Inc()
	c.tracker.sent(streamKey(id, protocol), typeURL, version, nonce, resources)
}

const (
	protocolSotW  = "sotw"
	protocolDelta = "delta"
)

// OnStreamOpen is part of the SotW callbacks.
func (c *callbacks) OnStreamOpen(context.Context, int64, string) error { return nil }

// OnStreamClosed is part of the SotW callbacks.
func (c *callbacks) OnStreamClosed(id int64, _ *corev3.Node) { c.closed(id, protocolSotW) }

// OnStreamRequest is part of the SotW callbacks.
func (c *callbacks) OnStreamRequest(id int64, req *discoveryv3.DiscoveryRequest) error {
	var detail interface{ GetMessage() string }
	if req.GetErrorDetail() != nil {
		detail = req.GetErrorDetail()
	}
	rejected := c.request(id, protocolSotW, req.GetNode(), req.GetTypeUrl(), detail, req.GetVersionInfo(), req.GetResponseNonce())
	if rejected != "" {
		// The snapshot cache answers a request whose version differs from
		// the snapshot's at once, so a NACK (version_info: the version
		// kept) would get the rejected version again, NACKed again, in a
		// loop. Seen as a request for the rejected version, it waits for
		// the next version instead.
		req.VersionInfo = rejected
	}
	return nil
}

// OnStreamResponse is part of the SotW callbacks.
func (c *callbacks) OnStreamResponse(_ context.Context, id int64, req *discoveryv3.DiscoveryRequest, resp *discoveryv3.DiscoveryResponse) {
	c.pushed(id, protocolSotW, req.GetTypeUrl(), resp.GetNonce(), resp.GetVersionInfo(), resp.GetResources())
}

// OnDeltaStreamOpen is part of the delta callbacks.
func (c *callbacks) OnDeltaStreamOpen(context.Context, int64, string) error { return nil }

// OnDeltaStreamClosed is part of the delta callbacks.
func (c *callbacks) OnDeltaStreamClosed(id int64, _ *corev3.Node) { c.closed(id, protocolDelta) }

// OnStreamDeltaRequest is part of the delta callbacks.
func (c *callbacks) OnStreamDeltaRequest(id int64, req *discoveryv3.DeltaDiscoveryRequest) error {
	var detail interface{ GetMessage() string }
	if req.GetErrorDetail() != nil {
		detail = req.GetErrorDetail()
	}
	c.request(id, protocolDelta, req.GetNode(), req.GetTypeUrl(), detail, "", req.GetResponseNonce())
	return nil
}

// OnStreamDeltaResponse is part of the delta callbacks.
func (c *callbacks) OnStreamDeltaResponse(id int64, req *discoveryv3.DeltaDiscoveryRequest, resp *discoveryv3.DeltaDiscoveryResponse) {
	resources := make([]*anypb.Any, 0, len(resp.GetResources()))
	for _, r := range resp.GetResources() {
		resources = append(resources, r.GetResource())
	}
	c.pushed(id, protocolDelta, req.GetTypeUrl(), resp.GetNonce(), resp.GetSystemVersionInfo(), resources)
}

// OnFetchRequest is part of the REST callbacks; REST is not served.
func (c *callbacks) OnFetchRequest(context.Context, *discoveryv3.DiscoveryRequest) error { return nil }

// OnFetchResponse is part of the REST callbacks; REST is not served.
func (c *callbacks) OnFetchResponse(*discoveryv3.DiscoveryRequest, *discoveryv3.DiscoveryResponse) {
}
