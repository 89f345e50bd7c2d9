package controllers

import (
	"context"
	"errors"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/message"
)

// listCounter counts the Lists of a client and fails them while failing.
type listCounter struct {
	client.Client
	lists   int
	failing bool
}

func (c *listCounter) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	c.lists++
	if c.failing {
		return errors.New("injected list failure")
	}
	return c.Client.List(ctx, list, opts...)
}

// TestStatusWriterSkipsRoutesOfAResultWritten checks that a round for the
// result the last round wrote route statuses for (what an Applied change
// triggers) does not read the routes again, that a new result does, and
// that a round that failed is not taken as written.
func TestStatusWriterSkipsRoutesOfAResultWritten(t *testing.T) {
	c := &listCounter{Client: fakeClientBuilder(t, gwapiv1.Install).Build()}
	results := message.NewWatchable[*gatewayapi.Result]("results")
	w, err := newStatusWriter(c, c, nil, Options{ControllerName: "example.com/gc", Results: results, Logger: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	round := func(res *gatewayapi.Result) int {
		results.Publish(res)
		before := c.lists
		w.write(ctx, res)
		return c.lists - before
	}
	first := &gatewayapi.Result{}
	if n := round(first); n == 0 {
		t.Fatal("the first round read no routes")
	}
	if n := round(first); n != 0 {
		t.Errorf("a round for the result written read the routes again (%d lists)", n)
	}
	c.failing = true
	second := &gatewayapi.Result{}
	if n := round(second); n == 0 {
		t.Fatal("a new result's round read no routes")
	}
	c.failing = false
	if n := round(second); n == 0 {
		t.Error("a round after a failed one skipped the routes")
	}
	if n := round(second); n != 0 {
		t.Errorf("a round for the result written read the routes again (%d lists)", n)
	}
}
