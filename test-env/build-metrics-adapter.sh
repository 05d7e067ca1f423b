#!/usr/bin/env bash
# Builds test-env/metrics-adapter (a custom.metrics.k8s.io server on
# sigs.k8s.io/custom-metrics-apiserver) in a wrapper module under the Go cache.
# Usage: build-metrics-adapter.sh <custom-metrics-apiserver version, e.g. v1.34.0> <outDir>
# Idempotent: exits when <outDir>/hva-metrics-adapter exists (tools.ts keys <outDir> by the
# library version and a hash of main.go, so an edited adapter is rebuilt).
set -euo pipefail
version="${1:?usage: build-metrics-adapter.sh <version> <outDir>}"
out="${2:?usage: build-metrics-adapter.sh <version> <outDir>}"
src="$(cd "$(dirname "$0")/metrics-adapter" && pwd)"
source "$(dirname "$0")/go-env.sh"
hva_skip_if_built "$out/hva-metrics-adapter"

work="$hva_go_cache/wrappers/metrics-adapter-$version"
mkdir -p "$work" "$out"
cd "$work"
rm -f go.mod go.sum
cp "$src/main.go" main.go
go mod init hva.local/metrics-adapter >/dev/null 2>&1
go get "sigs.k8s.io/custom-metrics-apiserver@$version"
go mod tidy
nice -n 10 go build -trimpath -ldflags "-s -w" -o "$out/hva-metrics-adapter.tmp" .
mv "$out/hva-metrics-adapter.tmp" "$out/hva-metrics-adapter"
echo "[build-metrics-adapter] built $out/hva-metrics-adapter"
