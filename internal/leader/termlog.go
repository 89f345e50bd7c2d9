package leader

import (
	"context"
	"errors"
	"slices"

	"github.com/go-logr/logr"
)

// endOfTermSink is the sink of the logger a term's work finds in its
// context, which client-go logs its requests' failures through. Once the
// term is over (its context done), an error that is that cancellation
// (context.Canceled) is a request the end of the term cut short on
// purpose, not a failure: it is logged as information at V(1), with the
// error. Every other entry goes to the sink as it is.
type endOfTermSink struct {
	logr.LogSink
	term context.Context
}

// withTermLogger returns term with its logger (the elector's) logging
// through an endOfTermSink, for the term's work.
func withTermLogger(term context.Context) context.Context {
	log, err := logr.FromContext(term)
	if err != nil || log.GetSink() == nil {
		return term
	}
	sink := log.GetSink()
	if cd, ok := sink.(logr.CallDepthLogSink); ok {
		sink = cd.WithCallDepth(1) // a copy: the entries' callers skip endOfTermSink's frame
	}
	return logr.NewContext(term, logr.New(endOfTermSink{LogSink: sink, term: term}))
}

// Init does nothing: the sink wrapped is initialized already, and is in
// use by other loggers (initializing it again would write it under them).
func (s endOfTermSink) Init(logr.RuntimeInfo) {}

func (s endOfTermSink) Error(err error, msg string, keysAndValues ...any) {
	if s.term.Err() != nil && errors.Is(err, context.Canceled) {
		if s.Enabled(1) {
			kv := append(slices.Clip(keysAndValues), "error", err.Error(), "cause", "the leader term is over")
			s.Info(1, msg, kv...)
		}
		return
	}
	s.LogSink.Error(err, msg, keysAndValues...)
}

func (s endOfTermSink) WithValues(keysAndValues ...any) logr.LogSink {
	return endOfTermSink{LogSink: s.LogSink.WithValues(keysAndValues...), term: s.term}
}

func (s endOfTermSink) WithName(name string) logr.LogSink {
	return endOfTermSink{LogSink: s.LogSink.WithName(name), term: s.term}
}
