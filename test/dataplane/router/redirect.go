package router

import (
	"fmt"
	"strconv"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// redirectCodes maps RedirectAction.response_code to the HTTP status.
var redirectCodes = map[routev3.RedirectAction_RedirectResponseCode]int{
	routev3.RedirectAction_MOVED_PERMANENTLY:  301,
	routev3.RedirectAction_FOUND:              302,
	routev3.RedirectAction_SEE_OTHER:          303,
	routev3.RedirectAction_TEMPORARY_REDIRECT: 307,
	routev3.RedirectAction_PERMANENT_REDIRECT: 308,
}

// redirect is a compiled RedirectAction (Envoy's RedirectConfig).
type redirect struct {
	status        int
	scheme        string // scheme_redirect
	https         bool   // https_redirect
	host          string
	port          string // ":N", or "" when port_redirect is 0
	pathRedirect  string
	pathHasQuery  bool
	prefixRewrite string
	regexRewrite  *rewriteRegex
	stripQuery    bool
}

func compileRedirect(r *routev3.RedirectAction, path string) (*redirect, error) {
	rd := &redirect{
		status:        redirectCodes[r.GetResponseCode()],
		scheme:        r.GetSchemeRedirect(),
		https:         r.GetHttpsRedirect(),
		host:          r.GetHostRedirect(),
		pathRedirect:  r.GetPathRedirect(),
		pathHasQuery:  strings.Contains(r.GetPathRedirect(), "?"),
		prefixRewrite: r.GetPrefixRewrite(),
		stripQuery:    r.GetStripQuery(),
	}
	if r.GetPortRedirect() != 0 {
		rd.port = ":" + strconv.FormatUint(uint64(r.GetPortRedirect()), 10)
	}
	if r.GetRegexRewrite() != nil {
		re, err := compileRewriteRegex(r.GetRegexRewrite(), joinPath(path, "regex_rewrite"))
		if err != nil {
			return nil, err
		}
		rd.regexRewrite = re
	}
	if rd.status == 0 {
		return nil, fmt.Errorf("%s: invalid: unknown response code %v", joinPath(path, "response_code"), r.GetResponseCode())
	}
	return rd, nil
}

// uriRequest is the part of the request a Location is built from.
type uriRequest struct {
	scheme, authority, path, forwardedProto string
}

// newURI builds the Location of a redirect (rd nil: of a direct response
// with a 3xx or 201 status) as Envoy's Http::Utility::newUri, from the
// request whose path has already been rewritten by the redirect's
// prefix_rewrite or regex_rewrite:
//
//   - scheme: scheme_redirect, else "https" with https_redirect, else the
//     request's :scheme;
//   - host: host_redirect (used verbatim), else the request's authority,
//     from which the port is removed when port_redirect is set, or when the
//     scheme changes and the port is the default one (":80" for http,
//     ":443" for https) of the x-forwarded-proto scheme;
//   - port: ":port_redirect", else nothing added;
//   - path: path_redirect (keeping the request's query string unless
//     path_redirect has one), else the request path; "/" is prepended if
//     missing; strip_query drops the query unless path_redirect has one.
func newURI(rd *redirect, req uriRequest) string {
	scheme := req.scheme
	var port, pathRedirect string
	var pathHasQuery, stripQuery bool
	if rd != nil {
		switch {
		case rd.scheme != "":
			scheme = rd.scheme
		case rd.https:
			scheme = "https"
		}
		port, pathRedirect, pathHasQuery, stripQuery = rd.port, rd.pathRedirect, rd.pathHasQuery, rd.stripQuery
	}
	host := processRequestHost(req.authority, scheme, port, req.forwardedProto)
	if rd != nil && rd.host != "" {
		host = rd.host
	}
	path := req.path
	if pathRedirect != "" {
		path = pathRedirect
		if q := strings.IndexByte(req.path, '?'); !pathHasQuery && q >= 0 {
			path = pathRedirect + req.path[q:]
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !pathHasQuery && stripQuery {
		if q := strings.IndexByte(path, '?'); q >= 0 {
			path = path[:q]
		}
	}
	return scheme + "://" + host + port + path
}

// processRequestHost is the host part of Envoy's newUri when the redirect
// does not replace the host.
func processRequestHost(host, newScheme, newPort, forwardedProto string) string {
	if host == "" {
		return host
	}
	var end int
	if host[0] == '[' {
		end = strings.LastIndex(host, "]:")
		if end >= 0 {
			end++
		}
	} else {
		end = strings.LastIndexByte(host, ':')
	}
	if end < 0 {
		return host
	}
	requestPort := host[end:]
	remove := newPort != ""
	if newScheme != forwardedProto {
		remove = remove || (strings.EqualFold(forwardedProto, "https") && requestPort == ":443")
		remove = remove || (strings.EqualFold(forwardedProto, "http") && requestPort == ":80")
	}
	if remove {
		return host[:end]
	}
	return host
}
