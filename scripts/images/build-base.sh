#!/usr/bin/env bash
# Builds the two local base images the Dockerfiles take as BUILD_IMAGE / RUNTIME_IMAGE when
# they are built here (scripts/images/build.sh), from Debian packages only:
#   node24-build    Debian bookworm "essential" (dash, coreutils, no apt) + Node 24 in /usr/local
#                   + npm: what node:24-bookworm-slim offers a build stage; plus libjemalloc2,
#                   which agent/Dockerfile copies into the runtime (no apt there, nor in CI).
#   nodejs24-runtime  distroless-style: libc6, libstdc++6, libgcc-s1, the CA bundle, base-files,
#                   users root/nonroot(65532), /nodejs/bin/node; no shell, no package manager.
# Node 24 is the binary of the `node` npm package that package-lock.json pins (Debian bookworm
# ships Node 18), stripped of debug symbols; npm is the npm registry's `npm` package.
# Cached: each image carries a label with a hash of its inputs (these scripts, the Node binary,
# the npm version, the Debian suite and mirror, and the ISO week, so Debian security updates are
# picked up weekly); an image whose label matches is kept. HVA_BASE_REBUILD=1 forces a rebuild.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ensure_debian_tools
node_bin="$(node24)"
"$node_bin" -e 'process.exit(+process.versions.node.split(".")[0] === 24 ? 0 : 1)' || img_fail "need Node 24 in node_modules/node"
mkdir -p "$HVA_IMAGES_CACHE"

week="$(date -u +%G-W%V)"
node_sum="$(sha256sum "$node_bin" | cut -c1-64)"
inputs_sum="$(cat "$images_dir/build-base.sh" "$images_dir/runtime-rootfs-hook.sh" "$images_dir/common.sh" | sha256sum | cut -c1-64)"
key_of() { printf '%s\n' "$1" "$inputs_sum" "$node_sum" "$NPM_VERSION" "$DEBIAN_SUITE" "$DEBIAN_MIRROR" "$week" | sha256sum | cut -c1-32; }

sources=("deb $DEBIAN_MIRROR $DEBIAN_SUITE main" "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main"
  "deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main")
# No documentation, manual pages or translations in either image; copyright files stay (licences
# of what agent/Dockerfile copies out, e.g. libjemalloc2).
nodocs=(--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*' --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-include=/usr/share/doc/*/copyright')

work=""
ctr=""
cleanup() {
  [[ -z "$ctr" ]] || buildah rm "$ctr" >/dev/null 2>&1 || true
  [[ -z "$work" ]] || rm -rf "$work"
}
trap cleanup EXIT

