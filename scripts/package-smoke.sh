#!/usr/bin/env bash
# Builds the .deb, installs it on this machine, runs the installed kizu-cli headless (version,
# help, a small project end to end), checks the station's systemd user unit with
# systemd-analyze and removes the package again. Needs root (or sudo).
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
# The station's systemd user unit is installed and valid: systemd-analyze fails on a fatal error
# and only warns (exit 0) on a bad setting, so any output fails too. A user manager's runtime
# folder of our own, as there is no login session here.
unit=/usr/lib/systemd/user/kizu-station.service
test -f "$unit"
runtime=$(mktemp -d)
verify=$(XDG_RUNTIME_DIR=$runtime systemd-analyze --user verify "$unit" 2>&1) || {
  echo "package-smoke: $unit is not valid: $verify" >&2; exit 1; }
[ -z "$verify" ] || { echo "package-smoke: $unit: $verify" >&2; exit 1; }
rm -rf "$runtime"
/usr/bin/kizu-cli project init "$work/p" >/dev/null
mkdir -p "$work/src/ok" "$work/src/ng"
cp resources/icons/kizu.svg "$work/src/ok/not-an-image.png"   # must be skipped, not crash
/usr/bin/kizu-cli -p "$work/p" import --quiet "$work/src" || [ $? -eq 1 ]
/usr/bin/kizu-cli -p "$work/p" stats --json
# The learning path from the installed files: render CG, train a few steps, evaluate.
/usr/bin/kizu-cli cg batch --count 16 --seed 3 --size 64 --out "$work/cg" --quiet
/usr/bin/kizu-cli train --data "$work/cg" --steps 3 --size 64 --batch 4 --out "$work/m.kizumodel" --quiet
/usr/bin/kizu-cli eval --model "$work/m.kizumodel" --data "$work/cg" --json | grep -q '"accuracy"'
# The shipped CG-pretrained weights of both networks are installed and found by --init cg.
test -f /usr/share/kizu/models/squeezenet1_1-cg128.kizumodel
test -f /usr/share/kizu/models/resnet18-cg128.kizumodel
/usr/bin/kizu-cli train --data "$work/cg" --model resnet18 --init cg --steps 1 --size 64 --batch 4 \
  --out "$work/r.kizumodel" > "$work/r.log" 2>&1
grep -q "from cg:/usr/share/kizu/models/resnet18-cg128.kizumodel" "$work/r.log"
/usr/bin/kizu-cli -p "$work/p" inspect --source "folder:$work/cg/ok" --model "$work/m.kizumodel" \
  --frames 4 --quiet | grep -q '"frames":4'
rm -rf "$work"
echo "package-smoke: passed"
