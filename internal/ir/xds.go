package ir

import (
	"errors"
	"fmt"
	"time"
)

// Xds is the data-plane configuration of one proxy fleet.
type Xds struct {
	// HTTP are the HTTP and HTTPS listeners (one per Gateway listener). Listeners
	// sharing a port are served by one Envoy listener with one filter chain each.
	HTTP []*HTTPListener `json:"http,omitempty"`
	// TLS are the TLS passthrough listeners (one per Gateway listener).
	TLS []*TLSListener `json:"tls,omitempty"`
	// TCP are the TCP listeners (one per Gateway listener of protocol TCP).
	TCP []*TCPListener `json:"tcp,omitempty"`
	// Clusters are the upstream clusters every route refers to by name, sorted by name.
	Clusters []*Cluster `json:"clusters,omitempty"`
	// GlobalRateLimit is the rate limit service the proxies ask; set when,
	// and only when, a route has global rate limits.
	GlobalRateLimit *GlobalRateLimit `json:"globalRateLimit,omitempty"`
}

// HTTPListener is one Gateway listener of protocol HTTP or HTTPS.
type HTTPListener struct {
	// Name is unique within the fleet: "<gateway-namespace>/<gateway-name>/<listener-name>".
	Name string `json:"name"`
	// Address is the IP address Envoy binds, e.g. "0.0.0.0".
	Address string `json:"address"`
	// Port is the port Envoy binds (the container port, not the Service port).
	Port uint32 `json:"port"`
	// Hostnames the listener accepts: the listener hostname, or "*" for any.
	Hostnames []string `json:"hostnames"`
	// TLS is nil for plain HTTP; for HTTPS it holds the certificates to terminate with.
	TLS *TLSConfig `json:"tls,omitempty"`
	// Routes in precedence order (first match wins). Each route carries the
	// hostname of the virtual host it belongs to.
	Routes []*HTTPRoute `json:"routes,omitempty"`
}

// TLSConfig holds the certificates an HTTPS listener terminates TLS with
// and, when set, how it validates client certificates.
type TLSConfig struct {
	Certificates []*Certificate `json:"certificates"`
	// ClientValidation, when set, makes the listener ask clients for a
	// certificate and verify it against trusted CAs.
	ClientValidation *ClientValidation `json:"clientValidation,omitempty"`
}

// ClientValidation is how a listener terminating TLS validates client
// certificates (mutual TLS).
type ClientValidation struct {
	// CACertificate is the PEM bundle of CAs a client certificate must
	// chain to; never empty.
	CACertificate string `json:"caCertificate"`
	// AllowInsecureFallback serves a client that presents no certificate or
	// one that fails verification; otherwise a valid certificate is required.
	AllowInsecureFallback bool `json:"allowInsecureFallback,omitempty"`
}

// Certificate is a PEM certificate chain and PEM private key. Name is unique per
// fleet and stable ("<secret-namespace>/<secret-name>"); it is the SDS secret name.
type Certificate struct {
	Name        string `json:"name"`
	Certificate string `json:"certificate"`
	PrivateKey  string `json:"privateKey"`
}

// HTTPRoute is one match of one HTTPRoute rule, on one hostname.
type HTTPRoute struct {
	// Name is stable and readable: "httproute/<ns>/<name>/rule/<i>/match/<j>"
	// (or "grpcroute/..." for a GRPCRoute).
	Name string `json:"name"`
	// Hostname is the virtual host this route belongs to ("*" for any,
	// "*.example.com" for a wildcard).
	Hostname string `json:"hostname"`

	PathMatch         *StringMatch   `json:"pathMatch,omitempty"`
	HeaderMatches     []*StringMatch `json:"headerMatches,omitempty"`
	QueryParamMatches []*StringMatch `json:"queryParamMatches,omitempty"`
	// Method, when set, matches the HTTP method exactly.
	Method string `json:"method,omitempty"`

	// RequestHeaders and ResponseHeaders are header modifications.
	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty"`

	// At most one of Redirect, DirectResponse and Destination is set.
	Redirect       *Redirect       `json:"redirect,omitempty"`
	DirectResponse *DirectResponse `json:"directResponse,omitempty"`
	Destination    *Destination    `json:"destination,omitempty"`

	// Rewrite applies to requests forwarded to Destination.
	Rewrite *URLRewrite `json:"rewrite,omitempty"`
	// Mirrors receive a copy of each request forwarded to Destination.
	Mirrors []*Mirror `json:"mirrors,omitempty"`
	// Timeout is the request timeout; nil means Envoy's default, 0 disables it.
	Timeout *Duration `json:"timeout,omitempty"`
	// BackendRequestTimeout is the per-try timeout to the backend.
	BackendRequestTimeout *Duration `json:"backendRequestTimeout,omitempty"`
	// Retry, when set, retries requests forwarded to Destination.
	Retry *Retry `json:"retry,omitempty"`
	// RateLimit are the route's rate limits. Global ones apply only to
	// requests forwarded to Destination.
	RateLimit *RouteRateLimit `json:"rateLimit,omitempty"`
	// CORS, when set, answers CORS preflight requests from allowed origins
	// and adds the CORS headers to the responses to them.
	CORS *CORS `json:"cors,omitempty"`
}

