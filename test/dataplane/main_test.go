package dataplane_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine (a listener, a connection, a
// stream) outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
