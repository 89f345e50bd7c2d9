package coredns

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// serverBlock is one block of a Corefile: the zones and port it serves
// and its plugins.
type serverBlock struct {
	zones   []string // lower case, fully qualified ("." or "foo.bar.com.")
	port    int
	plugins map[string][]string // plugin name -> arguments
}

// supportedPlugins are the plugins this stand-in implements.
var supportedPlugins = map[string]bool{"log": true, "errors": true, "whoami": true, "forward": true}

// parseCorefile reads the server blocks of a Corefile.
func parseCorefile(data []byte) ([]serverBlock, error) {
	var blocks []serverBlock
	var cur *serverBlock
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case cur == nil:
			b, err := parseKeys(fields)
			if err != nil {
				return nil, fmt.Errorf("corefile line %d: %w", n, err)
			}
			cur = &b
		case len(fields) == 1 && fields[0] == "}":
			blocks = append(blocks, *cur)
			cur = nil
		case strings.Contains(line, "{") || strings.Contains(line, "}"):
			return nil, fmt.Errorf("corefile line %d: plugin blocks are not supported", n)
		default:
			if !supportedPlugins[fields[0]] {
				return nil, fmt.Errorf("corefile line %d: plugin %q is not supported", n, fields[0])
			}
			cur.plugins[fields[0]] = fields[1:]
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("corefile: the block of %v is not closed", cur.zones)
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("corefile: no server block")
	}
	return blocks, sc.Err()
}

// parseKeys reads "zone[:port] ... {".
func parseKeys(fields []string) (serverBlock, error) {
	b := serverBlock{port: 53, plugins: map[string][]string{}}
	if fields[len(fields)-1] != "{" {
		return b, fmt.Errorf("a server block must open with '{' at the end of its line")
	}
	for i, key := range fields[:len(fields)-1] {
		key = strings.TrimPrefix(key, "dns://")
		zone, port, hasPort := strings.Cut(key, ":")
		if hasPort {
			p, err := strconv.Atoi(port)
			if err != nil || p < 1 || p > 65535 {
				return b, fmt.Errorf("key %q: bad port", key)
			}
			if i > 0 && p != b.port {
				return b, fmt.Errorf("key %q: all keys of a block must use one port", key)
			}
			b.port = p
		}
		b.zones = append(b.zones, fqdn(zone))
	}
	return b, nil
}

// fqdn lower-cases a name and ends it with a dot.
func fqdn(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// inZone reports whether name is zone or below it.
func inZone(name, zone string) bool {
	return zone == "." || name == zone || strings.HasSuffix(name, "."+zone)
}