// Retry is a route's retry policy. A request is retried after a response
// with one of Codes and after connection errors (connect failure, reset,
// disconnect, per-try timeout: BackendRequestTimeout).
type Retry struct {
	// Codes are the retried response status codes (400-599), sorted.
	Codes []uint32 `json:"codes,omitempty"`
	// Attempts is the maximum number of retries (after the first try).
	Attempts uint32 `json:"attempts"`
	// Backoff is the base interval between tries; nil means Envoy's default.
	Backoff *Duration `json:"backoff,omitempty"`
}

// CORS is a route's Cross-Origin Resource Sharing policy.
type CORS struct {
	// AllowOrigins are origins "<scheme>://<host>[:<port>]", where the host
	// may start with the wildcard label "*." or be "*", or the single "*"
	// for any origin.
	AllowOrigins []string `json:"allowOrigins,omitempty"`
	// AllowMethods and AllowHeaders are the allowed methods and request
	// headers; "*" allows whatever the preflight request asks for.
	AllowMethods  []string `json:"allowMethods,omitempty"`
	AllowHeaders  []string `json:"allowHeaders,omitempty"`
	ExposeHeaders []string `json:"exposeHeaders,omitempty"`
	// MaxAgeSeconds is how long clients may cache a preflight answer.
	MaxAgeSeconds    int32 `json:"maxAgeSeconds"`
	AllowCredentials bool  `json:"allowCredentials,omitempty"`
}

// StringMatchType says how a StringMatch compares.
type StringMatchType string

const (
	// MatchExact compares for equality.
	MatchExact StringMatchType = "Exact"
	// MatchPrefix matches a prefix. For paths it is a path-element prefix:
	// "/foo" matches "/foo" and "/foo/bar" but not "/foobar".
	MatchPrefix StringMatchType = "Prefix"
	// MatchRegularExpression matches an RE2 regular expression against the whole value.
	MatchRegularExpression StringMatchType = "RegularExpression"
)

// StringMatch matches a path, header or query parameter value. Name is empty
// for path matches. Header names are lower-case.
type StringMatch struct {
	Name  string          `json:"name,omitempty"`
	Type  StringMatchType `json:"type"`
	Value string          `json:"value"`
}

// HeaderModifier adds, sets and removes headers.
type HeaderModifier struct {
	// Add appends a value (keeping existing values of the same header).
	Add []Header `json:"add,omitempty"`
	// Set overwrites the header.
	Set []Header `json:"set,omitempty"`
	// Remove deletes headers by name.
	Remove []string `json:"remove,omitempty"`
}

// Header is a header name and value.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Redirect answers with an HTTP redirect. Nil or empty fields keep the request's value.
type Redirect struct {
	Scheme   *string      `json:"scheme,omitempty"`
	Hostname *string      `json:"hostname,omitempty"`
	Port     *uint32      `json:"port,omitempty"`
	Path     *PathRewrite `json:"path,omitempty"`
	// StatusCode is 301, 302, 303, 307 or 308.
	StatusCode int `json:"statusCode"`
}

// URLRewrite rewrites the request before it is forwarded.
type URLRewrite struct {
	Hostname *string      `json:"hostname,omitempty"`
	Path     *PathRewrite `json:"path,omitempty"`
}

// PathRewrite replaces the full path, or the matched prefix.
type PathRewrite struct {
	// FullPath replaces the whole path.
	FullPath *string `json:"fullPath,omitempty"`
	// PrefixMatch replaces the prefix matched by the route's PathMatch (which
	// is then a Prefix match) with this value.
	PrefixMatch *string `json:"prefixMatch,omitempty"`
}

// DirectResponse answers without contacting a backend.
type DirectResponse struct {
	StatusCode uint32 `json:"statusCode"`
	Body       string `json:"body,omitempty"`
}

