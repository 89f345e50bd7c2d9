// Package version owns the build version of envoy-gateway, set at link time.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// These are set with -ldflags "-X github.com/envoygw/envoy-gateway/internal/version.Version=...".
var (
	// Version is the release version, "dev" for local builds.
	Version = "dev"
	// GitCommit is the commit the binary was built from.
	GitCommit = ""
)

// Info is the version information of the running binary.
type Info struct {
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit,omitempty"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// Get returns the version information of the running binary. A binary built
// without -ldflags reports the VCS revision Go recorded, when there is one.
func Get() Info {
	commit := GitCommit
	if commit == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					commit = s.Value
				}
			}
		}
	}
	return Info{
		Version:   Version,
		GitCommit: commit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
}

// String renders the version on one line.
func (i Info) String() string {
	s := fmt.Sprintf("envoy-gateway %s (%s, %s)", i.Version, i.GoVersion, i.Platform)
	if i.GitCommit != "" {
		s += " commit " + i.GitCommit
	}
	return s
}
