package router

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// ImplementedFields lists the full protobuf names of the fields, of
// RouteConfiguration and of every message reachable from it, that this
// package implements with Envoy's semantics. Compile rejects a resource
// that sets any other field (or carries unknown fields) with the field's
// path. Fields of google.protobuf wrapper and Duration messages are listed
// too, so a walker can treat every message alike.
var ImplementedFields = []string{
	// RouteConfiguration (route.proto).
	"envoy.config.route.v3.RouteConfiguration.name",
	"envoy.config.route.v3.RouteConfiguration.virtual_hosts",
	"envoy.config.route.v3.RouteConfiguration.validate_clusters",
	"envoy.config.route.v3.RouteConfiguration.ignore_port_in_host_matching",
	"envoy.config.route.v3.RouteConfiguration.ignore_path_parameters_in_path_matching",
	"envoy.config.route.v3.RouteConfiguration.most_specific_header_mutations_wins",
	"envoy.config.route.v3.RouteConfiguration.max_direct_response_body_size_bytes",
	"envoy.config.route.v3.RouteConfiguration.request_headers_to_add",
	"envoy.config.route.v3.RouteConfiguration.request_headers_to_remove",
	"envoy.config.route.v3.RouteConfiguration.response_headers_to_add",
	"envoy.config.route.v3.RouteConfiguration.response_headers_to_remove",
	"envoy.config.route.v3.RouteConfiguration.request_mirror_policies",

	// VirtualHost.
	"envoy.config.route.v3.VirtualHost.name",
	"envoy.config.route.v3.VirtualHost.domains",
	"envoy.config.route.v3.VirtualHost.routes",
	"envoy.config.route.v3.VirtualHost.request_headers_to_add",
	"envoy.config.route.v3.VirtualHost.request_headers_to_remove",
	"envoy.config.route.v3.VirtualHost.response_headers_to_add",
	"envoy.config.route.v3.VirtualHost.response_headers_to_remove",
	"envoy.config.route.v3.VirtualHost.retry_policy",
	"envoy.config.route.v3.VirtualHost.request_mirror_policies",

	// Route.
	"envoy.config.route.v3.Route.name",
	"envoy.config.route.v3.Route.match",
	"envoy.config.route.v3.Route.route",
	"envoy.config.route.v3.Route.redirect",
	"envoy.config.route.v3.Route.direct_response",
	"envoy.config.route.v3.Route.request_headers_to_add",
	"envoy.config.route.v3.Route.request_headers_to_remove",
	"envoy.config.route.v3.Route.response_headers_to_add",
	"envoy.config.route.v3.Route.response_headers_to_remove",
	"envoy.config.route.v3.Route.typed_per_filter_config",
	// The CORS filter's per-route policy (typed_per_filter_config).
	"envoy.extensions.filters.http.cors.v3.CorsPolicy.allow_origin_string_match",
	"envoy.extensions.filters.http.cors.v3.CorsPolicy.allow_methods",
	"envoy.extensions.filters.http.cors.v3.CorsPolicy.allow_headers",
	"envoy.extensions.filters.http.cors.v3.CorsPolicy.expose_headers",
	"envoy.extensions.filters.http.cors.v3.CorsPolicy.max_age",
	"envoy.extensions.filters.http.cors.v3.CorsPolicy.allow_credentials",
	"envoy.extensions.filters.http.cors.v3.CorsPolicy.forward_not_matching_preflights",

	// RouteMatch.
	"envoy.config.route.v3.RouteMatch.prefix",
	"envoy.config.route.v3.RouteMatch.path",
	"envoy.config.route.v3.RouteMatch.safe_regex",
	"envoy.config.route.v3.RouteMatch.path_separated_prefix",
	"envoy.config.route.v3.RouteMatch.case_sensitive",
	"envoy.config.route.v3.RouteMatch.runtime_fraction",
	"envoy.config.route.v3.RouteMatch.headers",
	"envoy.config.route.v3.RouteMatch.query_parameters",

	// HeaderMatcher and QueryParameterMatcher.
	"envoy.config.route.v3.HeaderMatcher.name",
	"envoy.config.route.v3.HeaderMatcher.exact_match",
	"envoy.config.route.v3.HeaderMatcher.safe_regex_match",
	"envoy.config.route.v3.HeaderMatcher.range_match",
	"envoy.config.route.v3.HeaderMatcher.present_match",
	"envoy.config.route.v3.HeaderMatcher.prefix_match",
	"envoy.config.route.v3.HeaderMatcher.suffix_match",
	"envoy.config.route.v3.HeaderMatcher.contains_match",
	"envoy.config.route.v3.HeaderMatcher.string_match",
	"envoy.config.route.v3.HeaderMatcher.invert_match",
	"envoy.config.route.v3.HeaderMatcher.treat_missing_header_as_empty",
	"envoy.config.route.v3.QueryParameterMatcher.name",
	"envoy.config.route.v3.QueryParameterMatcher.string_match",
	"envoy.config.route.v3.QueryParameterMatcher.present_match",

	// RouteAction.
	"envoy.config.route.v3.RouteAction.cluster",
	"envoy.config.route.v3.RouteAction.weighted_clusters",
	"envoy.config.route.v3.RouteAction.cluster_not_found_response_code",
	"envoy.config.route.v3.RouteAction.prefix_rewrite",
	"envoy.config.route.v3.RouteAction.regex_rewrite",
	"envoy.config.route.v3.RouteAction.host_rewrite_literal",
	"envoy.config.route.v3.RouteAction.append_x_forwarded_host",
	"envoy.config.route.v3.RouteAction.timeout",
	"envoy.config.route.v3.RouteAction.retry_policy",
	"envoy.config.route.v3.RouteAction.request_mirror_policies",
	"envoy.config.route.v3.RouteAction.RequestMirrorPolicy.cluster",
	"envoy.config.route.v3.RouteAction.RequestMirrorPolicy.runtime_fraction",
	"envoy.config.route.v3.RouteAction.RequestMirrorPolicy.disable_shadow_host_suffix_append",
	"envoy.config.route.v3.RouteAction.rate_limits",

	// RateLimit (rate_limits of routes and of the rate limit filters).
	"envoy.config.route.v3.RateLimit.actions",
	"envoy.config.route.v3.RateLimit.Action.generic_key",
	"envoy.config.route.v3.RateLimit.Action.request_headers",
	"envoy.config.route.v3.RateLimit.Action.remote_address",
	"envoy.config.route.v3.RateLimit.Action.masked_remote_address",
	"envoy.config.route.v3.RateLimit.Action.header_value_match",
	"envoy.config.route.v3.RateLimit.Action.GenericKey.descriptor_key",
	"envoy.config.route.v3.RateLimit.Action.GenericKey.descriptor_value",
	"envoy.config.route.v3.RateLimit.Action.RequestHeaders.header_name",
	"envoy.config.route.v3.RateLimit.Action.RequestHeaders.descriptor_key",
	"envoy.config.route.v3.RateLimit.Action.RequestHeaders.skip_if_absent",
	"envoy.config.route.v3.RateLimit.Action.MaskedRemoteAddress.v4_prefix_mask_len",
	"envoy.config.route.v3.RateLimit.Action.MaskedRemoteAddress.v6_prefix_mask_len",
	"envoy.config.route.v3.RateLimit.Action.HeaderValueMatch.descriptor_key",
	"envoy.config.route.v3.RateLimit.Action.HeaderValueMatch.descriptor_value",
	"envoy.config.route.v3.RateLimit.Action.HeaderValueMatch.expect_match",
	"envoy.config.route.v3.RateLimit.Action.HeaderValueMatch.headers",

	// WeightedCluster.
	"envoy.config.route.v3.WeightedCluster.clusters",
	"envoy.config.route.v3.WeightedCluster.total_weight",
	"envoy.config.route.v3.WeightedCluster.ClusterWeight.name",
	"envoy.config.route.v3.WeightedCluster.ClusterWeight.weight",
	"envoy.config.route.v3.WeightedCluster.ClusterWeight.request_headers_to_add",
	"envoy.config.route.v3.WeightedCluster.ClusterWeight.request_headers_to_remove",
	"envoy.config.route.v3.WeightedCluster.ClusterWeight.response_headers_to_add",
	"envoy.config.route.v3.WeightedCluster.ClusterWeight.response_headers_to_remove",
	"envoy.config.route.v3.WeightedCluster.ClusterWeight.host_rewrite_literal",

	// RetryPolicy.
	"envoy.config.route.v3.RetryPolicy.retry_on",
	"envoy.config.route.v3.RetryPolicy.num_retries",
	"envoy.config.route.v3.RetryPolicy.per_try_timeout",
	"envoy.config.route.v3.RetryPolicy.retriable_status_codes",
	"envoy.config.route.v3.RetryPolicy.retry_back_off",
	"envoy.config.route.v3.RetryPolicy.RetryBackOff.base_interval",
	"envoy.config.route.v3.RetryPolicy.RetryBackOff.max_interval",

	// RedirectAction and DirectResponseAction.
	"envoy.config.route.v3.RedirectAction.https_redirect",
	"envoy.config.route.v3.RedirectAction.scheme_redirect",
	"envoy.config.route.v3.RedirectAction.host_redirect",
	"envoy.config.route.v3.RedirectAction.port_redirect",
	"envoy.config.route.v3.RedirectAction.path_redirect",
	"envoy.config.route.v3.RedirectAction.prefix_rewrite",
	"envoy.config.route.v3.RedirectAction.regex_rewrite",
	"envoy.config.route.v3.RedirectAction.response_code",
	"envoy.config.route.v3.RedirectAction.strip_query",
	"envoy.config.route.v3.DirectResponseAction.status",
	"envoy.config.route.v3.DirectResponseAction.body",

	// Core and matcher types.
	"envoy.config.core.v3.HeaderValueOption.header",
	"envoy.config.core.v3.HeaderValueOption.append",
	"envoy.config.core.v3.HeaderValueOption.append_action",
	"envoy.config.core.v3.HeaderValueOption.keep_empty_value",
	"envoy.config.core.v3.HeaderValue.key",
	"envoy.config.core.v3.HeaderValue.value",
	"envoy.config.core.v3.DataSource.inline_bytes",
	"envoy.config.core.v3.DataSource.inline_string",
	"envoy.config.core.v3.RuntimeFractionalPercent.default_value",
	"envoy.config.core.v3.RuntimeFractionalPercent.runtime_key",
	"envoy.type.v3.FractionalPercent.numerator",
	"envoy.type.v3.FractionalPercent.denominator",
	"envoy.type.v3.Int64Range.start",
	"envoy.type.v3.Int64Range.end",
	"envoy.type.matcher.v3.StringMatcher.exact",
	"envoy.type.matcher.v3.StringMatcher.prefix",
	"envoy.type.matcher.v3.StringMatcher.suffix",
	"envoy.type.matcher.v3.StringMatcher.safe_regex",
	"envoy.type.matcher.v3.StringMatcher.contains",
	"envoy.type.matcher.v3.StringMatcher.ignore_case",
	"envoy.type.matcher.v3.RegexMatcher.regex",
	"envoy.type.matcher.v3.RegexMatchAndSubstitute.pattern",
	"envoy.type.matcher.v3.RegexMatchAndSubstitute.substitution",

	// Well-known value types.
	"google.protobuf.BoolValue.value",
	"google.protobuf.UInt32Value.value",
	"google.protobuf.Duration.seconds",
	"google.protobuf.Duration.nanos",
}

