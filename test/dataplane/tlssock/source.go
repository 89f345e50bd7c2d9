package tlssock

import (
	"errors"
	"fmt"
	"os"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// ReadFile reads a file named by a DataSource (nil means os.ReadFile).
type ReadFile func(path string) ([]byte, error)

// DataSource returns the bytes of a DataSource: a file read through read,
// or inline bytes or string.
func DataSource(ds *corev3.DataSource, read ReadFile) ([]byte, error) {
	if read == nil {
		read = os.ReadFile
	}
	switch s := ds.GetSpecifier().(type) {
	case *corev3.DataSource_Filename:
		b, err := read(s.Filename)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", s.Filename, err)
		}
		return b, nil
	case *corev3.DataSource_InlineBytes:
		return s.InlineBytes, nil
	case *corev3.DataSource_InlineString:
		return []byte(s.InlineString), nil
	}
	return nil, errors.New("empty data source")
}
