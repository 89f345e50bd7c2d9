package echo

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	pb "sigs.k8s.io/gateway-api/conformance/echo-basic/grpcechoserver"
)

// grpcEcho is the suite's GrpcEcho service: Echo and EchoTwo answer with
// the method, the request's metadata and :authority, the Pod's context and
// the TLS state; EchoThree is unimplemented on purpose.
type grpcEcho struct {
	pb.UnimplementedGrpcEchoServer
	cfg Config
	tls bool
}

// Echo answers with the request's description.
func (g *grpcEcho) Echo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return g.answer(ctx, "Echo")
}

// EchoTwo is Echo at another method.
func (g *grpcEcho) EchoTwo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return g.answer(ctx, "EchoTwo")
}

func (g *grpcEcho) answer(ctx context.Context, method string) (*pb.EchoResponse, error) {
	conn := "plaintext"
	if g.tls {
		conn = "TLS"
	}
	_, _ = fmt.Fprintf(g.cfg.Log, "Received over %s: %s\n", conn, method)
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return nil, errors.New("the request carries no metadata")
	}
	a := &pb.Assertions{
		FullyQualifiedMethod: "/" + pb.GrpcEcho_ServiceDesc.ServiceName + "/" + method,
		Context: &pb.Context{
			Namespace: g.cfg.Namespace, Ingress: g.cfg.Ingress, ServiceName: g.cfg.Service, Pod: g.cfg.Pod,
		},
	}
	for k, vs := range md {
		for _, v := range vs {
			if k == ":authority" {
				a.Authority = v
			}
			a.Headers = append(a.Headers, &pb.Header{Key: k, Value: v})
		}
	}
	if g.tls {
		t, err := grpcTLS(ctx)
		if err != nil {
			return nil, err
		}
		a.TlsAssertions = t
	}
	return &pb.EchoResponse{Assertions: a}, nil
}

// grpcTLS describes the TLS connection of a call.
func grpcTLS(ctx context.Context) (*pb.TLSAssertions, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, errors.New("the call has no peer")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return nil, errors.New("the call's connection is not TLS")
	}
	st := info.State
	t := &pb.TLSAssertions{
		Version: tlsVersion(st.Version), NegotiatedProtocol: st.NegotiatedProtocol,
		ServerName: st.ServerName, CipherSuite: tls.CipherSuiteName(st.CipherSuite),
	}
	for _, c := range st.PeerCertificates {
		t.PeerCertificates = append(t.PeerCertificates, certPEM(c.Raw))
	}
	return t, nil
}

// startGRPC serves GrpcEcho in plaintext on HTTPPort and, with a
// certificate, over TLS on HTTPSPort; both with server reflection.
func (s *Server) startGRPC() error {
	return s.servePlainAndTLS(s.serveGRPC, ListenerGRPC, s.cfg.HTTPPort, ListenerGRPCS, s.cfg.HTTPSPort)
}

func (s *Server) serveGRPC(name string, port int, tlsCfg *tls.Config) error {
	ln, err := s.listen(name, port)
	if err != nil {
		return err
	}
	var opts []grpc.ServerOption
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
	}
	srv := grpc.NewServer(opts...)
	pb.RegisterGrpcEchoServer(srv, &grpcEcho{cfg: s.cfg, tls: tlsCfg != nil})
	reflection.Register(srv)
	s.onStop(func(context.Context) error { srv.Stop(); return nil })
	s.serve(func() error { return srv.Serve(ln) }, grpc.ErrServerStopped)
	return nil
}
