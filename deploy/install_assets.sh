#!/usr/bin/env bash
# Install the browser assets (FullCalendar, axe-core) from npm into a cache folder outside the
# work tree, keyed by the hash of deploy/assets/package.json and package-lock.json, and copy the
# files the application serves into <dest>/static (a STATICFILES_DIRS entry, see
# config/settings.py). Nothing is committed, nothing comes from a CDN. A second run with the
# same files does nothing but print the paths.
#
# Output (stdout), two lines:
#   ASSETS=<folder whose static/ the application serves>
#   NODE_MODULES=<path of node_modules> (axe-core for the accessibility tests)
#
# A stable symlink <cache>/assets points at the current folder: settings read it by default.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/assets"
cache_root="${PORTE_VOIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/porte-voix}"
hash="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)"
dest="$cache_root/assets-$hash"
marker="$dest/.installed"

report() {
    ln -sfn "$dest" "$cache_root/assets"
    echo "ASSETS=$dest"
    echo "NODE_MODULES=$dest/node_modules"
}

if [[ -f "$marker" ]]; then
    report
    exit 0
fi

mkdir -p "$cache_root"
# Two installers at once (two test runs) would trample each other: serialise them.
exec 9>"$cache_root/assets-$hash.lock"
if ! flock -w 600 9; then
    echo "install_assets: timed out waiting for another install of $dest" >&2
    exit 1
fi
if [[ -f "$marker" ]]; then
    report
    exit 0
fi

log() { echo "install_assets: $*" >&2; }
rm -rf "$dest"
mkdir -p "$dest"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
log "npm ci into $dest"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error 1>&2

# What the pages load: FullCalendar's browser bundle (every plugin we use) and its locales.
vendor="$dest/static/vendor"
mkdir -p "$vendor/fullcalendar"
cp node_modules/fullcalendar/index.global.min.js "$vendor/fullcalendar/"
cp node_modules/@fullcalendar/core/locales-all.global.min.js "$vendor/fullcalendar/"
for f in "$vendor/fullcalendar/index.global.min.js" "$vendor/fullcalendar/locales-all.global.min.js" \
    node_modules/axe-core/axe.min.js; do
    [[ -s "$f" ]] || { log "missing after install: $f"; exit 1; }
done
touch "$marker"
report
