// Package applied owns the implementation-specific condition
// gateway.envoyproxy.io/Applied, which says whether the proxies took the
// configuration: True when every connected proxy of a Gateway's fleet ACKed
// the configuration built from the Gateway's current generation and its
// routes' (and ListenerSets'), False/Rejected with the proxy's error when a
// proxy NACKed it, Unknown/Pending while it is not served or not ACKed by
// every proxy, Unknown/NoProxies when no proxy is connected.
//
// It maps a translation result to the xDS configuration that carries it by
// the generations of the objects each fleet is built from: the xds runner
// says which result each fleet's configuration was last built from, and
// the xds server how each connected proxy stands against what it serves
// now. A Tracker computes the conditions (a Report per status write round)
// and publishes a notification when they may have changed; the status
// writers merge them into the statuses they write. A route one of whose
// routes a proxy rejected gets the False/Rejected condition on its parents
// of that fleet too.
package applied
