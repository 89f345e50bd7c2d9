// Package logging owns the control plane's structured logger: logr backed by
// zap, JSON lines, at the level the static config names.
package logging

import (
	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	crzap "sigs.k8s.io/controller-runtime/pkg/log/zap"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

// New returns a JSON logger writing at the given level and above.
func New(level egv1a1.LogLevel) logr.Logger {
	return crzap.New(
		crzap.Level(zapLevel(level)),
		crzap.UseDevMode(false),
		crzap.JSONEncoder(),
	)
}

func zapLevel(level egv1a1.LogLevel) zapcore.Level {
	switch level {
	case egv1a1.LogLevelTrace, egv1a1.LogLevelDebug:
		return zapcore.DebugLevel
	case egv1a1.LogLevelWarn:
		return zapcore.WarnLevel
	case egv1a1.LogLevelError:
		return zapcore.ErrorLevel
	default:
		return zapcore.InfoLevel
	}
}
