package echo

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// Mode is which server the image runs.
type Mode string

// Modes of the image.
const (
	ModeHTTP Mode = "http"
	ModeGRPC Mode = "grpc"
	ModeTCP  Mode = "tcp"
	ModeUDP  Mode = "udp"
)

// Config is a server's configuration, read from the container's
// environment by ConfigFromEnv.
type Config struct {
	Mode Mode
	// Addr is the address to listen on (the Pod's IP).
	Addr netip.Addr
	// Namespace, Ingress, Service and Pod are echoed in every answer
	// (NAMESPACE, INGRESS_NAME, SERVICE_NAME, POD_NAME).
	Namespace, Ingress, Service, Pod string
	// Ports: HTTPPort is also the gRPC plaintext port, HTTPSPort the gRPC
	// TLS port; TCPPort and TLSPort are those of the TCP mode, UDPPort
	// that of the UDP mode.
	HTTPPort, H2CPort, HTTPSPort int
	TCPPort, TLSPort, UDPPort    int
	// TLSCert and TLSKey are PEM; when both are set the TLS listener runs.
	TLSCert, TLSKey []byte
	// ClientCAs (PEM) verify client certificates of HTTPS, when set.
	ClientCAs []byte
	// Log receives the server's output (the container's stdout).
	Log io.Writer
}

// ConfigFromEnv reads a Config from the container's environment, reading
// the files it names with readFile. Addr and Log are left to the caller.
func ConfigFromEnv(env map[string]string, readFile func(string) ([]byte, error)) (Config, error) {
	c := Config{
		Mode:      ModeHTTP,
		Namespace: env["NAMESPACE"], Ingress: env["INGRESS_NAME"], Service: env["SERVICE_NAME"], Pod: env["POD_NAME"],
	}
	switch {
	case env["UDP_ECHO_SERVER"] != "":
		c.Mode = ModeUDP
	case env["GRPC_ECHO_SERVER"] != "":
		c.Mode = ModeGRPC
	case env["TCP_ECHO_SERVER"] != "":
		c.Mode = ModeTCP
	}
	ports := []struct {
		name string
		def  int
		dst  *int
	}{
		{"HTTP_PORT", 3000, &c.HTTPPort}, {"H2C_PORT", 3001, &c.H2CPort}, {"HTTPS_PORT", 8443, &c.HTTPSPort},
		{"TCP_PORT", 3000, &c.TCPPort}, {"TLS_PORT", 8443, &c.TLSPort},
		{"UDP_PORT", 8080, &c.UDPPort},
	}
	for _, p := range ports {
		v, err := port(env, p.name, p.def)
		if err != nil {
			return c, err
		}
		*p.dst = v
	}
	// The HTTP mode names the key TLS_SERVER_PRIVKEY, the others TLS_SERVER_PRIV_KEY.
	keyVar := "TLS_SERVER_PRIV_KEY"
	if c.Mode == ModeHTTP {
		keyVar = "TLS_SERVER_PRIVKEY"
	}
	var err error
	if env["TLS_SERVER_CERT"] != "" && env[keyVar] != "" {
		if c.TLSCert, err = readVar(env, "TLS_SERVER_CERT", readFile); err != nil {
			return c, err
		}
		if c.TLSKey, err = readVar(env, keyVar, readFile); err != nil {
			return c, err
		}
	}
	if c.Mode == ModeHTTP && env["TLS_CLIENT_CACERTS"] != "" {
		if c.ClientCAs, err = readVar(env, "TLS_CLIENT_CACERTS", readFile); err != nil {
			return c, err
		}
	}
	return c, nil
}

// port reads a port variable.
func port(env map[string]string, name string, def int) (int, error) {
	s := env[name]
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s %q: must be a port number (1-65535)", name, s)
	}
	return n, nil
}

// readVar reads the file a variable names.
func readVar(env map[string]string, name string, readFile func(string) ([]byte, error)) ([]byte, error) {
	b, err := readFile(env[name])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return b, nil
}

// StartContainer starts what a container of the image runs: the server
// its environment configures, listening on podIP, with its output to
// stdout.
func StartContainer(ctx context.Context, env map[string]string, readFile func(string) ([]byte, error),
	podIP netip.Addr, stdout io.Writer) (*Server, error) {
	cfg, err := ConfigFromEnv(env, readFile)
	if err != nil {
		return nil, err
	}
	cfg.Addr, cfg.Log = podIP, stdout
	return Start(ctx, cfg)
}
