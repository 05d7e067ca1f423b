# Shared by scripts/images/*.sh (sourced): image names, cache folder, logging, Debian tools.
# shellcheck shell=bash

images_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$images_dir/../.." && pwd)"

# Local base images (scripts/images/build-base.sh) and the images built from them.
BASE_BUILD_IMAGE="${BASE_BUILD_IMAGE:-localhost/hva-base/node24-build:bookworm}"
BASE_RUNTIME_IMAGE="${BASE_RUNTIME_IMAGE:-localhost/hva-base/nodejs24-runtime:bookworm}"
AGENT_IMAGE="${AGENT_IMAGE:-localhost/hebrew-voice-agent:dev}"
OPERATOR_IMAGE="${OPERATOR_IMAGE:-localhost/hebrew-voice-agent-operator:dev}"
DEBIAN_SUITE="${DEBIAN_SUITE:-bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
# The npm release that Node 24.9 (the version package-lock.json pins) ships with.
NPM_VERSION="${NPM_VERSION:-11.6.0}"
HVA_IMAGES_CACHE="${HVA_IMAGES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hva-images}"

images_start="${images_start:-$(date +%s)}"
img_log() { printf '[images %4ss] %s\n' "$(($(date +%s) - images_start))" "$*"; }
img_fail() {
  echo "images: $*" >&2
  exit 1
}

# mmdebstrap and buildah from Debian, installed when missing (as .ci/run does for espeak-ng).
ensure_debian_tools() {
  local missing=()
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v buildah >/dev/null || missing+=(buildah)
  command -v strip >/dev/null || missing+=(binutils)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  img_log "installing ${missing[*]} from Debian"
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  # Other apt users on a shared machine hold the lock for a while: wait rather than fail.
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
}

# A label of a local image, or nothing when the image does not exist.
image_label() {
  buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$2\"}}" "$1" 2>/dev/null || true
}

# Size of a local image as buildah reports it (uncompressed layers, e.g. "119 MB").
image_size() {
  buildah images --format '{{.Size}}' "$1" 2>/dev/null | head -n1
}

# The project's pinned Node 24 (the `node` npm package), used on the host side.
node24() {
  local bin="$repo/node_modules/node/bin/node"
  [[ -x "$bin" ]] || img_fail "Node 24 not found at $bin: run npm ci at the repository root first"
  echo "$bin"
}
