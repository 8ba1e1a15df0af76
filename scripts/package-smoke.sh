#!/usr/bin/env bash
# Builds the .deb, installs it on this machine, runs the installed kizu-cli headless (version,
# help, a small project end to end) and removes the package again. Needs root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KIZU_BUILD_DIR:-build}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
(cd "$BUILD_DIR" && cpack -G DEB >/dev/null)
DEB=$(ls -t "$BUILD_DIR"/kizu_*_amd64.deb | head -n 1)
echo "package-smoke: installing $DEB"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq "./$DEB" >/dev/null
cleanup() { $SUDO apt-get remove -y -qq kizu >/dev/null || true; }
trap cleanup EXIT

work=$(mktemp -d)
/usr/bin/kizu-cli --version
/usr/bin/kizu-cli --help >/dev/null
man -w kizu-cli >/dev/null
test -f /usr/share/applications/kizu.desktop
test -f /usr/share/icons/hicolor/256x256/apps/kizu.png
/usr/bin/kizu-cli project init "$work/p" >/dev/null
mkdir -p "$work/src/ok" "$work/src/ng"
cp resources/icons/kizu.svg "$work/src/ok/not-an-image.png"   # must be skipped, not crash
/usr/bin/kizu-cli -p "$work/p" import --quiet "$work/src" || [ $? -eq 1 ]
/usr/bin/kizu-cli -p "$work/p" stats --json
if [ -x scripts/package-smoke-learn.sh ]; then scripts/package-smoke-learn.sh "$work"; fi
rm -rf "$work"
echo "package-smoke: passed"
