// Package parallel owns the one parallel-for helper of the project, used
// where independent items (documents to validate, CRDs to decode, messages
// to print) are spread over the cores.
package parallel
