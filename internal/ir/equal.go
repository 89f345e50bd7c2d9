package ir

import "slices"

// Equal reports whether c and o are the same cluster: the same pointer, or
// equal in every field. Published IR is never modified, so an equal
// cluster can stand for the other.
func (c *Cluster) Equal(o *Cluster) bool {
	if c == o {
		return true
	}
	if c == nil || o == nil {
		return false
	}
	return c.Name == o.Name && c.Discovery == o.Discovery && c.Protocol == o.Protocol &&
		sourceEqual(c.EndpointSource, o.EndpointSource) && EndpointsEqual(c.Endpoints, o.Endpoints) &&
		c.TLS.Equal(o.TLS)
}

func sourceEqual(a, b *EndpointSource) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// EndpointsEqual reports whether two lists of endpoints are equal, element
// by element.
func EndpointsEqual(a, b []*Endpoint) bool {
	return slices.EqualFunc(a, b, func(x, y *Endpoint) bool { return x == y || (x != nil && y != nil && *x == *y) })
}

// Equal reports whether two upstream TLS settings are the same (both nil
// included).
func (u *UpstreamTLS) Equal(o *UpstreamTLS) bool {
	if u == nil || o == nil {
		return u == o
	}
	certEqual := u.ClientCertificate == o.ClientCertificate ||
		(u.ClientCertificate != nil && o.ClientCertificate != nil && *u.ClientCertificate == *o.ClientCertificate)
	return u.SNI == o.SNI && u.CACertificate == o.CACertificate && u.SystemCA == o.SystemCA &&
		slices.Equal(u.SubjectAltNames, o.SubjectAltNames) && certEqual
}
