#!/usr/bin/env bash
# Builds kwok (sigs.k8s.io/kwok: fake nodes and pod lifecycles without a kubelet) from the Go
# module proxy; its cmd/kwok has no replace directives, so `go install module@version` works.
# Usage: build-kwok.sh <version, e.g. v0.7.0> <outDir>; idempotent (exits when <outDir>/kwok exists).
set -euo pipefail
version="${1:?usage: build-kwok.sh <version> <outDir>}"
out="${2:?usage: build-kwok.sh <version> <outDir>}"
source "$(dirname "$0")/go-env.sh"
hva_skip_if_built "$out/kwok"
mkdir -p "$out"
tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# GOBIN into a temp dir, then an atomic rename: a half-written binary is never cached.
GOBIN="$tmp" nice -n 10 go install -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${version}" \
  "sigs.k8s.io/kwok/cmd/kwok@${version}"
mv "$tmp/kwok" "$out/kwok"
"$out/kwok" --version || true
