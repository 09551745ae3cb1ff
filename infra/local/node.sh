#!/usr/bin/env bash
# Runs a command on Node.js >= 22.22 with the workspace's dependencies installed.
#
# A machine whose Node is older (Debian's Node 20, say) gets Node 24 from the npm
# registry's `node@24` package, which ships the linux-x64 binary, installed once into
# $SLUICE_CACHE/node24 (outside the checkout). A machine that already has a recent
# Node takes no detour. npm, nx, tests and apps started through here all see the
# same `node` first on PATH.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
mkdir -p "$cache"

node_is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 22 || (a === 22 && b >= 22) ? 0 : 1)' 2>/dev/null
}

if ! node_is_recent; then
  dir=$cache/node24
  bin=$dir/node_modules/node/bin
  if [ ! -x "$bin/node" ]; then
    echo "sluice: Node $(node --version 2>/dev/null || echo 'missing') is older than 22.22; installing Node 24 into $dir" >&2
    (
      flock 9
      [ -x "$bin/node" ] || npm install --prefix "$dir" --no-save --no-package-lock --loglevel=error node@24 >&2
    ) 9>"$cache/node24.lock"
  fi
  export PATH="$bin:$PATH"
fi

# Install (or re-install) dependencies when package-lock.json changed since the last install.
stamp=$root/node_modules/.sluice-lock
want=$(sha256sum "$root/package-lock.json" 2>/dev/null | cut -d' ' -f1 || echo none)
if [ "${SLUICE_SKIP_INSTALL:-}" != 1 ] && [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # One install at a time: `npm ci` empties node_modules first, which would pull the
  # ground from under a second command started meanwhile.
  (
    flock 9
    cd "$root"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      if [ -f package-lock.json ]; then npm ci --loglevel=error >&2; else npm install --loglevel=error >&2; fi
      sha256sum package-lock.json | cut -d' ' -f1 >"$stamp"
    fi
  ) 9>"$cache/npm-install.lock"
fi

# The native checksums module (the part-writer's resumable SHA-256, CRC64/NVME by carry-less
# multiplication) is built from its C sources whenever one is newer than it. Without it the
# apps run, but a part-writer crash loses the whole-file hashes in flight (build.ts says why).
native=$root/libs/checksums
for source in "$native"/native/*; do
  if ! [ "$native/build/checksums.node" -nt "$source" ]; then
    node "$native/native/build.ts" >&2 || true
    break
  fi
done

export PATH="$root/node_modules/.bin:$PATH"
# Workspace packages export their TypeScript sources under this condition; Node strips the types.
case " ${NODE_OPTIONS:-} " in
  *" --conditions=@sluice/source "*) ;;
  *) export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--conditions=@sluice/source" ;;
esac
export SLUICE_CACHE=$cache
export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false NX_SKIP_NX_CACHE_WARNING=true
export NX_CACHE_DIRECTORY=${NX_CACHE_DIRECTORY:-$cache/nx}
exec "$@"
