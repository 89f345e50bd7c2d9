package translate

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// xDS resource types (--type), and TypeAll for every one of them.
const (
	TypeListener = "listener"
	TypeRoute    = "route"
	TypeCluster  = "cluster"
	TypeEndpoint = "endpoint"
	TypeSecret   = "secret"
	TypeAll      = "all"
)

// ResourceTypes are the xDS resource types, in output order.
var ResourceTypes = []string{TypeListener, TypeRoute, TypeCluster, TypeEndpoint, TypeSecret}

// Redacted replaces private keys in every output.
const Redacted = "[redacted]"

// marshalOptions print protos with their proto field names (snake_case), as
// Envoy's own config dumps and documentation do.
var marshalOptions = protojson.MarshalOptions{UseProtoNames: true}

// FleetDump is one fleet's Envoy resources by plural type name ("listeners",
// "routes", "clusters", "endpoints", "secrets"), each in proto-JSON form.
type FleetDump map[string][]json.RawMessage

// XdsDocument translates every fleet's xDS IR with the endpoints eps with
// the xDS translator (the server's code path) and returns the resources of
// the selected types (all when types is empty or holds TypeAll) keyed by
// fleet name. Private keys are redacted. A fleet the translator rejects is
// an error.
func XdsDocument(result *gatewayapi.Result, eps *ir.Endpoints, types []string) (map[string]FleetDump, []string, error) {
	out := map[string]FleetDump{}
	var warnings []string
	for _, f := range result.Fleets {
		res, err := translator.TranslateWithEndpoints(f.Xds, eps)
		if err != nil {
			return nil, nil, fmt.Errorf("fleet %s: %w", f.Name, err)
		}
		for _, w := range res.Warnings {
			warnings = append(warnings, fmt.Sprintf("fleet %s: %s", f.Name, w))
		}
		if out[f.Name], err = Dump(res, types); err != nil {
			return nil, nil, fmt.Errorf("fleet %s: %w", f.Name, err)
		}
	}
	return out, warnings, nil
}

// Dump returns the resources of the selected types in proto-JSON form,
// with private keys redacted.
func Dump(res *translator.Resources, types []string) (FleetDump, error) {
	all := len(types) == 0 || slices.Contains(types, TypeAll)
	selected := func(t string) bool { return all || slices.Contains(types, t) }
	d := FleetDump{}
	var err error
	add := func(t, key string, msgs []proto.Message) {
		if err != nil || !selected(t) {
			return
		}
		d[key], err = marshalAll(msgs)
	}
	add(TypeListener, "listeners", messages(res.Listeners))
	add(TypeRoute, "routes", messages(res.Routes))
	add(TypeCluster, "clusters", messages(res.Clusters))
	add(TypeEndpoint, "endpoints", messages(res.Endpoints))
	secrets := make([]proto.Message, len(res.Secrets))
	for i, s := range res.Secrets {
		secrets[i] = RedactSecret(s)
	}
	add(TypeSecret, "secrets", secrets)
	return d, err
}

func messages[T proto.Message](in []T) []proto.Message {
	out := make([]proto.Message, len(in))
	for i, m := range in {
		out[i] = m
	}
	return out
}

// marshalAll prints msgs in proto-JSON, on all cores: on large
// configurations protojson is a visible share of the command's time.
func marshalAll(msgs []proto.Message) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(msgs))
	errs := make([]error, len(msgs))
	parallelChunks(len(msgs), func(i int) {
		out[i], errs[i] = marshalOptions.Marshal(msgs[i])
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parallelChunks calls fn(0..n-1) on GOMAXPROCS goroutines, each taking a
// contiguous range of indexes.
func parallelChunks(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64+1)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// RedactSecret returns a copy of s whose private key is replaced by Redacted.
func RedactSecret(s *tlsv3.Secret) *tlsv3.Secret {
	c := proto.Clone(s).(*tlsv3.Secret)
	if cert := c.GetTlsCertificate(); cert != nil && cert.PrivateKey != nil {
		cert.PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: Redacted}}
	}
	return c
}

// ConfigDump is XdsDocument for the admin /api/config_dump: a fleet whose
// IR the xDS translator rejects shows {"error": ...} (the xDS server then
// keeps serving its previous configuration) instead of failing the dump.
func ConfigDump(result *gatewayapi.Result, eps *ir.Endpoints, types []string) map[string]any {
	out := map[string]any{}
	for _, f := range result.Fleets {
		res, err := translator.TranslateWithEndpoints(f.Xds, eps)
		if err == nil {
			var d FleetDump
			if d, err = Dump(res, types); err == nil {
				out[f.Name] = d
				continue
			}
		}
		out[f.Name] = map[string]string{"error": err.Error()}
	}
	return out
}