// Destination is the weighted set of clusters a route forwards to.
type Destination struct {
	// Backends are the valid backends with a non-zero weight.
	Backends []*WeightedCluster `json:"backends,omitempty"`
	// InvalidWeight is the total weight of backendRefs that could not be
	// resolved; that share of requests is answered with HTTP 500.
	InvalidWeight uint32 `json:"invalidWeight,omitempty"`
}

// WeightedCluster is a cluster name and its weight, with the header
// modifications of the requests sent to it and of its responses (applied
// before the route's own).
type WeightedCluster struct {
	Cluster         string          `json:"cluster"`
	Weight          uint32          `json:"weight"`
	RequestHeaders  *HeaderModifier `json:"requestHeaders,omitempty"`
	ResponseHeaders *HeaderModifier `json:"responseHeaders,omitempty"`
}

// Mirror sends a copy of requests to a cluster; Percent (0-100) of requests,
// all when nil.
type Mirror struct {
	Cluster string   `json:"cluster"`
	Percent *float64 `json:"percent,omitempty"`
}

// TLSListener is a TLS listener: connections are routed by SNI, and
// forwarded as they are (passthrough) or, when TLS is set, decrypted with
// its certificates and forwarded as plain TCP (terminate).
type TLSListener struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Port    uint32 `json:"port"`
	// TLS is nil for passthrough; for terminate it holds the certificates.
	TLS    *TLSConfig  `json:"tls,omitempty"`
	Routes []*TLSRoute `json:"routes,omitempty"`
}

// TLSRoute routes connections whose SNI matches one of Hostnames ("*" or
// empty matches any SNI; wildcards like "*.example.com" are allowed).
type TLSRoute struct {
	// Name is stable and readable: "tlsroute/<ns>/<name>/rule/<i>".
	Name        string       `json:"name"`
	Hostnames   []string     `json:"hostnames,omitempty"`
	Destination *Destination `json:"destination"`
}

// TCPListener is a TCP listener: every connection is forwarded to the
// destination of its route. Without a route it is not served (connections
// are refused).
type TCPListener struct {
	Name    string   `json:"name"`
	Address string   `json:"address"`
	Port    uint32   `json:"port"`
	Route   *L4Route `json:"route,omitempty"`
}

// L4Route forwards whole connections (TCP) or datagram sessions (UDP) to a
// weighted set of clusters.
type L4Route struct {
	// Name is stable and readable: "tcproute/<ns>/<name>" or "udproute/<ns>/<name>".
	Name        string       `json:"name"`
	Destination *Destination `json:"destination"`
}

// DiscoveryType says how a cluster finds its endpoints.
type DiscoveryType string

const (
	// DiscoveryEDS: endpoints are IP addresses served over EDS.
	DiscoveryEDS DiscoveryType = "EDS"
	// DiscoveryDNS: endpoints are hostnames resolved by the proxy (strict DNS).
	DiscoveryDNS DiscoveryType = "DNS"
)

// Cluster is an upstream: one Service port.
type Cluster struct {
	// Name is stable and readable: "service/<ns>/<name>/<port>", with the
	// suffix "/h2c" for the HTTP/2 cluster of a port that is not h2c (gRPC).
	Name      string        `json:"name"`
	Discovery DiscoveryType `json:"discovery"`
	// EndpointSource, set only on EDS clusters, says where the cluster's
	// endpoints come from: the endpoints snapshot (see Endpoints), which
	// changes without a new Xds. A cluster with a source has no Endpoints.
	EndpointSource *EndpointSource `json:"endpointSource,omitempty"`
	// Endpoints are fixed addresses, sorted: the hostnames of a DNS cluster,
	// or the IP addresses of an EDS cluster without an EndpointSource.
	Endpoints []*Endpoint `json:"endpoints,omitempty"`
	// Protocol is the upstream HTTP protocol: HTTP1 (default) or HTTP2.
	Protocol AppProtocol `json:"protocol,omitempty"`
	// TLS, when set, makes the proxy originate TLS to the endpoints.
	TLS *UpstreamTLS `json:"tls,omitempty"`
}

// AppProtocol is the protocol spoken to an upstream.
type AppProtocol string

const (
	// AppProtocolHTTP1 is HTTP/1.1 (or raw TCP for TLS passthrough).
	AppProtocolHTTP1 AppProtocol = ""
	// AppProtocolHTTP2 is HTTP/2 cleartext (h2c).
	AppProtocolHTTP2 AppProtocol = "HTTP2"
)

