#!/usr/bin/env bash
# Builds the AppImage's AppDir from this build and checks that it runs on its own: with the
# system's Qt libraries, plugins and QML modules hidden (a private mount namespace), the CLI
# validates a profile and the GUI starts offscreen and loads its QML without errors.
#   tests/packaging/test_appdir.sh BUILD_DIR WORK_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="$1"
WORK="$2"
rm -rf "$WORK"
mkdir -p "$(dirname "$WORK")"
"$ROOT/packaging/appimage/build-appimage.sh" "$BUILD" "$WORK" > "$WORK.log" 2>&1 || { cat "$WORK.log"; exit 1; }
APPDIR="$WORK/AppDir"
test -x "$APPDIR/AppRun" && test -f "$APPDIR/hopscope.desktop" && test -s "$WORK/hopscope.squashfs"
# Every ELF finds its libraries inside the AppDir first. (ldd's output is kept, not piped into
# `grep -q`: grep quits at the first match, ldd then dies of SIGPIPE and pipefail fails the test.)
LDD="$(ldd "$APPDIR/usr/bin/hopscope")"
if grep "not found" <<<"$LDD"; then exit 1; fi
grep -qF "libQt6Core.so.6 => $APPDIR/usr/bin/../lib/" <<<"$LDD" \
  || { echo "Qt is not taken from the AppDir"; grep Qt6Core <<<"$LDD"; exit 1; }

PROFILE="$ROOT/tests/data/profiles/valid/demo-like.hopscope.json"
unshare -m bash -s "$APPDIR" "$PROFILE" <<'INNER'
set -euo pipefail
APPDIR="$1"; PROFILE="$2"
QTDIR=/usr/lib/x86_64-linux-gnu
[ -d "$QTDIR/qt6" ] && mount -t tmpfs none "$QTDIR/qt6"
for f in "$QTDIR"/libQt6*.so.6; do mount --bind /dev/null "$f"; done
"$APPDIR/usr/bin/hopscope-cli" profile check "$PROFILE"
QT_QPA_PLATFORM=offscreen "$APPDIR/AppRun" --version
# The GUI keeps running on success; 4 s without a QML error means it loaded.
set +e
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$(mktemp -d)" timeout 4 "$APPDIR/AppRun" "$PROFILE" > /tmp/appdir-gui.$$ 2>&1
rc=$?
set -e
if grep -Ei "qml.*error|module .* is not installed|failed to load|cannot load library" /tmp/appdir-gui.$$; then exit 1; fi
[ "$rc" = 124 ] || { echo "GUI exited with $rc"; cat /tmp/appdir-gui.$$; exit 1; }
INNER
echo "1 passed, 0 failed"