var implemented = func() map[protoreflect.FullName]bool {
	m := make(map[protoreflect.FullName]bool, len(ImplementedFields))
	for _, f := range ImplementedFields {
		m[protoreflect.FullName(f)] = true
	}
	return m
}()

// checkFields walks m and returns an error naming the path (relative to
// the route configuration) of the first field set that is not implemented,
// or of the first message carrying fields unknown to this API version.
func checkFields(m protoreflect.Message, path string) error {
	if len(m.GetUnknown()) > 0 {
		return fmt.Errorf("%s: unknown fields (newer API version?) are not implemented by the test data plane",
			orRoot(path))
	}
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	slices.SortFunc(fields, func(a, b protoreflect.FieldDescriptor) int { return int(a.Number() - b.Number()) })
	for _, fd := range fields {
		p := joinPath(path, string(fd.Name()))
		if !implemented[fd.FullName()] {
			return fmt.Errorf("%s: not implemented by the test data plane", p)
		}
		if err := checkValue(fd, m.Get(fd), p); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(fd protoreflect.FieldDescriptor, v protoreflect.Value, path string) error {
	if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
		return nil
	}
	if fd.IsMap() {
		// The only map implemented is typed_per_filter_config, whose
		// values CompileOptions.PerFilterConfig checks.
		return nil
	}
	if fd.IsList() {
		l := v.List()
		for i := range l.Len() {
			if err := checkFields(l.Get(i).Message(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	return checkFields(v.Message(), path)
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func orRoot(path string) string {
	if path == "" {
		return "(route configuration)"
	}
	return path
}