# The Node binary without debug sections (129 MB -> 112 MB); .dynsym stays for native addons.
stripped_node() {
  local out="$HVA_IMAGES_CACHE/node-$node_sum"
  if [[ ! -x "$out" ]]; then
    strip -o "$out.tmp" "$node_bin"
    "$out.tmp" -e 'process.exit(0)' || img_fail "stripped node does not run"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

npm_tarball() {
  local out="$HVA_IMAGES_CACHE/npm-$NPM_VERSION.tgz"
  if [[ ! -s "$out" ]]; then
    (cd "$HVA_IMAGES_CACHE" && npm pack "npm@$NPM_VERSION" --silent >/dev/null) || img_fail "npm pack npm@$NPM_VERSION failed"
    [[ -s "$out" ]] || img_fail "npm pack did not write $out"
  fi
  echo "$out"
}

# Commits a root filesystem directory as a one-layer image; the rest of the arguments go to
# `buildah config`.
commit_rootfs() {
  local rootfs="$1" name="$2" key="$3"
  shift 3
  # mmdebstrap copies these from the host; a container runtime provides its own.
  rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  ctr="$(buildah from --quiet scratch)"
  local mnt
  mnt="$(buildah mount "$ctr")"
  cp -a "$rootfs/." "$mnt/"
  buildah umount "$ctr" >/dev/null
  buildah config --os linux --arch amd64 --label "hva.base.key=$key" \
    --label "org.opencontainers.image.source=https://github.com/hebrew-voice-agent/hebrew-voice-agent" \
    --label "org.opencontainers.image.base.name=debian:$DEBIAN_SUITE" "$@" "$ctr"
  buildah commit --quiet --rm "$ctr" "$name" >/dev/null
  ctr=""
}

build_runtime() {
  local key="$1" rootfs="$work/runtime"
  mmdebstrap --quiet --variant=extract --mode=root --format=directory \
    --include=base-files,libc6,libgcc-s1,libstdc++6,ca-certificates \
    --extract-hook="bash '$images_dir/runtime-rootfs-hook.sh' \"\$1\"" \
    "$DEBIAN_SUITE" "$rootfs" "${sources[@]}" </dev/null
  rm -rf "$rootfs"/var/cache/apt "$rootfs"/var/lib/apt "$rootfs"/var/log/apt "$rootfs"/etc/apt "$rootfs"/dev/*
  install -D -m 0755 "$(stripped_node)" "$rootfs/nodejs/bin/node"
  # Proves the loader, libraries and CA bundle are complete before anything is built on them.
  chroot --userspec=65532:65532 "$rootfs" /nodejs/bin/node -e '
    const tls = require("node:tls"), fs = require("node:fs");
    if (!fs.readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8").includes("BEGIN CERTIFICATE")) process.exit(3);
    if (!tls.rootCertificates.length) process.exit(4);' || img_fail "Node does not run in the runtime rootfs"
  commit_rootfs "$rootfs" "$BASE_RUNTIME_IMAGE" "$key" \
    --env PATH=/usr/local/bin:/usr/bin:/bin:/nodejs/bin --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --user 65532:65532 --workingdir /home/nonroot --entrypoint '["/nodejs/bin/node"]' \
    --label "org.opencontainers.image.description=Node 24 runtime on Debian $DEBIAN_SUITE libraries (no shell)"
}

build_build() {
  local key="$1" rootfs="$work/build"
  mmdebstrap --quiet --variant=essential --include=libstdc++6,libjemalloc2 --mode=root --format=directory "${nodocs[@]}" \
    "$DEBIAN_SUITE" "$rootfs" "${sources[@]}" </dev/null
  install -D -m 0755 "$(stripped_node)" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$(npm_tarball)" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" /usr/local/bin/npm --version >/dev/null || img_fail "npm does not run in the build rootfs"
  commit_rootfs "$rootfs" "$BASE_BUILD_IMAGE" "$key" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --workingdir / \
    --cmd '["node"]' \
    --label "org.opencontainers.image.description=Node 24 + npm $NPM_VERSION on Debian $DEBIAN_SUITE (build stage)"
}

for kind in runtime build; do
  if [[ "$kind" == runtime ]]; then name="$BASE_RUNTIME_IMAGE"; else name="$BASE_BUILD_IMAGE"; fi
  key="$(key_of "$kind")"
  if [[ "${HVA_BASE_REBUILD:-}" != 1 && "$(image_label "$name" hva.base.key)" == "$key" ]]; then
    img_log "base $name: cached ($(image_size "$name"))"
    continue
  fi
  t0=$(date +%s)
  old_id="$(buildah inspect --type image --format '{{.FromImageID}}' "$name" 2>/dev/null || true)"
  work="$(mktemp -d "${TMPDIR:-/tmp}/hva-base.XXXXXX")"
  "build_$kind" "$key"
  rm -rf "$work"
  work=""
  # The replaced image, unless something still uses it (then it goes with its users).
  [[ -z "$old_id" ]] || buildah rmi "$old_id" >/dev/null 2>&1 || true
  img_log "base $name: built in $(($(date +%s) - t0)) s ($(image_size "$name"))"
done
