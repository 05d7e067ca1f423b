#!/usr/bin/env bash
# Builds one Kubernetes component (kube-apiserver, kube-controller-manager, kube-scheduler) from
# the Go module proxy (no git clone) for the integration tests.
# Usage: build-kubernetes.sh <version, e.g. v1.34.4> <outDir> [component, default kube-apiserver]
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces the k8s.io/* staging modules
# with local paths. We generate a wrapper module that requires k8s.io/kubernetes at <version>
# and replaces each staging module listed in that release's own go.mod with its v0.Y.Z
# release, then build the release's own cmd/<component> main file inside it.
# Idempotent: exits at once when <outDir>/<component> exists. Go caches live under
# ${HVA_TOOLS_CACHE:-~/.cache/hva-tools}/go so CI can keep them between runs.
set -euo pipefail

version="${1:?usage: build-kubernetes.sh <version> <outDir>}"
out_dir="${2:?usage: build-kubernetes.sh <version> <outDir>}"
component="${3:-kube-apiserver}"
case "$component" in
  kube-apiserver) main_file=apiserver.go ;;
  kube-controller-manager) main_file=controller-manager.go ;;
  kube-scheduler) main_file=scheduler.go ;;
  *) echo "[build-kubernetes] unknown component $component" >&2; exit 2 ;;
esac
binary="$out_dir/$component"
source "$(dirname "$0")/go-env.sh"
hva_skip_if_built "$binary"


staging_version="v0.${version#v1.}" # v1.34.4 -> v0.34.4
work="$hva_go_cache/wrappers/$component-$version"
mkdir -p "$work" "$out_dir"
cd "$work"

echo "[build-kubernetes] resolving k8s.io/kubernetes@$version from $(go env GOPROXY)"
mod_dir="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[[ -d "$mod_dir" ]] || { echo "[build-kubernetes] could not download k8s.io/kubernetes@$version" >&2; exit 1; }

go_directive="$(grep -m1 -E '^go [0-9]' "$mod_dir/go.mod")"
godebug="$(grep -m1 -E '^godebug ' "$mod_dir/go.mod" || true)"
replaces="$(grep -E '^[[:space:]]*k8s\.io/[A-Za-z0-9._-]+ => \./staging/src/k8s\.io/' "$mod_dir/go.mod" \
  | awk -v v="$staging_version" '{ print "\t" $1 " => " $1 " " v }')"
[[ -n "$replaces" ]] || { echo "[build-kubernetes] no staging replaces found in $mod_dir/go.mod" >&2; exit 1; }

cat > go.mod <<GOMOD
module hva.local/$component-wrapper

$go_directive

$godebug

require k8s.io/kubernetes $version

replace (
$replaces
)
GOMOD
# The release's own main package, unchanged (only imports k8s.io/* packages).
cp "$mod_dir/cmd/$component/$main_file" main.go
chmod u+w main.go go.mod

echo "[build-kubernetes] go mod tidy (downloads the dependency graph)"
go mod tidy
minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
echo "[build-kubernetes] go build $component $version (several minutes on 2 cores)"
go build -trimpath -ldflags "$ldflags" -o "$binary.tmp" .
mv "$binary.tmp" "$binary"
"$binary" --version
