package gatewayapi

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// listenerSetReasonParentNotProgrammed is the ListenerSet Programmed reason
// Gateway API documents for a Gateway that is not programmed (it has no
// constant for it).
const listenerSetReasonParentNotProgrammed = "ParentNotProgrammed"

// Reasons of EnvoyProxy conditions (our own API).
const (
	envoyProxyReasonAccepted = "Accepted"
	envoyProxyReasonInvalid  = "Invalid"
)

// reasonError is an error that knows the condition reason it turns into.
// Translation code returns reasonErrors; status.go turns them into conditions.
type reasonError struct {
	reason string
	msg    string
}

// Error returns the message of the error.
func (e *reasonError) Error() string { return e.msg }

// errorf builds a reasonError with a formatted message.
func errorf[R ~string](reason R, format string, args ...any) *reasonError {
	return &reasonError{reason: string(reason), msg: fmt.Sprintf(format, args...)}
}

// maxConditionMessages bounds how many problems one condition message lists.
const maxConditionMessages = 5

// errorList collects the problems behind one condition: the reason is the
// first problem's, the message lists them all (up to maxConditionMessages).
type errorList []*reasonError

// add appends err when it is not nil.
func (l *errorList) add(err *reasonError) {
	if err != nil {
		*l = append(*l, err)
	}
}

// join returns one reasonError for the whole list, or nil when it is empty.
func (l errorList) join() *reasonError {
	if len(l) == 0 {
		return nil
	}
	msgs := make([]string, 0, min(len(l), maxConditionMessages)+1)
	seen := make(map[string]bool, len(l))
	for _, e := range l {
		if seen[e.msg] {
			continue
		}
		seen[e.msg] = true
		if len(msgs) == maxConditionMessages {
			msgs = append(msgs, fmt.Sprintf("and %d more", len(l)-maxConditionMessages))
			break
		}
		msgs = append(msgs, e.msg)
	}
	return &reasonError{reason: l[0].reason, msg: strings.Join(msgs, "; ")}
}

// newCondition is the one place a metav1.Condition is built. LastTransitionTime
// stays zero: the status writer sets it when the condition changes.
func newCondition[T ~string, R ~string](condType T, status metav1.ConditionStatus, reason R, message string, generation int64) metav1.Condition {
	return metav1.Condition{
		Type:               string(condType),
		Status:             status,
		Reason:             string(reason),
		Message:            message,
		ObservedGeneration: generation,
	}
}

// conditionFromError returns a False condition of condType with err's reason
// and message, or the True condition ok when err is nil.
func conditionFromError[T ~string](condType T, err *reasonError, ok metav1.Condition, generation int64) metav1.Condition {
	if err == nil {
		return ok
	}
	return newCondition(condType, metav1.ConditionFalse, err.reason, err.msg, generation)
}

// GatewayClass conditions.

func gatewayClassAcceptedCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.GatewayClassConditionStatusAccepted, metav1.ConditionTrue,
		gwapiv1.GatewayClassReasonAccepted, "GatewayClass is accepted", generation)
	return conditionFromError(gwapiv1.GatewayClassConditionStatusAccepted, err, ok, generation)
}

// EnvoyProxy conditions.

func envoyProxyAcceptedCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition("Accepted", metav1.ConditionTrue, envoyProxyReasonAccepted, "EnvoyProxy is valid", generation)
	return conditionFromError("Accepted", err, ok, generation)
}

// Gateway conditions.

func gatewayAcceptedCondition(err *reasonError, partialMsg string, generation int64) metav1.Condition {
	if err != nil {
		return newCondition(gwapiv1.GatewayConditionAccepted, metav1.ConditionFalse, err.reason, err.msg, generation)
	}
	if partialMsg != "" {
		return newCondition(gwapiv1.GatewayConditionAccepted, metav1.ConditionTrue,
			gwapiv1.GatewayReasonListenersNotValid, partialMsg, generation)
	}
	return newCondition(gwapiv1.GatewayConditionAccepted, metav1.ConditionTrue,
		gwapiv1.GatewayReasonAccepted, "Gateway is accepted", generation)
}

// gatewayProgrammedCondition is True when err is nil; with reason Pending
// (the infrastructure is not there yet) it is Unknown, as Gateway API
// defines Pending only for Unknown; any other err makes it False.
func gatewayProgrammedCondition(err *reasonError, fleet string, generation int64) metav1.Condition {
	if err != nil && err.reason == string(gwapiv1.GatewayReasonPending) {
		return newCondition(gwapiv1.GatewayConditionProgrammed, metav1.ConditionUnknown, err.reason, err.msg, generation)
	}
	ok := newCondition(gwapiv1.GatewayConditionProgrammed, metav1.ConditionTrue, gwapiv1.GatewayReasonProgrammed,
		fmt.Sprintf("Proxy fleet %s is ready", fleet), generation)
	return conditionFromError(gwapiv1.GatewayConditionProgrammed, err, ok, generation)
}

// Listener conditions.

func listenerAcceptedCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.ListenerConditionAccepted, metav1.ConditionTrue, gwapiv1.ListenerReasonAccepted,
		"Listener is accepted", generation)
	return conditionFromError(gwapiv1.ListenerConditionAccepted, err, ok, generation)
}

func listenerProgrammedCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.ListenerConditionProgrammed, metav1.ConditionTrue, gwapiv1.ListenerReasonProgrammed,
		"Listener is programmed", generation)
	return conditionFromError(gwapiv1.ListenerConditionProgrammed, err, ok, generation)
}

func listenerResolvedRefsCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.ListenerConditionResolvedRefs, metav1.ConditionTrue, gwapiv1.ListenerReasonResolvedRefs,
		"All references are resolved", generation)
	return conditionFromError(gwapiv1.ListenerConditionResolvedRefs, err, ok, generation)
}

// listenerConflictedCondition is negative-polarity: True when err is set.
func listenerConflictedCondition(err *reasonError, generation int64) metav1.Condition {
	if err != nil {
		return newCondition(gwapiv1.ListenerConditionConflicted, metav1.ConditionTrue, err.reason, err.msg, generation)
	}
	return newCondition(gwapiv1.ListenerConditionConflicted, metav1.ConditionFalse, gwapiv1.ListenerReasonNoConflicts,
		"No conflicts", generation)
}

// ListenerSet conditions.

// listenerSetAcceptedCondition is False with err's reason, else True: with
// reason ListenersNotValid and partialMsg when some listeners are not
// valid, Accepted otherwise.
func listenerSetAcceptedCondition(err *reasonError, partialMsg string, generation int64) metav1.Condition {
	if partialMsg != "" && err == nil {
		return newCondition(gwapiv1.ListenerSetConditionAccepted, metav1.ConditionTrue, gwapiv1.ListenerSetReasonListenersNotValid,
			partialMsg, generation)
	}
	ok := newCondition(gwapiv1.ListenerSetConditionAccepted, metav1.ConditionTrue, gwapiv1.ListenerSetReasonAccepted,
		"ListenerSet is accepted", generation)
	return conditionFromError(gwapiv1.ListenerSetConditionAccepted, err, ok, generation)
}

// listenerSetProgrammedCondition is like gatewayProgrammedCondition: Unknown
// with reason Pending, False with any other err, True without.
func listenerSetProgrammedCondition(err *reasonError, generation int64) metav1.Condition {
	if err != nil && err.reason == string(gwapiv1.ListenerSetReasonPending) {
		return newCondition(gwapiv1.ListenerSetConditionProgrammed, metav1.ConditionUnknown, err.reason, err.msg, generation)
	}
	ok := newCondition(gwapiv1.ListenerSetConditionProgrammed, metav1.ConditionTrue, gwapiv1.ListenerSetReasonProgrammed,
		"ListenerSet is programmed", generation)
	return conditionFromError(gwapiv1.ListenerSetConditionProgrammed, err, ok, generation)
}

// listenerOverlappingTLSCondition is only ever True: it is omitted otherwise.
func listenerOverlappingTLSCondition(err *reasonError, generation int64) metav1.Condition {
	return newCondition(gwapiv1.ListenerConditionOverlappingTLSConfig, metav1.ConditionTrue, err.reason, err.msg, generation)
}

// Route conditions.

// routeAcceptedCondition is True without err, Unknown for Pending (a frozen
// parent: whether the route as it is now would be accepted is not known
// until its class is accepted again), else False.
func routeAcceptedCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.RouteConditionAccepted, metav1.ConditionTrue, gwapiv1.RouteReasonAccepted,
		"Route is accepted", generation)
	if err != nil && err.reason == string(gwapiv1.RouteReasonPending) {
		return newCondition(gwapiv1.RouteConditionAccepted, metav1.ConditionUnknown, err.reason, err.msg, generation)
	}
	return conditionFromError(gwapiv1.RouteConditionAccepted, err, ok, generation)
}

func routeResolvedRefsCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.RouteConditionResolvedRefs, metav1.ConditionTrue, gwapiv1.RouteReasonResolvedRefs,
		"All references are resolved", generation)
	return conditionFromError(gwapiv1.RouteConditionResolvedRefs, err, ok, generation)
}

// routePartiallyInvalidCondition is only ever True: it is omitted otherwise.
func routePartiallyInvalidCondition(err *reasonError, generation int64) metav1.Condition {
	return newCondition(gwapiv1.RouteConditionPartiallyInvalid, metav1.ConditionTrue, err.reason, err.msg, generation)
}

// Policy conditions.

func policyAcceptedCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.PolicyConditionAccepted, metav1.ConditionTrue, gwapiv1.PolicyReasonAccepted,
		"Policy is accepted", generation)
	return conditionFromError(gwapiv1.PolicyConditionAccepted, err, ok, generation)
}

func backendTLSPolicyResolvedRefsCondition(err *reasonError, generation int64) metav1.Condition {
	ok := newCondition(gwapiv1.BackendTLSPolicyConditionResolvedRefs, metav1.ConditionTrue,
		gwapiv1.BackendTLSPolicyReasonResolvedRefs, "All references are resolved", generation)
	return conditionFromError(gwapiv1.BackendTLSPolicyConditionResolvedRefs, err, ok, generation)
}
