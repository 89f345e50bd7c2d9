package dataplane

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// defaultDrainTime is Envoy's --drain-time-s default.
const defaultDrainTime = 600 * time.Second

// commandLine is the part of Envoy's command line the data plane
// implements.
type commandLine struct {
	configPath       string
	configYAML       string
	serviceNode      string
	serviceCluster   string
	logLevel         string
	drainTime        time.Duration
	adminAddressPath string
}

// logLevels are the values Envoy's --log-level accepts.
var logLevels = map[string]bool{
	"trace": true, "debug": true, "info": true, "warning": true, "warn": true,
	"error": true, "critical": true, "off": true,
}

// parseArgs parses an Envoy command line (after the binary name): the
// flags our renderer and host manager pass, and a few neighbours. Each
// takes "--flag value" or "--flag=value"; an unknown flag is an error.
func parseArgs(args []string) (*commandLine, error) {
	cl := &commandLine{drainTime: defaultDrainTime, logLevel: "info"}
	strFlags := map[string]*string{
		"-c": &cl.configPath, "--config-path": &cl.configPath,
		"--config-yaml":        &cl.configYAML,
		"--service-node":       &cl.serviceNode,
		"--service-cluster":    &cl.serviceCluster,
		"-l":                   &cl.logLevel,
		"--log-level":          &cl.logLevel,
		"--admin-address-path": &cl.adminAddressPath,
	}
	var drain string
	strFlags["--drain-time-s"] = &drain
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		if name == "--use-dynamic-base-id" {
			if hasValue {
				return nil, fmt.Errorf("flag --use-dynamic-base-id takes no value")
			}
			continue // one process per proxy here: nothing to share.
		}
		dst, ok := strFlags[name]
		if !ok {
			return nil, fmt.Errorf("unknown flag %q (not implemented by the test data plane)", args[i])
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag %s needs a value", name)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	if !logLevels[cl.logLevel] {
		return nil, fmt.Errorf("--log-level: invalid level %q", cl.logLevel)
	}
	if drain != "" {
		s, err := strconv.ParseUint(drain, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--drain-time-s: invalid value %q", drain)
		}
		cl.drainTime = time.Duration(s) * time.Second
	}
	if cl.configPath == "" && cl.configYAML == "" {
		return nil, errors.New("at least one of --config-path or --config-yaml should be non-empty")
	}
	return cl, nil
}
