# Sourced by the test-env/build-*.sh scripts: one Go cache layout for every tool build, kept
# outside the repo under ${HVA_TOOLS_CACHE:-~/.cache/hva-tools}/go so builds share downloaded
# modules and compiled packages, and CI on the same machine reuses them.
# Usage: source go-env.sh <tool> <version> <outDir>; sets $binary_dir and exits 0 if $binary exists.
hva_go_cache="${HVA_TOOLS_CACHE:-$HOME/.cache/hva-tools}/go"
export GOPATH="$hva_go_cache/path"
export GOMODCACHE="$hva_go_cache/mod"
export GOCACHE="$hva_go_cache/build"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
mkdir -p "$GOPATH" "$GOMODCACHE" "$GOCACHE"

# hva_skip_if_built <path>: the build scripts are idempotent, keyed by version in the path.
hva_skip_if_built() {
  if [[ -x "$1" ]]; then
    echo "[test-env] $1 already built"
    exit 0
  fi
}
