package controlplane

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/bus"
	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/ir"
	"github.com/envoygw/envoy-gateway/internal/message"
)

func TestConfigDumpAnswersBadQueriesWithAnError(t *testing.T) {
	c := &ControlPlane{
		results:   message.NewWatchable[*gatewayapi.Result]("results"),
		endpoints: message.NewWatchable[*ir.Endpoints]("endpoints"),
	}
	c.results.Publish(&gatewayapi.Result{Fleets: []*bus.Fleet{{Name: "default/eg", Xds: &ir.Xds{}}}})
	tests := []struct {
		query      string
		wantStatus int
		// wantBody is in the body: the fleet's key, or the error's words.
		wantBody []string
	}{
		{query: "", wantStatus: http.StatusOK, wantBody: []string{`"default/eg"`}},
		{query: "?type=listener,route&fleet=default/eg", wantStatus: http.StatusOK, wantBody: []string{`"default/eg"`}},
		{query: "?type=all", wantStatus: http.StatusOK, wantBody: []string{`"default/eg"`}},
		{query: "?type=bogus", wantStatus: http.StatusBadRequest,
			wantBody: []string{`type \"bogus\" is not one of listener, route, cluster, endpoint, secret, all`}},
		{query: "?type=listener,", wantStatus: http.StatusBadRequest, wantBody: []string{`type \"\" is not one of`}},
		{query: "?fleet=nope", wantStatus: http.StatusNotFound,
			wantBody: []string{`fleet \"nope\" not found; the fleets are \"default/eg\"`}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c.configDumpHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/config_dump"+tt.query, nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if !json.Valid(rec.Body.Bytes()) {
				t.Errorf("body is not JSON: %s", rec.Body)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("body %s does not contain %s", rec.Body, want)
				}
			}
		})
	}
}
