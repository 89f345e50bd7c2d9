package coredns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// handle answers one query, or returns nil when it does not parse.
func (s *Server) handle(req []byte, client netip.AddrPort, proto string, blocks []serverBlock) []byte {
	start := time.Now()
	var p dnsmessage.Parser
	hdr, err := p.Start(req)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return reply(hdr, nil, dnsmessage.RCodeFormatError, nil)
	}
	block, ok := pick(blocks, strings.ToLower(q.Name.String()))
	var resp []byte
	switch {
	case !ok:
		resp = reply(hdr, &q, dnsmessage.RCodeRefused, nil)
	case block.plugins["whoami"] != nil:
		resp = whoami(hdr, q, client, proto)
	case block.plugins["forward"] != nil:
		if resp, err = forward(req, block.plugins["forward"]); err != nil {
			s.logError(block, q, err)
			resp = reply(hdr, &q, dnsmessage.RCodeServerFailure, nil)
		}
	default:
		s.logError(block, q, errors.New("no next plugin found"))
		resp = reply(hdr, &q, dnsmessage.RCodeServerFailure, nil)
	}
	if _, ok := block.plugins["log"]; ok {
		s.logQuery(client, hdr, q, proto, len(req), resp, time.Since(start))
	}
	return resp
}

// pick returns the block with the longest zone containing name.
func pick(blocks []serverBlock, name string) (serverBlock, bool) {
	var best serverBlock
	bestLen := -1
	for _, b := range blocks {
		for _, z := range b.zones {
			if inZone(name, z) && len(z) > bestLen {
				best, bestLen = b, len(z)
			}
		}
	}
	return best, bestLen >= 0
}

// reply builds a response with the query's ID and question, a response
// code and additional records.
func reply(req dnsmessage.Header, q *dnsmessage.Question, rcode dnsmessage.RCode,
	extra func(*dnsmessage.Builder) error) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID: req.ID, Response: true, OpCode: req.OpCode, RecursionDesired: req.RecursionDesired,
		Authoritative: rcode == dnsmessage.RCodeSuccess, RCode: rcode,
	})
	b.EnableCompression()
	err := b.StartQuestions()
	if err == nil && q != nil {
		err = b.Question(*q)
	}
	if err == nil && extra != nil {
		if err = b.StartAdditionals(); err == nil {
			err = extra(&b)
		}
	}
	if err != nil {
		return nil
	}
	msg, err := b.Finish()
	if err != nil {
		return nil
	}
	return msg
}

// whoami answers with the client's address, port and transport.
func whoami(hdr dnsmessage.Header, q dnsmessage.Question, client netip.AddrPort, proto string) []byte {
	return reply(hdr, &q, dnsmessage.RCodeSuccess, func(b *dnsmessage.Builder) error {
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET}
		var err error
		if ip := client.Addr().Unmap(); ip.Is4() {
			err = b.AResource(rh, dnsmessage.AResource{A: ip.As4()})
		} else {
			err = b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: ip.As16()})
		}
		if err != nil {
			return err
		}
		srvName, err := dnsmessage.NewName("_" + proto + "." + q.Name.String())
		if err != nil {
			return err
		}
		return b.SRVResource(dnsmessage.ResourceHeader{Name: srvName, Class: dnsmessage.ClassINET},
			dnsmessage.SRVResource{Port: client.Port(), Target: dnsmessage.MustNewName(".")})
	})
}

// forward passes the query to the upstreams of "forward FROM TO..." in
// turn and returns the first answer.
func forward(req []byte, args []string) ([]byte, error) {
	if len(args) < 2 {
		return nil, errors.New("plugin/forward: needs a zone and at least one upstream")
	}
	var errs []error
	for _, to := range args[1:] {
		addr := strings.TrimPrefix(to, "dns://")
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "53")
		}
		resp, err := exchange(req, addr)
		if err == nil {
			return resp, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("plugin/forward: no upstream answered: %w", errors.Join(errs...))
}

// exchange sends a query over UDP and reads the answer.
func exchange(req []byte, addr string) ([]byte, error) {
	c, err := net.DialTimeout("udp", addr, upstreamTimeout)
	if err != nil {
		return nil, err
	}
	defer func() { _ = c.Close() }()
	if err := c.SetDeadline(time.Now().Add(upstreamTimeout)); err != nil {
		return nil, err
	}
	if _, err := c.Write(req); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// logQuery writes the log plugin's line.
func (s *Server) logQuery(client netip.AddrPort, hdr dnsmessage.Header, q dnsmessage.Question, proto string,
	size int, resp []byte, d time.Duration) {
	rcode := "SERVFAIL"
	var p dnsmessage.Parser
	if h, err := p.Start(resp); err == nil {
		rcode = rcodeName(h.RCode)
	}
	_, _ = fmt.Fprintf(s.cfg.Log, "[INFO] %s - %d \"%s %s %s %s %d\" %s %d %.9fs\n", client, hdr.ID,
		strings.TrimPrefix(q.Type.String(), "Type"), className(q.Class), q.Name, proto, size,
		rcode, len(resp), d.Seconds())
}

// logError writes the errors plugin's line.
func (s *Server) logError(b serverBlock, q dnsmessage.Question, err error) {
	if _, ok := b.plugins["errors"]; ok {
		_, _ = fmt.Fprintf(s.cfg.Log, "[ERROR] %s %s: %v\n", q.Name, strings.TrimPrefix(q.Type.String(), "Type"), err)
	}
}

// rcodeName names a response code as DNS tools print it.
func rcodeName(r dnsmessage.RCode) string {
	switch r {
	case dnsmessage.RCodeSuccess:
		return "NOERROR"
	case dnsmessage.RCodeFormatError:
		return "FORMERR"
	case dnsmessage.RCodeServerFailure:
		return "SERVFAIL"
	case dnsmessage.RCodeNameError:
		return "NXDOMAIN"
	case dnsmessage.RCodeNotImplemented:
		return "NOTIMP"
	case dnsmessage.RCodeRefused:
		return "REFUSED"
	}
	return fmt.Sprintf("RCODE%d", r)
}

// className names a class as DNS tools print it.
func className(c dnsmessage.Class) string {
	if c == dnsmessage.ClassINET {
		return "IN"
	}
	return strings.TrimPrefix(c.String(), "Class")
}
