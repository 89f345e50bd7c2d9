package listener

import (
	"fmt"
	"slices"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
)

// chainMatch is a compiled FilterChainMatch.
type chainMatch struct {
	port        uint32 // 0: any
	serverNames []string
	transport   string
	alpn        []string
}

func compileMatch(m *listenerv3.FilterChainMatch, path string) (chainMatch, error) {
	cm := chainMatch{
		port:      m.GetDestinationPort().GetValue(),
		transport: m.GetTransportProtocol(),
		alpn:      m.GetApplicationProtocols(),
	}
	for i, n := range m.GetServerNames() {
		if strings.Contains(n, "*") && !strings.HasPrefix(n, "*.") || strings.Count(n, "*") > 1 {
			return cm, fmt.Errorf("%s.server_names[%d]: invalid: partial wildcards are not supported in server_names: %q",
				path, i, n)
		}
		cm.serverNames = append(cm.serverNames, strings.ToLower(n))
	}
	return cm, nil
}

// keys are the match combinations a chain claims; two chains claiming
// one are "multiple filter chains with the same matching rules", which
// Envoy refuses.
func (m chainMatch) keys() []string {
	names, alpns := m.serverNames, m.alpn
	if len(names) == 0 {
		names = []string{""}
	}
	if len(alpns) == 0 {
		alpns = []string{""}
	}
	out := make([]string, 0, len(names)*len(alpns))
	for _, n := range names {
		for _, a := range alpns {
			out = append(out, fmt.Sprintf("%d|%s|%s|%s", m.port, n, m.transport, a))
		}
	}
	return out
}

// findChain selects a filter chain as Envoy's FilterChainManagerImpl:
// criterion by criterion in Envoy's order (destination port, server
// name, transport protocol, application protocols), the most specific
// match wins at each level and there is no backtracking to a less
// specific one when a later criterion fails. nil means no chain matches.
func findChain(chains []*chain, ci connInfo) *chain {
	cands := chains
	cands = narrow(cands, func(c *chain) bool { return c.match.port != 0 && c.match.port == ci.dstPort },
		func(c *chain) bool { return c.match.port == 0 })
	cands = byServerName(cands, ci.sni)
	cands = narrow(cands, func(c *chain) bool { return c.match.transport != "" && c.match.transport == ci.transport },
		func(c *chain) bool { return c.match.transport == "" })
	cands = byALPN(cands, ci.alpn)
	if len(cands) == 0 {
		return nil
	}
	return cands[0]
}

// narrow keeps the chains matching specifically, else those matching
// any value.
func narrow(cands []*chain, specific, any func(*chain) bool) []*chain {
	if s := filter(cands, specific); len(s) > 0 {
		return s
	}
	return filter(cands, any)
}

func filter(cands []*chain, keep func(*chain) bool) []*chain {
	var out []*chain
	for _, c := range cands {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

// byServerName keeps the chains naming the SNI exactly, else by the
// longest matching wildcard ("*.b.c" before "*.c"), else those without
// server names.
func byServerName(cands []*chain, sni string) []*chain {
	if sni != "" {
		if s := filter(cands, func(c *chain) bool { return slices.Contains(c.match.serverNames, sni) }); len(s) > 0 {
			return s
		}
		for i := 0; i < len(sni); i++ {
			if sni[i] != '.' {
				continue
			}
			wild := "*" + sni[i:]
			if s := filter(cands, func(c *chain) bool { return slices.Contains(c.match.serverNames, wild) }); len(s) > 0 {
				return s
			}
		}
	}
	return filter(cands, func(c *chain) bool { return len(c.match.serverNames) == 0 })
}

// byALPN keeps the chains listing the first of the client's protocols
// some chain lists, else those without application protocols.
func byALPN(cands []*chain, alpn []string) []*chain {
	for _, p := range alpn {
		if s := filter(cands, func(c *chain) bool { return slices.Contains(c.match.alpn, p) }); len(s) > 0 {
			return s
		}
	}
	return filter(cands, func(c *chain) bool { return len(c.match.alpn) == 0 })
}
