package server

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine (a stream handler, a
// gRPC transport, a client) outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
