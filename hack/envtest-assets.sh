#!/usr/bin/env bash
# envtest-assets.sh builds the envtest control-plane binaries (kube-apiserver,
# etcd) from the Go module proxy, because this project runs on machines that
# cannot download release tarballs. The binaries are built once per machine,
# kept in a cache outside the checkout, and copied into bin/k8s/ so that
# `setup-envtest use -i --bin-dir bin` and KUBEBUILDER_ASSETS both find them.
#
# The last line printed is the absolute asset directory.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-3.6.5}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLATFORM="$(go env GOOS)-$(go env GOARCH)"
OUT="${ROOT}/bin/k8s/${K8S_VERSION}-${PLATFORM}"
CACHE="${ENVTEST_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/envoy-gateway/k8s/${K8S_VERSION}-${PLATFORM}}"
BINARIES=(kube-apiserver etcd kubectl)

log() { echo "envtest-assets: $*" >&2; }

complete() {
  local dir="$1" b
  for b in "${BINARIES[@]}"; do
    [[ -x "${dir}/${b}" ]] || return 1
  done
  "${dir}/kube-apiserver" --version 2>/dev/null | grep -q "v${K8S_VERSION}" || return 1
}

build_kube_apiserver() {
  local dest="$1" work src minor
  work="$(mktemp -d)"
  trap 'chmod -R u+w "${work}" 2>/dev/null; rm -rf "${work}"' RETURN
  log "building kube-apiserver v${K8S_VERSION} from the Go module proxy (takes several minutes)"
  src="$(go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "${src}" ]] || { log "could not download k8s.io/kubernetes@v${K8S_VERSION}"; return 1; }
  cp -r "${src}/." "${work}/"
  chmod -R u+w "${work}"
  rm -rf "${work}/go.work" "${work}/go.work.sum" "${work}/vendor"
  # Staging modules are replaced by their published versions (v0.X.Y for v1.X.Y).
  sed -i -E "s#^(\s*k8s\.io/[A-Za-z0-9._-]+) => \./staging/src/k8s\.io/[A-Za-z0-9._-]+#\1 => \1 v0.${K8S_VERSION#1.}#" "${work}/go.mod"
  minor="$(echo "${K8S_VERSION}" | cut -d. -f2)"
  local ld="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X ${pkg}.gitVersion=v${K8S_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${minor} -X ${pkg}.gitTreeState=clean"
  done
  (cd "${work}" && GOFLAGS=-mod=mod GOWORK=off go build -ldflags "${ld}" -o "${dest}/kube-apiserver" ./cmd/kube-apiserver)
}

build_etcd() {
  local dest="$1" work src
  work="$(mktemp -d)"
  trap 'chmod -R u+w "${work}" 2>/dev/null; rm -rf "${work}"' RETURN
  log "building etcd v${ETCD_VERSION} from the Go module proxy"
  src="$(go mod download -json "go.etcd.io/etcd/server/v3@v${ETCD_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "${src}" ]] || { log "could not download go.etcd.io/etcd/server/v3@v${ETCD_VERSION}"; return 1; }
  cp -r "${src}/." "${work}/"
  chmod -R u+w "${work}"
  sed -i -E '/=> \.\.\//d' "${work}/go.mod"
  (cd "${work}" && GOFLAGS=-mod=mod GOWORK=off go build -o "${dest}/etcd" .)
}

if complete "${OUT}"; then
  echo "${OUT}"
  exit 0
fi

if ! complete "${CACHE}"; then
  mkdir -p "${CACHE}"
  [[ -x "${CACHE}/kube-apiserver" ]] && "${CACHE}/kube-apiserver" --version 2>/dev/null | grep -q "v${K8S_VERSION}" \
    || build_kube_apiserver "${CACHE}"
  [[ -x "${CACHE}/etcd" ]] || build_etcd "${CACHE}"
  if [[ ! -x "${CACHE}/kubectl" ]]; then
    kubectl_path="$(command -v kubectl || true)"
    [[ -n "${kubectl_path}" ]] || { log "kubectl not found on PATH"; exit 1; }
    cp "${kubectl_path}" "${CACHE}/kubectl"
  fi
fi

mkdir -p "${OUT}"
for b in "${BINARIES[@]}"; do
  cp "${CACHE}/${b}" "${OUT}/${b}.tmp" && mv "${OUT}/${b}.tmp" "${OUT}/${b}"
done
complete "${OUT}" || { log "assets in ${OUT} are incomplete"; exit 1; }
echo "${OUT}"
