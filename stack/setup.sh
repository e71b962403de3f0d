#!/usr/bin/env bash
# Installs everything the local stack and the tests need, once; later runs only check.
#   - Debian packages: SIPp (sip-tester), espeak-ng, sox, chromium, lame, ffmpeg, pocketsphinx with its English model,
#     and the C libraries livekit-sip links against.
#   - livekit-server and livekit-sip, built from their Go modules at pinned versions into a per-user cache.
#   - wt-forwarder, built from this checkout's forwarder/ into the same cache (again whenever its sources change).
#   - npm dependencies (npm ci) when node_modules is missing or older than the lockfile.
# Binaries already on PATH win over the cache (set LIVEKIT_SERVER_BIN / LIVEKIT_SIP_BIN to choose others).
set -euo pipefail

LIVEKIT_SERVER_VERSION=v1.13.5
# livekit-sip v1.9.0 and later are not served by the Go module proxy this project can reach; v1.8.0 is.
LIVEKIT_SIP_VERSION=v1.8.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${WARM_TRANSFER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/warm-transfer}
bin="$cache/bin"
mkdir -p "$bin"

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# The Node versions package.json's engines names (test/unit/node-versions.test.ts keeps it true of every dependency).
command -v node >/dev/null || die "Node.js is needed: 20.19 or later in 20.x, or 22.12 and later (https://nodejs.org)"
node_version=$(node -p 'process.versions.node')
IFS=. read -r node_major node_minor _ <<<"$node_version"
if ! { [ "$node_major" -eq 20 ] && [ "$node_minor" -ge 19 ]; } && ! { [ "$node_major" -eq 22 ] && [ "$node_minor" -ge 12 ]; } && [ "$node_major" -lt 23 ]; then
  die "Node $node_version is not supported: use 20.19 or later in 20.x, or 22.12 and later"
fi

missing_debs=()
command -v sipp >/dev/null || missing_debs+=(sip-tester)
command -v espeak-ng >/dev/null || missing_debs+=(espeak-ng)
command -v sox >/dev/null || missing_debs+=(sox)
command -v redis-server >/dev/null || missing_debs+=(redis-server)
# The settings page is tested in Debian's headless Chromium; lame makes the MP3s the upload tests send.
command -v chromium >/dev/null || missing_debs+=(chromium)
command -v lame >/dev/null || missing_debs+=(lame)
# ffmpeg decodes hold music (uploads in the settings service, music files in the worker).
command -v ffmpeg >/dev/null || missing_debs+=(ffmpeg)
# PocketSphinx hears a spoken accept or reject offline (agent/conversation/speech/decision-recogniser.ts).
command -v pocketsphinx_continuous >/dev/null || missing_debs+=(pocketsphinx)
[ -f /usr/share/pocketsphinx/model/en-us/en-us/mdef ] || missing_debs+=(pocketsphinx-en-us)
need_sip_build=0
if [ -z "${LIVEKIT_SIP_BIN:-}" ] && ! command -v livekit-sip >/dev/null && [ ! -x "$bin/livekit-sip-$LIVEKIT_SIP_VERSION" ]; then
  need_sip_build=1
  command -v pkg-config >/dev/null || missing_debs+=(pkg-config)
  for lib in opus:libopus-dev opusfile:libopusfile-dev soxr:libsoxr-dev; do
    if ! command -v pkg-config >/dev/null || ! pkg-config --exists "${lib%%:*}"; then missing_debs+=("${lib#*:}"); fi
  done
fi
if [ ${#missing_debs[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing ${missing_debs[*]}; install these Debian/Ubuntu packages (or their equivalents) and run again"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "installing Debian packages: ${missing_debs[*]}"
  $sudo apt-get update -qq >&2 || die "apt-get update failed; install ${missing_debs[*]} by hand"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing_debs[@]}" >&2 \
    || die "apt-get could not install ${missing_debs[*]}; install them by hand"
fi

command -v go >/dev/null || [ -n "${LIVEKIT_SERVER_BIN:-}${LIVEKIT_SIP_BIN:-}" ] || command -v livekit-server >/dev/null \
  || die "Go is needed to build livekit-server and livekit-sip (https://go.dev/dl), or put both binaries on PATH"

# go_build NAME MODULE_PACKAGE VERSION CGO
go_build() {
  local name=$1 pkg=$2 version=$3 cgo=$4 out="$bin/$1-$3"
  [ -x "$out" ] && return 0
  command -v go >/dev/null || die "$name is missing and Go is not installed to build it"
  local tmp; tmp=$(mktemp -d)
  say "building $name $version from $pkg (first time only; this takes a few minutes)"
  local started=$SECONDS
  # A throwaway module that requires the pinned version, instead of `go install pkg@version`: that form
  # also reads the module's version list, which the module proxy refuses for livekit-sip.
  ( cd "$tmp" && go mod init warm-transfer-build >/dev/null 2>&1 \
      && go get "$pkg@$version" \
      && CGO_ENABLED=$cgo GOFLAGS=-buildvcs=false go build -o "$out.partial" "$pkg" ) >&2 \
    || { rm -rf "$tmp" "$out.partial"; die "building $name failed (see the go output above)"; }
  mv "$out.partial" "$out"
  rm -rf "$tmp"
  say "built $name in $((SECONDS - started)) s -> $out"
}

if [ -z "${LIVEKIT_SERVER_BIN:-}" ] && ! command -v livekit-server >/dev/null; then
  go_build livekit-server github.com/livekit/livekit-server/cmd/server "$LIVEKIT_SERVER_VERSION" 0
fi
if [ "$need_sip_build" -eq 1 ]; then
  go_build livekit-sip github.com/livekit/sip/cmd/livekit-sip "$LIVEKIT_SIP_VERSION" 1
fi

# The forwarder (forwarder/, this project's own Go module): built into a file named by a hash of its sources
# (stack/forwarder-hash.sh), so a changed source builds again and an unchanged one is only checked.
# agent/livekit/forwarder-bin.ts finds the binary by the same rule; FORWARDER_BIN names another binary instead.
# Old builds are left in the cache: other checkouts (worktrees) may share it.
if [ -z "${FORWARDER_BIN:-}" ]; then
  forwarder_out="$bin/wt-forwarder-$(bash "$root/stack/forwarder-hash.sh")"
  if [ ! -x "$forwarder_out" ]; then
    command -v go >/dev/null || die "Go is needed to build the forwarder (forwarder/; https://go.dev/dl), or set FORWARDER_BIN"
    say "building wt-forwarder from forwarder/ (its sources changed, or first time)"
    started=$SECONDS
    tmp=$(mktemp -d "$bin/.wt-forwarder.XXXXXX")
    ( cd "$root/forwarder" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$tmp/wt-forwarder" . ) >&2 \
      || { rm -rf "$tmp"; die "building wt-forwarder failed (see the go output above)"; }
    mv "$tmp/wt-forwarder" "$forwarder_out"
    rm -rf "$tmp"
    say "built wt-forwarder in $((SECONDS - started)) s -> $forwarder_out"
  fi
fi

cd "$root"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >&2
fi
say "ready"