// Endpoint is one upstream address and port.
type Endpoint struct {
	Address string `json:"address"`
	Port    uint32 `json:"port"`
	// Zone is the topology zone of the endpoint, when known.
	Zone string `json:"zone,omitempty"`
}

// Duration is a time.Duration that marshals as a Go duration string ("1.5s").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf("%q", time.Duration(d).String())), nil
}

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("duration must be a string, got %s", b)
	}
	v, err := time.ParseDuration(string(b[1 : len(b)-1]))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Validate checks the invariants every reader of an Xds relies on: names are
// set and unique, ports are valid, every route has exactly one action, and
// every cluster a route refers to exists.
func (x *Xds) Validate() error {
	if x == nil {
		return errors.New("xds ir is nil")
	}
	var errs []error
	clusters := make(map[string]bool, len(x.Clusters))
	for i, c := range x.Clusters {
		if err := c.validate(); err != nil {
			errs = append(errs, fmt.Errorf("clusters[%d]: %w", i, err))
			continue
		}
		if clusters[c.Name] {
			errs = append(errs, fmt.Errorf("clusters[%d]: duplicate name %q", i, c.Name))
		}
		clusters[c.Name] = true
	}
	names := map[string]bool{}
	errs = append(errs, validateListeners("http", x.HTTP, names, func(l *HTTPListener) (string, error) {
		return l.Name, l.validate(clusters)
	})...)
	errs = append(errs, validateListeners("tls", x.TLS, names, func(l *TLSListener) (string, error) {
		return l.Name, l.validate(clusters)
	})...)
	errs = append(errs, validateListeners("tcp", x.TCP, names, func(l *TCPListener) (string, error) {
		return l.Name, l.validate(clusters)
	})...)
	errs = append(errs, x.validateGlobalRateLimit()...)
	return errors.Join(errs...)
}

// validateListeners checks the listeners of one kind (field is their field
// name in Xds): each must be valid and have a name no listener of any kind
// has (names records them).
func validateListeners[L any](field string, ls []L, names map[string]bool, check func(L) (string, error)) []error {
	var errs []error
	for i, l := range ls {
		name, err := check(l)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", field, i, err))
			continue
		}
		if names[name] {
			errs = append(errs, fmt.Errorf("%s[%d]: duplicate listener name %q", field, i, name))
		}
		names[name] = true
	}
	return errs
}

func validateListenerAddress(name, address string, port uint32) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case address == "":
		return errors.New("address is empty")
	case port == 0 || port > 65535:
		return fmt.Errorf("port %d is out of range 1-65535", port)
	}
	return nil
}

func (l *HTTPListener) validate(clusters map[string]bool) error {
	if err := l.ValidateOwn(); err != nil {
		return err
	}
	for i, r := range l.Routes {
		if err := r.Validate(clusters); err != nil {
			return fmt.Errorf("routes[%d] %q: %w", i, r.Name, err)
		}
	}
	return nil
}

// ValidateOwn checks the listener's own fields, not its routes.
func (l *HTTPListener) ValidateOwn() error {
	if err := validateListenerAddress(l.Name, l.Address, l.Port); err != nil {
		return err
	}
	if len(l.Hostnames) == 0 {
		return errors.New("hostnames is empty")
	}
	return l.TLS.validate()
}

// validate checks the certificates of a listener terminating TLS; nil is valid.
func (c *TLSConfig) validate() error {
	if c == nil {
		return nil
	}
	if len(c.Certificates) == 0 {
		return errors.New("tls.certificates is empty")
	}
	for i, cert := range c.Certificates {
		if cert.Name == "" || len(cert.Certificate) == 0 || len(cert.PrivateKey) == 0 {
			return fmt.Errorf("tls.certificates[%d]: name, certificate and privateKey are required", i)
		}
	}
	if c.ClientValidation != nil && c.ClientValidation.CACertificate == "" {
		return errors.New("tls.clientValidation.caCertificate is empty")
	}
	return nil
}

