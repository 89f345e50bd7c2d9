// Package golden owns the golden-file helpers of the translators' tests: the
// -update flag, reading an expected output, and comparing it with the output
// of the code under test (cmp.Diff, with protocmp for Envoy protos), or
// rewriting it when -update is given.
//
// Only tests import it: it registers the -update flag on the default flag set.
package golden
