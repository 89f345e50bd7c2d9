# Image URL to use all building/pushing image targets
IMG ?= controller:latest

# Get the currently used golang install path (in GOPATH/bin, unless GOBIN is set)
ifeq (,$(shell go env GOBIN))
GOBIN=$(shell go env GOPATH)/bin
else
GOBIN=$(shell go env GOBIN)
endif

# CONTAINER_TOOL defines the container tool to be used for building images.
# Be aware that the target commands are only tested with Docker which is
# scaffolded by default. However, you might want to replace it to use other
# tools. (i.e. podman)
CONTAINER_TOOL ?= docker

# Setting SHELL to bash allows bash commands to be executed by recipes.
# Options are set to exit when a recipe line exits non-zero or a piped command fails.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

# The help target prints out all targets with their descriptions organized
# beneath their categories. The categories are represented by '##@' and the
# target descriptions by '##'. The awk command is responsible for reading the
# entire set of makefiles included in this invocation, looking for lines of the
# file as xyz: ## something, and then pretty-format the target and help. Then,
# if there's a line with ##@ something, that gets pretty-printed as a category.
# More info on the usage of ANSI control characters for terminal formatting:
# https://en.wikipedia.org/wiki/ANSI_escape_code#SGR_parameters
# More info on the awk command:
# http://linuxcommand.org/lc3_adv_awk.php

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-15s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate ClusterRole and CustomResourceDefinition objects from markers.
	"$(CONTROLLER_GEN)" rbac:roleName=manager-role crd webhook paths="./api/...;./controllers/...;./internal/infra/...;./internal/leader/..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy, DeepCopyInto and DeepCopyObject implementations.
	"$(CONTROLLER_GEN)" object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

