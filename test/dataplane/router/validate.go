package router

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/durationpb"
)

// pgvError is the shape of the protoc-gen-validate errors of
// go-control-plane (FooValidationError).
type pgvError interface {
	error
	Field() string
	Reason() string
	Cause() error
}

// validateProto runs the proto constraints Envoy checks on every received
// resource (protoc-gen-validate rules) and reports the first violation
// with its field path in proto names.
func validateProto(rc *routev3.RouteConfiguration) error {
	err := rc.Validate()
	if err == nil {
		return nil
	}
	var path []string
	reason := err.Error()
	for err != nil {
		var v pgvError
		if !errors.As(err, &v) {
			break
		}
		path = append(path, snakeField(v.Field()))
		reason = v.Reason()
		err = v.Cause()
	}
	if err != nil {
		reason = err.Error()
	}
	return fmt.Errorf("%s: invalid: %s", strings.Join(path, "."), reason)
}

// snakeField turns a protoc-gen-validate field ("VirtualHosts[0]") into
// the proto name ("virtual_hosts[0]").
func snakeField(f string) string {
	var b strings.Builder
	for i, r := range f {
		if unicode.IsUpper(r) {
			if i > 0 && f[i-1] != '[' {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// maxDurationSeconds is the largest duration Envoy accepts (10,000 years),
// as in its validateDurationFields.
const maxDurationSeconds = 315576000000

// durationMillis converts a duration field as Envoy does
// (PROTOBUF_GET_MS_OR_DEFAULT): nil is def, anything else is truncated to
// whole milliseconds. Negative or out-of-range durations are errors, as
// Envoy rejects them when the resource is loaded.
func durationMillis(d *durationpb.Duration, def int64, path string) (int64, error) {
	if d == nil {
		return def, nil
	}
	if d.GetSeconds() < 0 || d.GetNanos() < 0 {
		return 0, fmt.Errorf("%s: invalid: negative duration %v", path, d.AsDuration())
	}
	if d.GetSeconds() > maxDurationSeconds || d.GetNanos() > 999999999 {
		return 0, fmt.Errorf("%s: invalid: duration out of range", path)
	}
	return d.GetSeconds()*1000 + int64(d.GetNanos())/1000000, nil
}
