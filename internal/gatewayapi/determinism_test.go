package gatewayapi

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shuffled returns a copy of res with every list in a random order. The
// objects themselves are shared, not copied.
func shuffled(res *Resources, rng *rand.Rand) *Resources {
	out := *res
	out.GatewayClasses = shuffle(rng, res.GatewayClasses)
	out.Gateways = shuffle(rng, res.Gateways)
	out.ListenerSets = shuffle(rng, res.ListenerSets)
	out.HTTPRoutes = shuffle(rng, res.HTTPRoutes)
	out.TLSRoutes = shuffle(rng, res.TLSRoutes)
	out.ReferenceGrants = shuffle(rng, res.ReferenceGrants)
	out.Namespaces = shuffle(rng, res.Namespaces)
	out.Services = shuffle(rng, res.Services)
	out.EndpointSlices = shuffle(rng, res.EndpointSlices)
	out.Secrets = shuffle(rng, res.Secrets)
	out.EnvoyProxies = shuffle(rng, res.EnvoyProxies)
	return &out
}

func shuffle[T any](rng *rand.Rand, in []T) []T {
	out := append([]T(nil), in...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestTranslateIsDeterministic checks that every golden input translates to
// byte-identical output twice in a row, in any input order, and from several
// goroutines at once (no hidden shared state).
func TestTranslateIsDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, in := range goldenInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, opts := loadGoldenInput(t, data)
			want := marshalResult(t, Translate(res, opts))
			if got := marshalResult(t, Translate(res, opts)); !bytes.Equal(want, got) {
				t.Fatalf("second translation differs:\n%s", cmp.Diff(string(want), string(got)))
			}
			for range 5 {
				if got := marshalResult(t, Translate(shuffled(res, rng), opts)); !bytes.Equal(want, got) {
					t.Fatalf("translation of shuffled input differs:\n%s", cmp.Diff(string(want), string(got)))
				}
			}
			var wg sync.WaitGroup
			outs := make([][]byte, 4)
			for i := range outs {
				wg.Go(func() { outs[i] = marshalResult(t, Translate(res, opts)) })
			}
			wg.Wait()
			for i, got := range outs {
				if !bytes.Equal(want, got) {
					t.Errorf("concurrent translation %d differs:\n%s", i, cmp.Diff(string(want), string(got)))
				}
			}
		})
	}
}

// TestTranslateDoesNotModifyInput checks that Translate leaves its input
// exactly as it found it.
func TestTranslateDoesNotModifyInput(t *testing.T) {
	for _, in := range goldenInputs(t) {
		t.Run(filepath.Base(in), func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			res, opts := loadGoldenInput(t, data)
			before, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			Translate(res, opts)
			after, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("Translate modified its input:\n%s", cmp.Diff(string(before), string(after)))
			}
		})
	}
}

func TestTranslateNilResources(t *testing.T) {
	r := Translate(nil, Options{})
	if r == nil || len(r.Fleets) != 0 || len(r.Statuses.GatewayClasses) != 0 {
		t.Errorf("Translate(nil) = %+v, want an empty result", r)
	}
}
