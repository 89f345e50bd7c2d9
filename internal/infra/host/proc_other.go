//go:build unix && !linux

package host

import "syscall"

// sysProcAttr puts Envoy in its own process group.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
