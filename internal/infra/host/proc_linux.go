package host

import "syscall"

// sysProcAttr puts Envoy in its own process group (so stopping it reaches
// its children and a terminal's Ctrl-C reaches only the control plane, which
// stops it) and has the kernel terminate it if the control plane dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
