#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy (helm.sh/helm/v3 has no replace directives, so
# `go install module@version` works) and caches it outside the repo.
# Usage: build-helm.sh <version, e.g. v3.22.0> <outDir>; idempotent (exits when <outDir>/helm exists).
set -euo pipefail
version="${1:?usage: build-helm.sh <version> <outDir>}"
out="${2:?usage: build-helm.sh <version> <outDir>}"
if [[ -x "$out/helm" ]]; then exit 0; fi

cache="${HVA_TOOLS_CACHE:-$HOME/.cache/hva-tools}/go"
export GOPATH="$cache/path" GOMODCACHE="$cache/mod" GOCACHE="$cache/build"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
mkdir -p "$out" "$GOPATH" "$GOMODCACHE" "$GOCACHE"

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# GOBIN into a temp dir, then an atomic rename: a half-written binary is never cached.
GOBIN="$tmp" nice -n 10 go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=${version}" \
  "helm.sh/helm/v3/cmd/helm@${version}"
mv "$tmp/helm" "$out/helm"
"$out/helm" version --short
