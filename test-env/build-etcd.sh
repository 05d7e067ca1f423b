#!/usr/bin/env bash
# Builds etcd from the Go module proxy (no git clone) for the integration tests.
# Usage: build-etcd.sh <version, e.g. v3.6.16> <outDir>
#
# etcd's root module (the `etcd` main) replaces its sibling modules with local paths, so it
# cannot be `go install`ed. A wrapper module requiring go.etcd.io/etcd/server/v3 at <version>
# (whose local replaces are ignored when it is a dependency) and calling etcdmain.Main builds
# the same server. Idempotent: exits at once when <outDir>/etcd exists. Go caches live under
# ${HVA_TOOLS_CACHE:-~/.cache/hva-tools}/go so CI can keep them between runs.
set -euo pipefail

version="${1:?usage: build-etcd.sh <version> <outDir>}"
out_dir="${2:?usage: build-etcd.sh <version> <outDir>}"
binary="$out_dir/etcd"
source "$(dirname "$0")/go-env.sh"
hva_skip_if_built "$binary"


work="$hva_go_cache/wrappers/etcd-$version"
mkdir -p "$work" "$out_dir"
cd "$work"

echo "[build-etcd] resolving go.etcd.io/etcd/server/v3@$version from $(go env GOPROXY)"
mod_dir="$(go mod download -json "go.etcd.io/etcd/server/v3@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$mod_dir" ]] || { echo "[build-etcd] could not download go.etcd.io/etcd/server/v3@$version" >&2; exit 1; }
go_directive="$(grep -m1 -E '^go [0-9]' "$mod_dir/go.mod")"

cat > go.mod <<GOMOD
module hva.local/etcd-wrapper

$go_directive

require go.etcd.io/etcd/server/v3 $version
GOMOD
cat > main.go <<'GO'
// Wrapper main: the same entry point as etcd's own main.go.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
GO

echo "[build-etcd] go mod tidy"
go mod tidy
echo "[build-etcd] go build etcd $version"
go build -trimpath -ldflags "-s -w" -o "$binary.tmp" .
mv "$binary.tmp" "$binary"
"$binary" --version
