#!/usr/bin/env bash
# ratelimit-assets.sh prepares what the global rate limiting end-to-end test
# runs for real: the Envoy Rate Limit Service and a Redis server.
#
# * The service (github.com/envoyproxy/ratelimit, which has no release tags:
#   a pinned pseudo-version) is built from the Go module proxy once per
#   machine, kept in a cache outside the checkout, and copied into
#   bin/ratelimit/<version>/ratelimit.
# * redis-server comes from Debian's packages. When it is missing it is
#   installed with apt-get (CI runs as root on machines that may be new);
#   the script says so. Without root it stops with the command to run.
#
# The last line printed is the absolute path of the service binary.
set -euo pipefail

RATELIMIT_MODULE="github.com/envoyproxy/ratelimit"
RATELIMIT_VERSION="${RATELIMIT_VERSION:-v1.4.1-0.20260122083618-3fb702589d36}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLATFORM="$(go env GOOS)-$(go env GOARCH)"
OUT="${ROOT}/bin/ratelimit/${RATELIMIT_VERSION}-${PLATFORM}"
CACHE="${RATELIMIT_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/envoy-gateway/ratelimit/${RATELIMIT_VERSION}-${PLATFORM}}"

log() { echo "ratelimit-assets: $*" >&2; }

ensure_redis() {
  if command -v redis-server >/dev/null 2>&1; then
    return 0
  fi
  if [[ "$(id -u)" != "0" ]]; then
    log "redis-server is missing; install it with: sudo apt-get update && sudo apt-get install -y redis-server"
    return 1
  fi
  log "redis-server is missing: installing Debian's redis-server with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
  command -v redis-server >/dev/null 2>&1 || { log "redis-server is still missing after apt-get install"; return 1; }
  log "installed $(redis-server --version)"
}

build_service() {
  local dest="$1" work
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' RETURN
  log "building ${RATELIMIT_MODULE}/src/service_cmd@${RATELIMIT_VERSION} from the Go module proxy (a few minutes the first time)"
  # go install pkg@version builds outside any module, with the service's own go.mod.
  GOBIN="${work}" GOFLAGS=-mod=mod GOWORK=off go install "${RATELIMIT_MODULE}/src/service_cmd@${RATELIMIT_VERSION}"
  mkdir -p "${dest}"
  mv "${work}/service_cmd" "${dest}/ratelimit.tmp" && mv "${dest}/ratelimit.tmp" "${dest}/ratelimit"
}

ensure_redis

if [[ ! -x "${OUT}/ratelimit" ]]; then
  [[ -x "${CACHE}/ratelimit" ]] || build_service "${CACHE}"
  mkdir -p "${OUT}"
  cp "${CACHE}/ratelimit" "${OUT}/ratelimit.tmp" && mv "${OUT}/ratelimit.tmp" "${OUT}/ratelimit"
fi
echo "${OUT}/ratelimit"
