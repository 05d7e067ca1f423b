#!/usr/bin/env bash
# Builds the PromQL evaluation test (test-env/promql: Prometheus' own engine, module
# github.com/prometheus/prometheus) into a cached test binary, like the other tools.
# Usage: build-promql.sh <outDir>; idempotent (exits when <outDir>/promql.test exists).
# First build: a few minutes on 2 cores (downloads and compiles the promql/tsdb packages);
# later runs reuse the shared Go build cache.
set -euo pipefail
out="${1:?usage: build-promql.sh <outDir>}"
source "$(dirname "$0")/go-env.sh"
hva_skip_if_built "$out/promql.test"
mkdir -p "$out"
tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$(dirname "$0")/promql"
nice -n 10 go test -c -trimpath -o "$tmp/promql.test" .
mv "$tmp/promql.test" "$out/promql.test"
