package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
	"github.com/envoygw/envoy-gateway/internal/translate"
)

// translateFlags are the flags of the translate command.
type translateFlags struct {
	files          []string
	to             string
	output         string
	types          []string
	controllerName string
}

func newTranslateCommand() *cobra.Command {
	var f translateFlags
	cmd := &cobra.Command{
		Use:   "translate -f FILE [-f FILE...]",
		Short: "Translate Gateway API resources offline, as the server would",
		Long: "Read Gateway API, Service, EndpointSlice, Secret, Namespace and EnvoyProxy objects from files " +
			"or folders (or - for stdin), validate each one against the CRD schemas and CEL rules as the API " +
			"server would, and print the result: the objects with their computed statuses (--to gateway-api), " +
			"the intermediate representation (--to ir) or the Envoy resources of each fleet (--to xds). " +
			"Invalid input exits non-zero with the file, document and field of every error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTranslate(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&f.files, "file", "f", nil, "input file or folder, or - for stdin (repeatable)")
	fl.StringVar(&f.to, "to", translate.ToXds, "output: gateway-api, ir or xds")
	fl.StringVarP(&f.output, "output", "o", translate.FormatYAML, "format: yaml or json")
	fl.StringSliceVar(&f.types, "type", []string{translate.TypeAll}, "xDS resource types: listener, route, cluster, endpoint, secret or all")
	fl.StringVar(&f.controllerName, "controller-name", egv1a1.DefaultControllerName, "GatewayClass controllerName to serve")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// batchGCPercent is the GC target of the translate command: a short-lived
// batch job that allocates a lot while its live heap stays small. Collecting
// less often roughly halves its CPU time on large inputs, for about twice
// the peak memory. GOGC, when set, wins.
const batchGCPercent = 400

// Soft memory limit of the translate command (see batchMemoryLimit).
const (
	minBatchMemoryLimit = 384 << 20
	// liveHeapPerInputByte bounds the live heap per byte of input: about
	// 25 at 10,000 routes (5 MB of YAML, 120 MB live at most), doubled.
	liveHeapPerInputByte = 50
)

// batchMemoryLimit is the soft memory limit for inputs of inputBytes: with
// GOGC 400 the heap would grow to five times the live heap, but the live
// heap stays small, so collecting earlier once the heap reaches the limit
// cuts the peak memory (and the page faults of a larger heap) at no visible
// CPU cost. The limit stays well above the live heap, so a large input does
// not make the collector run back to back. GOMEMLIMIT, when set, wins.
func batchMemoryLimit(inputBytes int64) int64 {
	return max(minBatchMemoryLimit, liveHeapPerInputByte*inputBytes)
}

// setBatchGC applies the translate command's GC settings for inputs of
// inputBytes, unless GOGC or GOMEMLIMIT are set.
func setBatchGC(inputBytes int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(batchGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(batchMemoryLimit(inputBytes))
	}
}

func runTranslate(cmd *cobra.Command, f translateFlags) error {
	opts := translate.Options{ControllerName: f.controllerName, To: f.to, Format: f.output, Types: f.types}
	if err := opts.Validate(); err != nil {
		return err
	}
	files, err := readInputs(cmd.InOrStdin(), f.files)
	if err != nil {
		return err
	}
	var inputBytes int64
	for _, in := range files {
		inputBytes += int64(len(in.Data))
	}
	setBatchGC(inputBytes)
	out, err := translate.Translate(cmd.Context(), files, opts)
	if inputErr, ok := errors.AsType[*translate.InputError](err); ok {
		for _, p := range inputErr.Problems {
			_, _ = fmt.Fprintln(cmd.ErrOrStderr(), p.Error())
		}
		return fmt.Errorf("%d invalid objects or documents", len(inputErr.Problems))
	}
	if err != nil {
		return err
	}
	for _, w := range out.Warnings {
		_, _ = fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	_, err = cmd.OutOrStdout().Write(out.Data)
	return err
}

// readInputs reads the -f arguments: "-" is stdin, others are files or folders.
func readInputs(stdin io.Reader, args []string) ([]file.FileData, error) {
	var files []file.FileData
	for _, a := range args {
		if a == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("reading stdin: %w", err)
			}
			files = append(files, file.FileData{Name: "<stdin>", Data: data})
			continue
		}
		if _, err := os.Stat(a); err != nil {
			return nil, fmt.Errorf("-f %s: %w", a, err)
		}
		read, problems := file.ReadPaths([]string{a})
		if len(problems) > 0 {
			return nil, problems[0]
		}
		files = append(files, read...)
	}
	return files, nil
}
