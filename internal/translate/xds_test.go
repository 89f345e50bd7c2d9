package translate

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
	"github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// TestMarshalProtoMatchesProtojson checks that marshalProto prints what
// protojson prints (whitespace aside) for the resources of the samples, the
// mixed golden input, 3,000 routes on 500 hosts and 2,000 on one host
// (large enough to be split, at the first and at the second level).
func TestMarshalProtoMatchesProtojson(t *testing.T) {
	oneHost := routesInput(t, 2000) // a single virtual host with every route
	oneHost[0].Data = regexp.MustCompile(`app-\d+\.example\.com`).ReplaceAll(oneHost[0].Data, []byte("app.example.com"))
	inputs := make([][]file.FileData, 0, 4)
	inputs = append(inputs, routesInput(t, 3000), oneHost)
	for _, paths := range [][]string{{samples}, {"testdata/mixed.in.yaml"}} {
		files, problems := file.ReadPaths(paths)
		if len(problems) > 0 {
			t.Fatal(problems)
		}
		inputs = append(inputs, files)
	}
	split := 0
	for _, files := range inputs {
		parsed, err := file.Parse(context.Background(), files, file.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, _ := file.Build(parsed, nil)
		for _, f := range gatewayapi.Translate(res, gatewayapi.Options{}).Fleets {
			xds, err := translator.Translate(f.Xds)
			if err != nil {
				t.Fatal(err)
			}
			msgs := make([]proto.Message, 0, len(xds.Listeners)+len(xds.Routes)+len(xds.Clusters)+len(xds.Endpoints)+len(xds.Secrets))
			msgs = append(msgs, messages(xds.Listeners)...)
			msgs = append(msgs, messages(xds.Routes)...)
			msgs = append(msgs, messages(xds.Clusters)...)
			msgs = append(msgs, messages(xds.Endpoints)...)
			msgs = append(msgs, messages(xds.Secrets)...)
			for _, m := range msgs {
				want, err := marshalOptions.Marshal(m)
				if err != nil {
					t.Fatal(err)
				}
				got, err := marshalProto(m)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(compact(t, got), compact(t, want)) {
					t.Errorf("%T: marshalProto differs from protojson:\n%s\n%s", m, got, want)
				}
				if proto.Size(m) >= splitSize {
					split++
				}
			}
		}
	}
	if split == 0 {
		t.Error("no resource large enough to be split")
	}
}

func compact(t *testing.T, js []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, js); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
