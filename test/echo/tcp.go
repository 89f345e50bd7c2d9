package echo

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// tcpWelcome is the first line of every TCP connection.
const tcpWelcome = "Gateway API Test TCP Server\n"

// tcpAnswer is the JSON the TEST command returns.
type tcpAnswer struct {
	Namespace string  `json:"namespace"`
	Ingress   string  `json:"ingress"`
	Service   string  `json:"service"`
	Pod       string  `json:"pod"`
	TCPPort   string  `json:"tcpport"`
	TLSPort   string  `json:"tlsport,omitempty"`
	IsTLS     bool    `json:"isTLS"`
	TLS       *tcpTLS `json:"tls,omitempty"`
}

// tcpTLS describes the TLS state of a TCP connection.
type tcpTLS struct {
	Version            string `json:"version"`
	ServerName         string `json:"serverName"`
	NegotiatedProtocol string `json:"negotiatedProtocol,omitempty"`
	Curves             string `json:"curves,omitempty"`
	CipherSuite        string `json:"cipherSuite"`
}

// startTCP serves the line protocol on TCPPort and, with a certificate,
// over TLS on TLSPort.
func (s *Server) startTCP() error {
	return s.servePlainAndTLS(s.serveTCP, ListenerTCP, s.cfg.TCPPort, ListenerTLS, s.cfg.TLSPort)
}

func (s *Server) serveTCP(name string, port int, tlsCfg *tls.Config) error {
	ln, err := s.listen(name, port)
	if err != nil {
		return err
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	closed := false
	var wg sync.WaitGroup
	s.onStop(func(context.Context) error {
		err := ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
		return err
	})
	s.serve(func() error {
		for {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				_ = c.Close()
				return net.ErrClosed
			}
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				s.handleTCP(c)
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				_ = c.Close()
			})
		}
	}, net.ErrClosed)
	return nil
}

// handleTCP runs the line protocol on one connection.
func (s *Server) handleTCP(c net.Conn) {
	answer := tcpAnswer{
		Namespace: s.cfg.Namespace, Ingress: s.cfg.Ingress, Service: s.cfg.Service, Pod: s.cfg.Pod,
		TCPPort: strconv.Itoa(s.cfg.TCPPort), TLSPort: strconv.Itoa(s.cfg.TLSPort),
	}
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.Handshake(); err != nil {
			_, _ = fmt.Fprintf(s.cfg.Log, "TLS handshake failed: %v\n", err)
			return
		}
		st := tc.ConnectionState()
		answer.IsTLS = true
		answer.TLS = &tcpTLS{
			Version: tls.VersionName(st.Version), ServerName: st.ServerName, NegotiatedProtocol: st.NegotiatedProtocol,
			Curves: st.CurveID.String(), CipherSuite: tls.CipherSuiteName(st.CipherSuite),
		}
	}
	payload, err := json.Marshal(answer)
	if err != nil {
		return
	}
	if _, err := fmt.Fprint(c, tcpWelcome); err != nil {
		return
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		var reply string
		switch sc.Text() {
		case "TEST":
			reply = string(payload)
		case "IS_TLS":
			reply = strconv.FormatBool(answer.IsTLS)
		case "PING":
			reply = "PONG"
		default:
			continue
		}
		if _, err := fmt.Fprintln(c, reply); err != nil {
			return
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, net.ErrClosed) {
		_, _ = fmt.Fprintf(s.cfg.Log, "TCP connection ended: %v\n", err)
	}
}
