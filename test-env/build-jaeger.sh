#!/usr/bin/env bash
# Builds the Jaeger v2 all-in-one binary (cmd/jaeger: OTLP receiver + query API + memory store)
# from the Go module proxy and caches it outside the repo.
# Usage: build-jaeger.sh <module version> <outDir>; idempotent (exits when <outDir>/jaeger exists).
#
# The module github.com/jaegertracing/jaeger has no /v2 suffix, so its v2.x.y git tags are not
# valid module versions. Jaeger tags every v2 release commit with a v1.x.y twin as well
# (v1.76.0 == v2.13.0, see CHANGELOG.md in the module), or one can use a pseudo-version of a v2
# release commit; either way the version passed here is a module version the proxy serves, and
# ./cmd/jaeger inside it is the v2 binary. `go install module@version` would refuse the module's
# replace directive, so we download the module and `go build` inside it.
set -euo pipefail
version="${1:?usage: build-jaeger.sh <module version> <outDir>}"
out="${2:?usage: build-jaeger.sh <module version> <outDir>}"
source "$(dirname "$0")/go-env.sh"
hva_skip_if_built "$out/jaeger"
mkdir -p "$out"

dir="$(cd /tmp && go mod download -json "github.com/jaegertracing/jaeger@${version}" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$dir/cmd/jaeger" ]] || { echo "build-jaeger.sh: no cmd/jaeger in $dir" >&2; exit 1; }

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# The module cache is read-only; go build only reads it and writes the binary to $tmp.
(cd "$dir" && nice -n 10 go build -trimpath \
  -ldflags "-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=${version}" \
  -o "$tmp/jaeger" ./cmd/jaeger)
mv "$tmp/jaeger" "$out/jaeger"
"$out/jaeger" version 2>/dev/null | head -c 300 || true
