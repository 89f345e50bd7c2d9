// Package sliceends finds what two versions of a list share at their ends.
// The translators keep the elements of unchanged objects from call to call
// (the same pointers, in order), so a list edited in one place is the old
// one with one run replaced: the run between the common prefix and the
// common suffix is all a patch has to look at.
package sliceends
