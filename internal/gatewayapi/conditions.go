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
const listenerSetReasonParentNotProgrammed gwapiv1.ListenerSetConditionReason = "ParentNotProgrammed"

// envoyProxyReason is the reason of an EnvoyProxy condition (our own API).
type envoyProxyReason string

// Reasons of EnvoyProxy conditions.
const (
	envoyProxyReasonAccepted envoyProxyReason = "Accepted"
	envoyProxyReasonInvalid  envoyProxyReason = "Invalid"
)

// conditionReason is the reason type of one condition owner: Gateway API's
// GatewayClassConditionReason, GatewayConditionReason,
// ListenerConditionReason, ListenerSetConditionReason and
// RouteConditionReason, PolicyConditionReason, and envoyProxyReason. Each condition constructor
// takes the errors of its owner only, so a listener reason cannot land on a
// route condition.
type conditionReason interface {
	gwapiv1.GatewayClassConditionReason | gwapiv1.GatewayConditionReason | gwapiv1.ListenerConditionReason |
		gwapiv1.ListenerSetConditionReason | gwapiv1.RouteConditionReason | gwapiv1.PolicyConditionReason | envoyProxyReason
}

// reasonError is an error that knows the condition reason it turns into.
// Translation code returns reasonErrors; status.go turns them into conditions.
type reasonError[R conditionReason] struct {
	reason R
	msg    string
}

// The reasonErrors of each condition owner.
type (
	gatewayClassError = reasonError[gwapiv1.GatewayClassConditionReason]
	gatewayError      = reasonError[gwapiv1.GatewayConditionReason]
	listenerError     = reasonError[gwapiv1.ListenerConditionReason]
	listenerSetError  = reasonError[gwapiv1.ListenerSetConditionReason]
	routeError        = reasonError[gwapiv1.RouteConditionReason]
	policyError       = reasonError[gwapiv1.PolicyConditionReason]
	envoyProxyError   = reasonError[envoyProxyReason]
)

// Error returns the message of the error.
func (e *reasonError[R]) Error() string { return e.msg }

// errorf builds a reasonError with a formatted message.
func errorf[R conditionReason](reason R, format string, args ...any) *reasonError[R] {
	return &reasonError[R]{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// maxConditionMessages bounds how many problems one condition message lists.
const maxConditionMessages = 5

// routeErrors collects the problems behind one condition: the reason is the
// first problem's, the message lists them all (up to maxConditionMessages).
type errorList[R conditionReason] []*reasonError[R]

// The routeErrorss of listeners and routes.
type (
	listenerErrors = errorList[gwapiv1.ListenerConditionReason]
	routeErrors    = errorList[gwapiv1.RouteConditionReason]
)

// add appends err when it is not nil.
func (l *errorList[R]) add(err *reasonError[R]) {
	if err != nil {
		*l = append(*l, err)
	}
}

// join returns one reasonError for the whole list, or nil when it is empty.
func (l errorList[R]) join() *reasonError[R] {
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
	return &reasonError[R]{reason: l[0].reason, msg: strings.Join(msgs, "; ")}
}

// newCondition is the one place a metav1.Condition is built. LastTransitionTime
// stays zero: the status writer sets it when the condition changes.
func newCondition[T ~string, R conditionReason](condType T, status metav1.ConditionStatus, reason R, message string, generation int64) metav1.Condition {
	return metav1.Condition{
		Type:               string(condType),
		Status:             status,
		Reason:             string(reason),
		Message:            message,
		ObservedGeneration: generation,
	}
}

// positiveCondition is the True condition of condType with okReason and
// okMsg when err is nil, else the False one with err's reason and message.
// okReason and err have one reason type: the condition owner's.
func positiveCondition[T ~string, R conditionReason](
	condType T, err *reasonError[R], okReason R, okMsg string, generation int64,
) metav1.Condition {
	if err != nil {
		return newCondition(condType, metav1.ConditionFalse, err.reason, err.msg, generation)
	}
	return newCondition(condType, metav1.ConditionTrue, okReason, okMsg, generation)
}

// programmedCondition is positiveCondition, except that err with reason
// pending (the infrastructure is not there yet) makes it Unknown: Gateway
// API defines Pending only for Unknown.
func programmedCondition[T ~string, R conditionReason](
	condType T, err *reasonError[R], pending, okReason R, okMsg string, generation int64,
) metav1.Condition {
	if err != nil && err.reason == pending {
		return newCondition(condType, metav1.ConditionUnknown, err.reason, err.msg, generation)
	}
	return positiveCondition(condType, err, okReason, okMsg, generation)
}

// GatewayClass conditions.

func gatewayClassAcceptedCondition(err *gatewayClassError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.GatewayClassConditionStatusAccepted, err, gwapiv1.GatewayClassReasonAccepted, "GatewayClass is accepted", generation)
}

// EnvoyProxy conditions.

func envoyProxyAcceptedCondition(err *envoyProxyError, generation int64) metav1.Condition {
	return positiveCondition("Accepted", err, envoyProxyReasonAccepted, "EnvoyProxy is valid", generation)
}

// Gateway conditions.

func gatewayAcceptedCondition(err *gatewayError, partialMsg string, generation int64) metav1.Condition {
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

// gatewayProgrammedCondition is True when err is nil, Unknown with reason
// Pending, False with any other err.
func gatewayProgrammedCondition(err *gatewayError, fleet string, generation int64) metav1.Condition {
	return programmedCondition(gwapiv1.GatewayConditionProgrammed, err, gwapiv1.GatewayReasonPending,
		gwapiv1.GatewayReasonProgrammed, fmt.Sprintf("Proxy fleet %s is ready", fleet), generation)
}

// gatewayInsecureFrontendCondition is only ever True: it is set while the
// Gateway's spec.tls.frontend allows insecure fallback, omitted otherwise.
func gatewayInsecureFrontendCondition(generation int64) metav1.Condition {
	return newCondition(gwapiv1.GatewayConditionInsecureFrontendValidationMode, metav1.ConditionTrue,
		gwapiv1.GatewayReasonConfigurationChanged,
		"spec.tls.frontend allows insecure fallback: clients without a valid certificate are served", generation)
}

// gatewayResolvedRefsCondition is True when err is nil. It is reported only
// by Gateways with spec.tls.backend.clientCertificateRef (the one reference
// a Gateway holds outside its listeners).
func gatewayResolvedRefsCondition(err *gatewayError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.GatewayConditionResolvedRefs, err, gwapiv1.GatewayReasonResolvedRefs,
		"All references are resolved", generation)
}

// Listener conditions.

func listenerAcceptedCondition(err *listenerError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.ListenerConditionAccepted, err, gwapiv1.ListenerReasonAccepted, "Listener is accepted", generation)
}

