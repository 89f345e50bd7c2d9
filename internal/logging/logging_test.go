package logging

import (
	"testing"

	"go.uber.org/zap/zapcore"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
)

func TestZapLevel(t *testing.T) {
	cases := map[egv1a1.LogLevel]zapcore.Level{
		egv1a1.LogLevelTrace: zapcore.DebugLevel,
		egv1a1.LogLevelDebug: zapcore.DebugLevel,
		egv1a1.LogLevelInfo:  zapcore.InfoLevel,
		egv1a1.LogLevelWarn:  zapcore.WarnLevel,
		egv1a1.LogLevelError: zapcore.ErrorLevel,
		"":                   zapcore.InfoLevel,
	}
	for in, want := range cases {
		if got := zapLevel(in); got != want {
			t.Errorf("zapLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestNewLoggerRespectsLevel(t *testing.T) {
	if info := New(egv1a1.LogLevelWarn).V(0); info.Enabled() {
		t.Error("info logs enabled at warn level")
	}
	if debug := New(egv1a1.LogLevelDebug).V(1); !debug.Enabled() {
		t.Error("debug logs disabled at debug level")
	}
}
