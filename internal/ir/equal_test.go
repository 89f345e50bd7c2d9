package ir

import (
	"reflect"
	"testing"
)

// TestClusterEqualComparesEveryField guards Cluster.Equal against a field
// added to Cluster and forgotten there: changing any field of a cluster
// must make it unequal.
func TestClusterEqualComparesEveryField(t *testing.T) {
	base := func() *Cluster {
		return &Cluster{Name: "a", Discovery: DiscoveryEDS, Protocol: AppProtocolHTTP2,
			EndpointSource: &EndpointSource{Namespace: "ns", Name: "s", Port: 80, PortName: "http", Protocol: ProtocolTCP},
			Endpoints:      []*Endpoint{{Address: "10.0.0.1", Port: 80, Zone: "z"}},
			TLS: &UpstreamTLS{SNI: "a.example", CACertificate: "ca",
				SubjectAltNames:   []SubjectAltName{{Type: SANTypeDNS, Value: "a.example"}},
				ClientCertificate: &Certificate{Name: "c", Certificate: "crt", PrivateKey: "key"}}}
	}
	if !base().Equal(base()) {
		t.Fatal("equal clusters are not equal")
	}
	typ := reflect.TypeFor[Cluster]()
	for i := range typ.NumField() {
		c := base()
		f := reflect.ValueOf(c).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Pointer:
			f.Elem().Field(0).SetString("other")
		case reflect.Slice:
			f.Set(reflect.Append(f, f.Index(0)))
		default:
			t.Fatalf("field %s of kind %s: teach this test and Cluster.Equal about it", typ.Field(i).Name, f.Kind())
		}
		if base().Equal(c) {
			t.Errorf("clusters differing in %s are equal", typ.Field(i).Name)
		}
	}
	for i, mutate := range []func(e *Endpoint){
		func(e *Endpoint) { e.Address = "x" }, func(e *Endpoint) { e.Port++ }, func(e *Endpoint) { e.Zone = "y" },
	} {
		c := base()
		mutate(c.Endpoints[0])
		if base().Equal(c) {
			t.Errorf("endpoint change %d not seen", i)
		}
	}
	for i, mutate := range []func(u *UpstreamTLS){
		func(u *UpstreamTLS) { u.SNI = "x" }, func(u *UpstreamTLS) { u.CACertificate = "x" },
		func(u *UpstreamTLS) { u.SystemCA = true }, func(u *UpstreamTLS) { u.SubjectAltNames[0].Type = SANTypeURI },
		func(u *UpstreamTLS) { u.SubjectAltNames[0].Value = "x" }, func(u *UpstreamTLS) { u.ClientCertificate.PrivateKey = "x" },
		func(u *UpstreamTLS) { u.ClientCertificate = nil },
	} {
		c := base()
		mutate(c.TLS)
		if base().Equal(c) {
			t.Errorf("upstream TLS change %d not seen", i)
		}
	}
	if reflect.TypeFor[UpstreamTLS]().NumField() != 5 {
		t.Error("UpstreamTLS changed: check UpstreamTLS.Equal, then this test")
	}
	if reflect.TypeFor[Endpoint]().NumField() != 3 || reflect.TypeFor[EndpointSource]().NumField() != 5 {
		t.Error("Endpoint or EndpointSource changed: check EndpointsEqual and sourceEqual, then this test")
	}
}
