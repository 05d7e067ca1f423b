#!/usr/bin/env bash
# Builds the agent and operator images with buildah (no Docker engine needed) on the local
# Debian-built bases (scripts/images/build-base.sh), as CI does:
#   bash scripts/images/build.sh [agent|operator|all]
# `--layers` keeps each Dockerfile step as a cached layer in buildah's store and the npm cache is
# a build cache mount, so a rebuild with an unchanged package-lock.json reuses both npm ci steps.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
which="${1:-all}"
case "$which" in agent | operator | all) ;; *) img_fail "usage: $0 [agent|operator|all]" ;; esac

ensure_debian_tools
bash "$images_dir/build-base.sh"

version="$("$(node24)" -p 'require(process.argv[1]).version' "$repo/package.json")"
revision="$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)"
# The host's extra CA bundle (a TLS-intercepting proxy before the npm registry, as on the CI
# machines) reaches the npm ci steps as a build secret, never as a layer.
secret=()
ca="${HVA_BUILD_CA:-${NODE_EXTRA_CA_CERTS:-}}"
[[ -z "$ca" || ! -s "$ca" ]] || secret=(--secret "id=build_ca,src=$ca")
for ws in agent operator; do
  [[ "$which" == all || "$which" == "$ws" ]] || continue
  if [[ "$ws" == agent ]]; then name="$AGENT_IMAGE"; else name="$OPERATOR_IMAGE"; fi
  t0=$(date +%s)
  img_log "buildah bud $ws/Dockerfile -> $name (load $(cut -d' ' -f1-3 /proc/loadavg))"
  buildah bud --isolation chroot --layers --pull-never --quiet "${secret[@]}" \
    --build-arg "BUILD_IMAGE=$BASE_BUILD_IMAGE" --build-arg "RUNTIME_IMAGE=$BASE_RUNTIME_IMAGE" \
    --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
    -f "$repo/$ws/Dockerfile" -t "$name" "$repo" >/dev/null
  img_log "$name: built in $(($(date +%s) - t0)) s, $(image_size "$name")"
done

# Superseded builds and stale layer caches leave unnamed images behind (a new package-lock.json
# adds about 1 GB). Drop those older than a week, the bases' own refresh period: the current
# layer cache is newer, so warm rebuilds keep it; an image still in use is left alone.
now=$(date +%s)
buildah images --json | "$(node24)" -e '
  let s = "";
  process.stdin.on("data", (d) => (s += d)).on("end", () => {
    for (const i of JSON.parse(s)) if (!(i.names ?? []).length && +process.argv[1] - i.created > 7 * 86400) console.log(i.id);
  });' "$now" | while IFS= read -r id; do buildah rmi "$id" >/dev/null 2>&1 || true; done
