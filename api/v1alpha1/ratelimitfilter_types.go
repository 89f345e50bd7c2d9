/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// KindRateLimitFilter is the kind of the RateLimitFilter resource.
const KindRateLimitFilter = "RateLimitFilter"

// RateLimitType says where requests are counted.
// +kubebuilder:validation:Enum=Global;Local
type RateLimitType string

const (
	// RateLimitTypeGlobal counts requests in the rate limit service, shared
	// by every proxy of every fleet.
	RateLimitTypeGlobal RateLimitType = "Global"
	// RateLimitTypeLocal counts requests in each proxy on its own.
	RateLimitTypeLocal RateLimitType = "Local"
)

// RateLimitUnit is the period a limit counts requests over.
// +kubebuilder:validation:Enum=Second;Minute;Hour;Day
type RateLimitUnit string

const (
	// RateLimitUnitSecond counts requests per second.
	RateLimitUnitSecond RateLimitUnit = "Second"
	// RateLimitUnitMinute counts requests per minute.
	RateLimitUnitMinute RateLimitUnit = "Minute"
	// RateLimitUnitHour counts requests per hour.
	RateLimitUnitHour RateLimitUnit = "Hour"
	// RateLimitUnitDay counts requests per day.
	RateLimitUnitDay RateLimitUnit = "Day"
)

// MatchType says how a client selector compares a request value.
// +kubebuilder:validation:Enum=Exact;Distinct
type MatchType string

const (
	// MatchTypeExact selects the requests whose value is the given one; they
	// share one counter.
	MatchTypeExact MatchType = "Exact"
	// MatchTypeDistinct selects every request that has a value (a header
	// that is present, a source address in the CIDR) and counts each
	// distinct value on its own.
	MatchTypeDistinct MatchType = "Distinct"
)

// RateLimitFilterSpec defines the limits of a RateLimitFilter. An HTTPRoute
// rule applies them by naming the filter in an ExtensionRef filter (group
// gateway.envoyproxy.io, kind RateLimitFilter).
// +kubebuilder:validation:XValidation:rule="self.type == 'Global' ? (has(self.global) && !has(self.local)) : (has(self.local) && !has(self.global))",message="global must be set, and local not, when type is Global; local must be set, and global not, when type is Local"
type RateLimitFilterSpec struct {
	// type says where requests are counted: Global (by the rate limit
	// service, across every proxy; needs rateLimit in the EnvoyGateway
	// configuration) or Local (by each proxy on its own).
	// +required
	Type RateLimitType `json:"type"`

	// global holds the limits counted by the rate limit service.
	// +optional
	Global *RateLimitRules `json:"global,omitempty"`

	// local holds the limits each proxy counts on its own.
	// +optional
	Local *RateLimitRules `json:"local,omitempty"`
}

// RateLimitRules is a list of limits; a request is rejected (HTTP 429) as soon
// as one rule it is selected by is over its limit.
type RateLimitRules struct {
	// rules are the limits, each with the requests it selects.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=atomic
	// +required
	Rules []RateLimitRule `json:"rules"`
}

// RateLimitRule is one limit and the requests it counts.
// +kubebuilder:validation:XValidation:rule="!has(self.clientSelectors) || self.clientSelectors.filter(s, has(s.sourceCIDR)).size() <= 1",message="at most one client selector may be a sourceCIDR"
type RateLimitRule struct {
	// clientSelectors select the requests the rule counts: a request is
	// counted when every selector holds. A rule without selectors counts
	// every request of the route rule, all together.
	// +kubebuilder:validation:MaxItems=8
	// +listType=atomic
	// +optional
	ClientSelectors []RateLimitSelector `json:"clientSelectors,omitempty"`

	// limit is how many requests the rule lets through per unit of time.
	// +required
	Limit RateLimitValue `json:"limit"`
}

// RateLimitSelector selects requests by one request attribute: a header or
// the client's source address. Exactly one of header and sourceCIDR is set.
// +kubebuilder:validation:XValidation:rule="has(self.header) != has(self.sourceCIDR)",message="exactly one of header and sourceCIDR must be set"
type RateLimitSelector struct {
	// header selects requests by a request header.
	// +optional
	Header *HeaderSelector `json:"header,omitempty"`

	// sourceCIDR selects requests by the client's IP address (the address of
	// the connection to the proxy).
	// +optional
	SourceCIDR *SourceCIDRSelector `json:"sourceCIDR,omitempty"`
}

// HeaderSelector selects requests by a header: those carrying a given value
// (Exact), or those carrying the header at all, each value counted on its own
// (Distinct). Requests without the header are never selected.
// +kubebuilder:validation:XValidation:rule="self.type == 'Exact' ? has(self.value) : !has(self.value)",message="value must be set when type is Exact and must not be set when type is Distinct"
type HeaderSelector struct {
	// name is the header name, compared case-insensitively.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`
	// +required
	Name string `json:"name"`

	// type is Exact (the header has the given value; the requests share one
	// counter) or Distinct (each value of the header has its own counter).
	// +kubebuilder:default=Exact
	// +optional
	Type MatchType `json:"type,omitempty"`

	// value is the header value an Exact selector matches, compared
	// case-sensitively.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +optional
	Value *string `json:"value,omitempty"`
}

// SourceCIDRSelector selects the requests whose client address is in a CIDR:
// all together (Exact) or each address on its own (Distinct).
type SourceCIDRSelector struct {
	// value is the CIDR, IPv4 ("10.0.0.0/8") or IPv6 ("2001:db8::/32");
	// "0.0.0.0/0" and "::/0" select every IPv4 or IPv6 client.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="isCIDR(self)",message="value must be a CIDR such as 10.0.0.0/8"
	// +required
	Value string `json:"value"`

	// type is Exact (the clients of the CIDR share one counter) or Distinct
	// (each client address has its own counter).
	// +kubebuilder:default=Exact
	// +optional
	Type MatchType `json:"type,omitempty"`
}

// RateLimitValue is a number of requests per unit of time.
type RateLimitValue struct {
	// requests is how many requests are let through per unit.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000000
	// +required
	Requests int32 `json:"requests"`

	// unit is the period the requests are counted over: Second, Minute,
	// Hour or Day. Counters start again at each period.
	// +required
	Unit RateLimitUnit `json:"unit"`
}

// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=envoy-gateway,shortName=rlf
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// RateLimitFilter holds rate limits an HTTPRoute rule applies through an
// ExtensionRef filter. Requests over a limit are answered with HTTP 429.
type RateLimitFilter struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is a standard object metadata
	// +optional
	metav1.ObjectMeta `json:"metadata,omitzero"`

	// spec defines the limits.
	// +required
	Spec RateLimitFilterSpec `json:"spec"`
}

// +kubebuilder:object:root=true

// RateLimitFilterList contains a list of RateLimitFilter
type RateLimitFilterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitzero"`
	Items           []RateLimitFilter `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &RateLimitFilter{}, &RateLimitFilterList{})
		return nil
	})
}
