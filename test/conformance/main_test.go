package conformance

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind: the
// harness must stop every container, proxy and listener it started.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
