package controlplane

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	egv1a1 "github.com/envoygw/envoy-gateway/api/v1alpha1"

	"github.com/envoygw/envoy-gateway/internal/gatewayapi"
	"github.com/envoygw/envoy-gateway/internal/runner"
	xdstranslator "github.com/envoygw/envoy-gateway/internal/xds/translator"
)

// newTranslateSeconds is the histogram of resource translation times.
func newTranslateSeconds() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "envoy_gateway_translate_duration_seconds",
		Help:    "Time to translate one resource snapshot into IR and statuses.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	})
}

func newTranslations() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "envoy_gateway_translations_total",
		Help: "Resource snapshots translated, by how: patch (only HTTPRoutes changed: the last model patched) or full.",
	}, []string{"mode"})
}

// TranslateOptions are the resource translator's options for a static
// configuration, as the control plane translates with them (the soak test
// translates what the API server holds with them too).
func TranslateOptions(cfg *egv1a1.EnvoyGateway) gatewayapi.Options {
	return gatewayapi.Options{
		ControllerName:  cfg.Gateway.ControllerName,
		DataPlane:       xdstranslator.Checks{},
		GlobalRateLimit: globalRateLimit(cfg),
	}
}

// translatorRunner turns every published resource snapshot into a Result,
// published on the results topic, and its fleets, published on the fleets
// topic. Snapshots published while a translation runs coalesce: only the
// newest is translated next. A translation that panics leaves the memo in
// an unknown state, so the translator is replaced.
func (c *ControlPlane) translatorRunner() (runner.Runner, error) {
	translateSeconds := newTranslateSeconds()
	translations := newTranslations()
	for _, m := range []prometheus.Collector{translateSeconds, translations} {
		if err := c.registerer.Register(m); err != nil {
			return nil, fmt.Errorf("registering translator metrics: %w", err)
		}
	}
	opts := TranslateOptions(c.cfg)
	log := c.log.WithName("translator")
	return runner.Func{RunnerName: "gatewayapi-translator", Run: func(ctx context.Context) error {
		// One translator for the snapshots of the process: it memoizes the
		// routes' work, so a snapshot where one route changed costs about
		// that route. Subscribe calls the handler from one goroutine.
		translator := gatewayapi.NewTranslator(opts)
		c.resources.Subscribe(ctx, func(res *gatewayapi.Resources) {
			start := time.Now()
			result := translator.Translate(res)
			translateSeconds.Observe(time.Since(start).Seconds())
			mode := "full"
			if translator.Patched() {
				mode = "patch"
			}
			translations.WithLabelValues(mode).Inc()
			log.V(1).Info("translated resources", "fleets", len(result.Fleets), "mode", mode, "duration", time.Since(start).String())
			c.results.Publish(result)
			c.fleets.Publish(result.FleetSet())
		}, func(err error) {
			log.Error(err, "translation panicked; the previous result stays in force")
			translator = gatewayapi.NewTranslator(opts)
		})
		return nil
	}}, nil
}