# Files produced by `make manifests generate`; verify-generated fails when
# regenerating them changes anything.
GENERATED_FILES = $(wildcard api/*/zz_generated.*.go) $(wildcard config/crd/bases/*.yaml) config/rbac/role.yaml

.PHONY: verify-generated
verify-generated: ## Fail when `make manifests generate` would change the tree.
	@before="$$(cat $(GENERATED_FILES) | sha256sum)"; \
	$(MAKE) --no-print-directory manifests generate >/dev/null; \
	after="$$(cat $(wildcard api/*/zz_generated.*.go) $(wildcard config/crd/bases/*.yaml) config/rbac/role.yaml | sha256sum)"; \
	if [ "$$before" != "$$after" ]; then \
		echo "Generated code was out of date and has now been regenerated: review and commit it."; \
		git status --short -- api config/crd config/rbac; exit 1; \
	fi

.PHONY: fmt
fmt: ## Run go fmt against code.
	go fmt ./...

.PHONY: verify-fmt
verify-fmt: ## Fail when a file is not gofmt-formatted.
	@out="$$(gofmt -l $$(git ls-files '*.go'; git ls-files --others --exclude-standard '*.go'))"; \
	if [ -n "$$out" ]; then echo "Not gofmt-formatted:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## Run go vet against code.
	go vet ./...

.PHONY: envtest-assets
envtest-assets: ## Build kube-apiserver and etcd for envtest once (cached); prints their folder last.
	@./hack/envtest-assets.sh

.PHONY: ratelimit-assets
ratelimit-assets: ## Build the rate limit service once (cached) and install redis-server when missing; prints the service binary last.
	@./hack/ratelimit-assets.sh

.PHONY: dev-cluster
dev-cluster: ## Start a local kube-apiserver + etcd with our CRDs and the Gateway API CRDs; writes bin/dev-cluster/kubeconfig.
	@assets="$$(./hack/envtest-assets.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go run ./hack/dev-cluster

.PHONY: test
test: verify-generated verify-fmt vet lint ## Run every check CI runs: generated code, gofmt, vet, golangci-lint, then all tests (unit, golden, envtest suites, Gateway API conformance, rate limiting with the real service and Redis) with the race detector.
	@assets="$$(./hack/envtest-assets.sh | tail -n 1)"; \
	ratelimit="$$(./hack/ratelimit-assets.sh | tail -n 1)"; \
	echo "KUBEBUILDER_ASSETS=$$assets EG_RATELIMIT_BIN=$$ratelimit"; \
	KUBEBUILDER_ASSETS="$$assets" EG_RATELIMIT_BIN="$$ratelimit" EG_CONFORMANCE=1 go test ./... -race -count=1 -timeout 45m $(TEST_FLAGS)

.PHONY: conformance
conformance: ## Run the upstream Gateway API conformance suite (status and traffic tests, through the test data plane) on envtest; writes test/conformance/report.yaml. Writes test/conformance/results.md (every test). Needs root (see docs/conformance.md).
	@assets="$$(./hack/envtest-assets.sh | tail -n 1)"; mkdir -p bin/conformance; \
	echo "Gateway API conformance v1.6.3 on envtest (full log: bin/conformance/test.log)"; \
	start=$$(date +%s); rc=0; \
	KUBEBUILDER_ASSETS="$$assets" EG_CONFORMANCE=1 EG_CONFORMANCE_VERSION="$(VERSION)" \
	EG_CONFORMANCE_REPORT="$(abspath $(CONFORMANCE_REPORT))" EG_CONFORMANCE_RESULTS="$(abspath $(CONFORMANCE_RESULTS))" \
	go test ./test/conformance/ -run '^TestConformance$$' -count=1 -timeout 60m -v >bin/conformance/test.log 2>&1 || rc=$$?; \
	grep -E '^CONFORMANCE: |^(--- FAIL|FAIL|ok) ' bin/conformance/test.log | sed 's/^CONFORMANCE: //' || true; \
	echo "make conformance took $$(( $$(date +%s) - start ))s"; exit $$rc

CONFORMANCE_REPORT ?= test/conformance/report.yaml
CONFORMANCE_RESULTS ?= test/conformance/results.md

SOAK_DURATION ?= 30m

.PHONY: soak
soak: ## Run SOAK_DURATION (30m) of random route churn against envtest with an ADS client, checking convergence every 5 minutes (not in make test); log in bin/soak/soak.log.
	@assets="$$(./hack/envtest-assets.sh | tail -n 1)"; mkdir -p bin/soak; \
	echo "soak: $(SOAK_DURATION) of route churn on envtest (full log: bin/soak/soak.log)"; \
	rc=0; KUBEBUILDER_ASSETS="$$assets" EG_SOAK_DURATION="$(SOAK_DURATION)" \
	go test ./test/soak/ -run '^TestSoak$$' -count=1 -timeout 0 -v >bin/soak/soak.log 2>&1 || rc=$$?; \
	grep -E 'SOAK: |^(--- FAIL|FAIL|ok) ' bin/soak/soak.log | sed 's/^ *soak_test.go:[0-9]*: SOAK: //' || true; exit $$rc

.PHONY: bench
bench: ## Run the benchmarks (translator, xDS) with memory figures.
	go test ./internal/... -run='^$$' -bench=. -benchmem -count=$(BENCH_COUNT) $(BENCH_FLAGS)

BENCH_COUNT ?= 5

BENCH_E2E_ROUTES ?= 1000,10000
BENCH_E2E_PROVIDERS ?= file,kubernetes
BENCH_E2E_CHANGES ?= 50

.PHONY: bench-e2e
bench-e2e: build ## Measure the server end to end (not part of `make test`): first configuration, route/EndpointSlice/Secret change latencies at ADS clients, RSS, CPU; results in bin/bench-e2e/ (see docs/performance.md).
	@assets="$$(./hack/envtest-assets.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go run ./test/benche2e -binary bin/envoy-gateway \
		-routes $(BENCH_E2E_ROUTES) -providers $(BENCH_E2E_PROVIDERS) -changes $(BENCH_E2E_CHANGES) \
		-out bin/bench-e2e -label "$(BENCH_E2E_LABEL)" $(BENCH_E2E_FLAGS)

.PHONY: bench-traffic
bench-traffic: ## Time from applying an HTTPRoute to its first 200 through the test data plane (median, p99 of 50). Needs root.
	@assets="$$(./hack/envtest-assets.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go test ./test/traffic/ -run='^$$' -bench=BenchmarkRouteToFirst200 -benchtime=50x -count=1 -timeout 30m

.PHONY: bench-applied
bench-applied: ## Time from updating an HTTPRoute to its Gateway's gateway.envoyproxy.io/Applied=True with the test data plane (median, p99 of 50). Needs root.
	@assets="$$(./hack/envtest-assets.sh | tail -n 1)"; \
	KUBEBUILDER_ASSETS="$$assets" go test ./test/traffic/ -run='^$$' -bench=BenchmarkRouteUpdateToApplied -benchtime=50x -count=1 -timeout 30m -v

.PHONY: lint
lint: golangci-lint ## Run golangci-lint linter
	"$(GOLANGCI_LINT)" run

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint linter and perform fixes
	"$(GOLANGCI_LINT)" run --fix

.PHONY: lint-config
lint-config: golangci-lint ## Verify golangci-lint linter configuration
	"$(GOLANGCI_LINT)" config verify

##@ Build

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GIT_COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS = -X github.com/envoygw/envoy-gateway/internal/version.Version=$(VERSION) \
	-X github.com/envoygw/envoy-gateway/internal/version.GitCommit=$(GIT_COMMIT)

.PHONY: build
build: ## Build the envoy-gateway binary into bin/.
	go build -ldflags "$(LDFLAGS)" -o bin/envoy-gateway ./cmd/envoy-gateway

RUN_CONFIG ?= config/samples/standalone/envoy-gateway.yaml

.PHONY: run
run: build ## Run the control plane on this host with the File provider over the bundled samples.
	@echo "Starting envoy-gateway with $(RUN_CONFIG)"
	@echo "  admin:  http://127.0.0.1:19000/healthz  /readyz  /metrics  /api/status  /api/config_dump"
	@echo "  xDS:    127.0.0.1:18000 (plaintext, loopback only)"
	./bin/envoy-gateway server --config-path $(RUN_CONFIG)

# Override BASE_IMAGE to build from another registry, e.g.
# make docker-build IMG=<img> BASE_IMAGE=docker.io/library/golang:1.26
.PHONY: docker-build
docker-build: ## Build docker image with the manager.
	$(CONTAINER_TOOL) build $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) -t ${IMG} .

.PHONY: docker-push
docker-push: ## Push docker image with the manager.
	$(CONTAINER_TOOL) push ${IMG}

.PHONY: build-installer
build-installer: manifests generate kustomize ## Generate a consolidated YAML with CRDs and deployment.
	mkdir -p dist
	cd config/default && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default > dist/install.yaml

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

.PHONY: install
install: manifests kustomize ## Install CRDs into the K8s cluster specified in ~/.kube/config.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" apply -f -; else echo "No CRDs to install; skipping."; fi

.PHONY: uninstall
uninstall: manifests kustomize ## Uninstall CRDs from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	@out="$$( "$(KUSTOMIZE)" build config/crd 2>/dev/null || true )"; \
	if [ -n "$$out" ]; then echo "$$out" | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -; else echo "No CRDs to delete; skipping."; fi

.PHONY: deploy
deploy: manifests kustomize ## Deploy controller to the K8s cluster specified in ~/.kube/config.
	cd config/default && "$(KUSTOMIZE)" edit set image controller=${IMG}
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" apply -f -

.PHONY: undeploy
undeploy: kustomize ## Undeploy controller from the K8s cluster specified in ~/.kube/config. Call with ignore-not-found=true to ignore resource not found errors during deletion.
	"$(KUSTOMIZE)" build config/default | "$(KUBECTL)" delete --ignore-not-found=$(ignore-not-found) -f -

##@ Bundle (OLM)

# BUNDLE_VERSION is the bundle's semantic version (no "v"): VERSION when that
# is one (`make bundle VERSION=0.2.0`, or a build at a tag v0.2.0), else 0.1.0,
# the version of the committed bundle/.
BUNDLE_VERSION ?= $(or $(shell echo '$(VERSION)' | sed -nE 's/^v?([0-9]+\.[0-9]+\.[0-9]+)$$/\1/p'),0.1.0)

# CHANNELS are the bundle's channels (comma-separated), DEFAULT_CHANNEL the one
# a Subscription without a channel follows. Names follow the OLM convention
# (candidate, fast, stable): pre-1.0 releases go to candidate; a supported
# release would be `make bundle CHANNELS=candidate,stable DEFAULT_CHANNEL=stable`.
CHANNELS ?= candidate
DEFAULT_CHANNEL ?= candidate
BUNDLE_METADATA_OPTS ?= --channels=$(CHANNELS) --default-channel=$(DEFAULT_CHANNEL)

# IMAGE_TAG_BASE is the registry and name the images are published under:
# $(IMAGE_TAG_BASE):v$(BUNDLE_VERSION) (the control plane) and
# $(IMAGE_TAG_BASE)-bundle:v$(BUNDLE_VERSION) (the bundle image).
IMAGE_TAG_BASE ?= ghcr.io/envoygw/envoy-gateway
BUNDLE_IMG ?= $(IMAGE_TAG_BASE)-bundle:v$(BUNDLE_VERSION)
# The control-plane image the bundle's CSV runs: IMG when given
# (`make bundle IMG=...`), else the release image of BUNDLE_VERSION.
BUNDLE_OPERATOR_IMG ?= $(if $(filter command line environment environment override,$(origin IMG)),$(IMG),$(IMAGE_TAG_BASE):v$(BUNDLE_VERSION))

BUNDLE_GEN_FLAGS ?= -q --overwrite --package envoy-gateway --version $(BUNDLE_VERSION) $(BUNDLE_METADATA_OPTS)

# The CSV's descriptions and descriptors are hand-written in
# config/manifests/bases (`operator-sdk generate kustomize manifests` would
# replace them with the Go doc comments, so it is not run); test/olm fails
# when bundle/ no longer matches config/.
.PHONY: bundle
bundle: manifests kustomize operator-sdk ## Generate the OLM bundle (bundle/, bundle.Dockerfile) from config/manifests for BUNDLE_VERSION and IMG, then validate it.
	cd config/manifests && "$(KUSTOMIZE)" edit set image controller=$(BUNDLE_OPERATOR_IMG)
	@csv=bundle/manifests/envoy-gateway.clusterserviceversion.yaml; old="$$(mktemp)"; cp "$$csv" "$$old" 2>/dev/null || true; \
	rm -rf bundle/manifests bundle/metadata bundle/tests; \
	echo '"$(KUSTOMIZE)" build config/manifests | "$(OPERATOR_SDK)" generate bundle $(BUNDLE_GEN_FLAGS)'; \
	"$(KUSTOMIZE)" build config/manifests | "$(OPERATOR_SDK)" generate bundle $(BUNDLE_GEN_FLAGS); \
	if [ -s "$$old" ] && cmp -s <(grep -v '^    createdAt: ' "$$csv") <(grep -v '^    createdAt: ' "$$old"); then \
		cp "$$old" "$$csv"; echo "The CSV did not change: kept its createdAt."; fi; rm -f "$$old"
	@$(MAKE) --no-print-directory bundle-validate

.PHONY: bundle-validate
bundle-validate: operator-sdk ## Validate bundle/ with operator-sdk: the default checks and the operatorframework suite.
	"$(OPERATOR_SDK)" bundle validate ./bundle
	"$(OPERATOR_SDK)" bundle validate ./bundle --select-optional suite=operatorframework

.PHONY: bundle-build
bundle-build: ## Build the bundle image BUNDLE_IMG.
	$(CONTAINER_TOOL) build -f bundle.Dockerfile -t $(BUNDLE_IMG) .

.PHONY: bundle-push
bundle-push: ## Push the bundle image BUNDLE_IMG.
	$(MAKE) docker-push IMG=$(BUNDLE_IMG)

##@ Dependencies

## Location to install dependencies to
LOCALBIN ?= $(shell pwd)/bin
$(LOCALBIN):
	mkdir -p "$(LOCALBIN)"

## Tool Binaries
KUBECTL ?= kubectl
KIND ?= kind
KUSTOMIZE ?= $(LOCALBIN)/kustomize
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
GOLANGCI_LINT = $(LOCALBIN)/golangci-lint
OPERATOR_SDK ?= $(LOCALBIN)/operator-sdk

## Tool Versions
KUSTOMIZE_VERSION ?= v5.8.1
CONTROLLER_TOOLS_VERSION ?= v0.23.0

# The envtest binaries (kube-apiserver v1.37.2, etcd v3.6.5) are built from the
# Go module proxy by hack/envtest-assets.sh: setup-envtest cannot download here.

# golangci-lint v2.13.1 and logcheck are pinned in hack/tools/golangci-lint/go.mod.
.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Download kustomize locally if necessary.
$(KUSTOMIZE): $(LOCALBIN)
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Download controller-gen locally if necessary.
$(CONTROLLER_GEN): $(LOCALBIN)
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint (with the logcheck plugin) from hack/tools/golangci-lint.
$(GOLANGCI_LINT): hack/tools/golangci-lint/go.mod hack/tools/golangci-lint/main.go | $(LOCALBIN)
	cd hack/tools/golangci-lint && go build -o "$(GOLANGCI_LINT)" .

# operator-sdk v1.42.2 is pinned in hack/tools/operator-sdk/go.mod (`go install`
# cannot fetch it here); the tags leave out the cgo-only container storage code.
OPERATOR_SDK_PKG = github.com/operator-framework/operator-sdk
OPERATOR_SDK_TAGS = containers_image_openpgp,exclude_graphdriver_btrfs,exclude_graphdriver_devicemapper,containers_image_storage_stub
.PHONY: operator-sdk
operator-sdk: $(OPERATOR_SDK) ## Build operator-sdk from hack/tools/operator-sdk.
$(OPERATOR_SDK): hack/tools/operator-sdk/go.mod | $(LOCALBIN)
	cd hack/tools/operator-sdk && v="$$(go list -m -f '{{.Version}}' github.com/operator-framework/operator-sdk)" && \
	CGO_ENABLED=0 go build -tags $(OPERATOR_SDK_TAGS) -o "$(OPERATOR_SDK)" \
		-ldflags "-X $(OPERATOR_SDK_PKG)/internal/version.Version=$$v -X $(OPERATOR_SDK_PKG)/internal/version.GitVersion=$$v -X $(OPERATOR_SDK_PKG)/internal/version.ImageVersion=$$v" \
		$(OPERATOR_SDK_PKG)/cmd/operator-sdk

# go-install-tool will 'go install' any package with custom target and name of binary, if it doesn't exist
# $1 - target path with name of binary
# $2 - package url which can be installed
# $3 - specific version of package
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(1)-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Downloading $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
} ;\
ln -sf "$$(realpath "$(1)-$(3)")" "$(1)"
endef

define gomodver
$(shell go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' $(1) 2>/dev/null)
endef
