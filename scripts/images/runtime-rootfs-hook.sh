#!/usr/bin/env bash
# mmdebstrap --extract-hook for the runtime base (scripts/images/build-base.sh): turns the
# extracted Debian packages into a distroless-style root filesystem. Runs on the host with the
# target directory as $1, while the downloaded .debs are still in its apt cache.
#   - keeps the packages the Node binary links against (libc6, libstdc++6, libgcc-s1), the CA
#     bundle (ca-certificates' data) and base-files (/etc/os-release for scanners);
#   - removes every file of the packages apt pulled in only for maintainer scripts (openssl,
#     debconf, mawk, ...), which never run in an image without a shell;
#   - writes a dpkg status file listing exactly the kept packages, so image scanners see them;
#   - adds users root / nonroot (65532) / nobody, nsswitch.conf, /tmp, and no shell at all.
set -euo pipefail
root="${1:?usage: $0 <rootfs>}"
keep=" base-files libc6 libgcc-s1 libstdc++6 gcc-12-base ca-certificates "
archives="$root/var/cache/apt/archives"
compgen -G "$archives/*.deb" >/dev/null || { echo "runtime-rootfs-hook: no .deb in $archives" >&2; exit 1; }

status="$root/var/lib/dpkg/status"
mkdir -p "$(dirname "$status")"
: >"$status"
for deb in "$archives"/*.deb; do
  pkg="$(dpkg-deb -f "$deb" Package)"
  if [[ "$keep" == *" $pkg "* ]]; then
    # Package first, then Status, then the rest of the control fields, as dpkg writes them.
    dpkg-deb -f "$deb" | awk '/^Package:/ { print; print "Status: install ok installed"; next } { print }' >>"$status"
    echo >>"$status"
  else
    dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sed 's#^\./##' | while IFS= read -r path; do
      rm -f -- "${root:?}/$path"
    done
  fi
done
for pkg in $keep; do
  grep -qx "Package: $pkg" "$status" || { echo "runtime-rootfs-hook: package $pkg was not downloaded" >&2; exit 1; }
done

# Documentation, translations, iconv modules (Node carries its own ICU) and the CA updater
# (a shell script): nothing at run time reads them.
rm -rf "${root:?}"/usr/share/{doc,man,info,locale,lintian,gdb,gcc,bug} \
  "$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/usr/sbin/update-ca-certificates \
  "$root"/var/lib/dpkg/info "$root"/etc/ld.so.conf.d
# -xdev: mmdebstrap has the host's /proc and /sys mounted in the target while hooks run.
find "$root" -xdev -depth -mindepth 1 -type d -empty ! -path "$root/dev*" ! -path "$root/proc" \
  ! -path "$root/sys" ! -path "$root/var/cache/apt*" ! -path "$root/var/lib/apt*" -delete

# The bundle update-ca-certificates would write (PEM, concatenated in sorted order).
mkdir -p "$root/etc/ssl/certs"
find "$root/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | while IFS= read -r crt; do
  cat "$crt"
  [[ -z "$(tail -c1 "$crt")" ]] || echo
done >"$root/etc/ssl/certs/ca-certificates.crt"
[[ -s "$root/etc/ssl/certs/ca-certificates.crt" ]] || { echo "runtime-rootfs-hook: empty CA bundle" >&2; exit 1; }

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
nonroot:x:65532:
EOF
# Without this file glibc asks DNS before /etc/hosts, so "localhost" could leave the pod.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
install -d -m 0700 "$root/root"
install -d -m 0700 -o 65532 -g 65532 "$root/home/nonroot"
install -d -m 1777 "$root/tmp"
