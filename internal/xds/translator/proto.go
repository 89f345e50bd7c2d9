package translator

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// ADSConfigSource is the config source of every resource we reference by
// name (RDS, EDS, SDS): the ADS stream the proxy already has.
func ADSConfigSource() *corev3.ConfigSource {
	return &corev3.ConfigSource{
		ResourceApiVersion:    corev3.ApiVersion_V3,
		ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	}
}

// SocketAddress is a TCP socket address.
func SocketAddress(address string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Protocol:      corev3.SocketAddress_TCP,
		Address:       address,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// MustAny packs m into an Any, marshalled deterministically so the bytes (and
// the content-derived versions built from them) are stable. It panics only if
// m cannot be marshalled, which is a programming error for the messages built
// in this package.
func MustAny(m proto.Message) *anypb.Any {
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, m, deterministic); err != nil {
		panic(fmt.Sprintf("marshalling %T into Any: %v", m, err))
	}
	return a
}
