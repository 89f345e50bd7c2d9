// Package leader owns the election of the replica that does the control
// plane's leader-only work (writing statuses, running the Envoy fleets):
// an Elector campaigns for a Lease and, for each term it wins, runs that
// work until the term ends.
//
// Why a separate elector rather than controller-runtime's manager leader
// election: the manager treats a lost lease as fatal (OnStoppedLeading ends
// Start with "leader election lost", and the process is expected to exit and
// be restarted). Here one process also serves xDS, from the last good state,
// to every connected Envoy; an API-server outage longer than the renew
// deadline must not take that down. So the manager runs without leader
// election (every replica watches, builds snapshots and serves xDS), and
// the Elector, one of the control plane's runners, confines the loss to the
// leader-only work: a lost term cancels that work and waits for it to stop,
// then the Elector campaigns again; when the API server is back it wins a
// new term and the work resumes from the latest published values. Nothing
// exits until the control plane stops, when the Elector releases the lease
// (ReleaseOnCancel) so that another replica takes over at once.
//
// The end of a term cancels the API requests of its work in flight;
// client-go logs such a request's failure as an error through the logger
// of the request's context. The work's context carries a logger that logs
// those cancellations, once the term is over, as V(1) information
// (termlog.go): stopping the control plane logs no error.
package leader
