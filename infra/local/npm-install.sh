#!/usr/bin/env bash
# Installs the workspace's dependencies (npm install, which updates package-lock.json after a
# package.json changed), one install at a time on this machine, and records the lockfile it
# installed so infra/local/node.sh does not install again. Run it through node.sh's Node:
#   bash infra/local/node.sh bash infra/local/npm-install.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice}
mkdir -p "$cache"
(
  flock 9
  cd "$root"
  npm install --loglevel=error >&2
  sha256sum package-lock.json | cut -d' ' -f1 >node_modules/.sluice-lock
) 9>"$cache/npm-install.lock"