// Validate checks one route; clusters are the names of the fleet's clusters.
func (r *HTTPRoute) Validate(clusters map[string]bool) error {
	if r.Name == "" {
		return errors.New("name is empty")
	}
	if r.Hostname == "" {
		return errors.New("hostname is empty")
	}
	actions := 0
	if r.Redirect != nil {
		actions++
	}
	if r.DirectResponse != nil {
		actions++
	}
	if r.Destination != nil {
		actions++
		if err := r.Destination.validate(clusters); err != nil {
			return fmt.Errorf("destination: %w", err)
		}
	}
	if actions != 1 {
		return fmt.Errorf("exactly one of redirect, directResponse and destination must be set, got %d", actions)
	}
	for i, m := range r.Mirrors {
		if !clusters[m.Cluster] {
			return fmt.Errorf("mirrors[%d]: unknown cluster %q", i, m.Cluster)
		}
	}
	if r.PathMatch != nil && r.PathMatch.Name != "" {
		return errors.New("pathMatch must not have a name")
	}
	if r.Rewrite != nil && r.Rewrite.Path != nil && r.Rewrite.Path.PrefixMatch != nil &&
		(r.PathMatch == nil || r.PathMatch.Type != MatchPrefix) {
		return errors.New("rewrite.path.prefixMatch needs a Prefix pathMatch")
	}
	if r.RateLimit != nil {
		if err := r.RateLimit.validate(); err != nil {
			return fmt.Errorf("rateLimit: %w", err)
		}
	}
	return nil
}

func (d *Destination) validate(clusters map[string]bool) error {
	if len(d.Backends) == 0 && d.InvalidWeight == 0 {
		return errors.New("no backends and no invalid weight")
	}
	for i, b := range d.Backends {
		if !clusters[b.Cluster] {
			return fmt.Errorf("backends[%d]: unknown cluster %q", i, b.Cluster)
		}
		if b.Weight == 0 {
			return fmt.Errorf("backends[%d]: weight is 0", i)
		}
	}
	return nil
}

func (l *TLSListener) validate(clusters map[string]bool) error {
	if err := l.ValidateOwn(); err != nil {
		return err
	}
	for i, r := range l.Routes {
		if err := r.Validate(clusters); err != nil {
			return fmt.Errorf("routes[%d]: %w", i, err)
		}
	}
	return nil
}

// ValidateOwn checks the listener's own fields, not its routes.
func (l *TLSListener) ValidateOwn() error {
	if err := validateListenerAddress(l.Name, l.Address, l.Port); err != nil {
		return err
	}
	return l.TLS.validate()
}

// Validate checks one route; clusters are the names of the fleet's clusters.
func (r *TLSRoute) Validate(clusters map[string]bool) error {
	switch {
	case r.Name == "":
		return errors.New("name is empty")
	case r.Destination == nil:
		return fmt.Errorf("%q: destination is nil", r.Name)
	}
	if err := r.Destination.validate(clusters); err != nil {
		return fmt.Errorf("%q: destination: %w", r.Name, err)
	}
	return nil
}

// ValidateOwn checks the listener's own fields, not its route.
func (l *TCPListener) ValidateOwn() error {
	return validateListenerAddress(l.Name, l.Address, l.Port)
}

func (l *TCPListener) validate(clusters map[string]bool) error {
	if err := l.ValidateOwn(); err != nil {
		return err
	}
	if l.Route != nil {
		if err := l.Route.Validate(clusters); err != nil {
			return fmt.Errorf("route: %w", err)
		}
	}
	return nil
}

// Validate checks one L4 route; clusters are the names of the fleet's clusters.
func (r *L4Route) Validate(clusters map[string]bool) error {
	switch {
	case r.Name == "":
		return errors.New("name is empty")
	case r.Destination == nil:
		return fmt.Errorf("%q: destination is nil", r.Name)
	}
	if err := r.Destination.validate(clusters); err != nil {
		return fmt.Errorf("%q: destination: %w", r.Name, err)
	}
	return nil
}

// Validate checks one cluster.
func (c *Cluster) Validate() error { return c.validate() }

func (c *Cluster) validate() error {
	if c.Name == "" {
		return errors.New("name is empty")
	}
	if c.Discovery != DiscoveryEDS && c.Discovery != DiscoveryDNS {
		return fmt.Errorf("discovery %q is not EDS or DNS", c.Discovery)
	}
	if c.EndpointSource != nil {
		if c.Discovery != DiscoveryEDS {
			return fmt.Errorf("endpointSource is only allowed on EDS clusters, not %s", c.Discovery)
		}
		if len(c.Endpoints) > 0 {
			return errors.New("endpointSource and endpoints are mutually exclusive")
		}
		if err := c.EndpointSource.validate(); err != nil {
			return fmt.Errorf("endpointSource: %w", err)
		}
	}
	for i, e := range c.Endpoints {
		if e.Address == "" || e.Port == 0 || e.Port > 65535 {
			return fmt.Errorf("endpoints[%d]: address and a port in 1-65535 are required", i)
		}
	}
	if c.TLS != nil {
		if err := c.TLS.validate(); err != nil {
			return fmt.Errorf("tls: %w", err)
		}
	}
	return nil
}
