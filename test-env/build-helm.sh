#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy (helm.sh/helm/v3 has no replace directives, so
# `go install module@version` works) and caches it outside the repo.
# Usage: build-helm.sh <version, e.g. v3.22.0> <outDir>; idempotent (exits when <outDir>/helm exists).
set -euo pipefail
version="${1:?usage: build-helm.sh <version> <outDir>}"
out="${2:?usage: build-helm.sh <version> <outDir>}"
source "$(dirname "$0")/go-env.sh"
hva_skip_if_built "$out/helm"
mkdir -p "$out"

# helm's Makefile stamps the Kubernetes version it was built against (the default for
# .Capabilities.KubeVersion and kubeVersion checks in `helm template`/`lint`); without it helm
# claims v1.20. Take it from the client-go requirement in helm's own go.mod.
modfile="$(cd /tmp && go mod download -json "helm.sh/helm/v3@${version}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
k8s_minor="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$modfile" | head -n1)"
[[ -n "$k8s_minor" ]] || { echo "build-helm.sh: cannot find k8s.io/client-go in $modfile" >&2; exit 1; }
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${version}"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=${k8s_minor}"
done

tmp="$(mktemp -d "$out/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# GOBIN into a temp dir, then an atomic rename: a half-written binary is never cached.
GOBIN="$tmp" nice -n 10 go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@${version}"
mv "$tmp/helm" "$out/helm"
"$out/helm" version --short