func listenerProgrammedCondition(err *listenerError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.ListenerConditionProgrammed, err, gwapiv1.ListenerReasonProgrammed, "Listener is programmed", generation)
}

func listenerResolvedRefsCondition(err *listenerError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.ListenerConditionResolvedRefs, err, gwapiv1.ListenerReasonResolvedRefs, "All references are resolved", generation)
}

// listenerConflictedCondition is negative-polarity: True when err is set.
func listenerConflictedCondition(err *listenerError, generation int64) metav1.Condition {
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
func listenerSetAcceptedCondition(err *listenerSetError, partialMsg string, generation int64) metav1.Condition {
	if partialMsg != "" && err == nil {
		return newCondition(gwapiv1.ListenerSetConditionAccepted, metav1.ConditionTrue, gwapiv1.ListenerSetReasonListenersNotValid,
			partialMsg, generation)
	}
	return positiveCondition(gwapiv1.ListenerSetConditionAccepted, err, gwapiv1.ListenerSetReasonAccepted, "ListenerSet is accepted", generation)
}

// listenerSetProgrammedCondition is like gatewayProgrammedCondition: Unknown
// with reason Pending, False with any other err, True without.
func listenerSetProgrammedCondition(err *listenerSetError, generation int64) metav1.Condition {
	return programmedCondition(gwapiv1.ListenerSetConditionProgrammed, err, gwapiv1.ListenerSetReasonPending,
		gwapiv1.ListenerSetReasonProgrammed, "ListenerSet is programmed", generation)
}

// listenerOverlappingTLSCondition is only ever True: it is omitted otherwise.
func listenerOverlappingTLSCondition(err *listenerError, generation int64) metav1.Condition {
	return newCondition(gwapiv1.ListenerConditionOverlappingTLSConfig, metav1.ConditionTrue, err.reason, err.msg, generation)
}

// Route conditions.

// routeAcceptedCondition is True without err, Unknown for Pending (a frozen
// parent: whether the route as it is now would be accepted is not known
// until its class is accepted again), else False.
func routeAcceptedCondition(err *routeError, generation int64) metav1.Condition {
	return programmedCondition(gwapiv1.RouteConditionAccepted, err, gwapiv1.RouteReasonPending, gwapiv1.RouteReasonAccepted,
		"Route is accepted", generation)
}

func routeResolvedRefsCondition(err *routeError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.RouteConditionResolvedRefs, err, gwapiv1.RouteReasonResolvedRefs, "All references are resolved", generation)
}

// routePartiallyInvalidCondition is only ever True: it is omitted otherwise.
func routePartiallyInvalidCondition(err *routeError, generation int64) metav1.Condition {
	return newCondition(gwapiv1.RouteConditionPartiallyInvalid, metav1.ConditionTrue, err.reason, err.msg, generation)
}

// Policy conditions.

func policyAcceptedCondition(err *policyError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.PolicyConditionAccepted, err, gwapiv1.PolicyReasonAccepted, "Policy is accepted", generation)
}

func backendTLSPolicyResolvedRefsCondition(err *policyError, generation int64) metav1.Condition {
	return positiveCondition(gwapiv1.BackendTLSPolicyConditionResolvedRefs, err,
		gwapiv1.BackendTLSPolicyReasonResolvedRefs, "All references are resolved", generation)
}
