#!/usr/bin/env bash
# Builds a self-contained AppDir for hopscope and packs it as an AppImage.
#   packaging/appimage/build-appimage.sh [BUILD_DIR] [OUT_DIR]
# What works on Debian 12 (docs/QT64.md): Debian ships neither appimagetool nor linuxdeploy nor the
# AppImage runtime, so this script assembles the AppDir itself — binaries, the Qt and c-ares/ldns
# libraries they need, Qt plugins, the QML modules qmlimportscanner finds, qt.conf, AppRun,
# .desktop and icon — sets $ORIGIN-relative RUNPATHs with patchelf on every ELF (RUNPATH is not
# transitive), and squashes it with mksquashfs. The final "runtime + squashfs" step needs the
# type-2 AppImage runtime: put it at $APPIMAGE_RUNTIME (a CI job with internet fetches it) and
# the script writes hopscope-x86_64.AppImage; without it the script stops after the squashfs
# image and says so.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build/dev}"
OUT="${2:-$ROOT/build/appimage}"
APPDIR="$OUT/AppDir"
QT_LIBDIR="$(qtpaths6 --query QT_INSTALL_LIBS 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)"
QT_PLUGINS="$(qtpaths6 --query QT_INSTALL_PLUGINS 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/qt6/plugins)"
QT_QML="$(qtpaths6 --query QT_INSTALL_QML 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/qt6/qml)"
SCANNER=/usr/lib/qt6/libexec/qmlimportscanner

for tool in patchelf mksquashfs; do
  command -v "$tool" >/dev/null || { echo "build-appimage: needs $tool (apt-get install patchelf squashfs-tools)" >&2; exit 1; }
done
[ -x "$BUILD/app/hopscope" ] || { echo "build-appimage: no $BUILD/app/hopscope; build first" >&2; exit 1; }

rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/bin" "$APPDIR/usr/lib" "$APPDIR/usr/plugins" "$APPDIR/usr/qml"
# hopscope-keychain: the helper that reads keychain: secrets (found next to the executables).
cp "$BUILD/app/hopscope" "$BUILD/app/hopscope-cli" "$BUILD/app/hopscope-keychain" "$APPDIR/usr/bin/"

# Qt plugins the app loads at run time.
for dir in platforms xcbglintegrations imageformats iconengines platforminputcontexts tls networkinformation; do
  [ -d "$QT_PLUGINS/$dir" ] && cp -r "$QT_PLUGINS/$dir" "$APPDIR/usr/plugins/"
done

# QML modules the views import.
"$SCANNER" -rootPath "$ROOT/resources/qml" -importPath "$QT_QML" \
  | python3 -c 'import json,sys; [print(m["path"]) for m in json.load(sys.stdin) if m.get("path")]' \
  | sort -u | while read -r path; do
      rel="${path#"$QT_QML"/}"
      mkdir -p "$APPDIR/usr/qml/$(dirname "$rel")"
      cp -r "$path" "$APPDIR/usr/qml/$rel"
    done

# Libraries: the closure of every ELF, minus what every Linux desktop has (glibc, GL, X11,
# fontconfig/freetype: bundling those breaks on other distributions). ldd already lists the
# transitive closure, so one ldd over every ELF is enough (a recursive ldd per library spawned
# thousands of processes and took minutes on a loaded 2-core machine).
EXCLUDE='^(libc|libm|libdl|librt|libpthread|ld-linux.*|libGL.*|libEGL|libOpenGL|libGLX|libGLdispatch|libX11.*|libxcb.*|libfontconfig|libfreetype|libdrm|libgbm|libwayland.*|libasound|libresolv|libutil)\.so'
find "$APPDIR/usr/bin" "$APPDIR/usr/plugins" "$APPDIR/usr/qml" -type f \( -name '*.so' -o -perm -u+x \) -print0 \
  | xargs -0 file -N -0 | awk -F'\0' '$2 ~ /ELF/ {print $1}' \
  | xargs -d '\n' ldd 2>/dev/null | awk '/=> \//{print $3}' | sort -u \
  | while read -r lib; do
      name="$(basename "$lib")"
      if ! echo "$name" | grep -Eq "$EXCLUDE" && [ ! -e "$APPDIR/usr/lib/$name" ]; then
        cp -L "$lib" "$APPDIR/usr/lib/$name"
      fi
    done

# RUNPATH relative to each ELF's own directory (one `file` over the tree, not one per file).
find "$APPDIR/usr" -type f -print0 | xargs -0 file -N -0 | awk -F'\0' '$2 ~ /ELF/ {print $1}' \
  | while IFS= read -r elf; do
      rel="$(realpath --relative-to="$(dirname "$elf")" "$APPDIR/usr/lib")"
      patchelf --set-rpath "\$ORIGIN/$rel" "$elf"
    done

cat > "$APPDIR/usr/bin/qt.conf" <<'CONF'
[Paths]
Prefix = ..
Plugins = plugins
Qml2Imports = qml
QmlImports = qml
CONF
cat > "$APPDIR/AppRun" <<'RUN'
#!/bin/sh
HERE="$(dirname "$(readlink -f "$0")")"
case "$(basename "${ARGV0:-$0}")" in
  hopscope-cli*) exec "$HERE/usr/bin/hopscope-cli" "$@" ;;
esac
exec "$HERE/usr/bin/hopscope" "$@"
RUN
chmod +x "$APPDIR/AppRun"
cp "$ROOT/resources/desktop/hopscope.desktop" "$APPDIR/"
cp "$ROOT/resources/icons/hopscope.svg" "$APPDIR/hopscope.svg"

rm -f "$OUT/hopscope.squashfs"
mksquashfs "$APPDIR" "$OUT/hopscope.squashfs" -root-owned -noappend -comp zstd -quiet
if [ -n "${APPIMAGE_RUNTIME:-}" ] && [ -f "$APPIMAGE_RUNTIME" ]; then
  cat "$APPIMAGE_RUNTIME" "$OUT/hopscope.squashfs" > "$OUT/hopscope-x86_64.AppImage"
  chmod +x "$OUT/hopscope-x86_64.AppImage"
  echo "build-appimage: $OUT/hopscope-x86_64.AppImage"
else
  echo "build-appimage: AppDir and $OUT/hopscope.squashfs are ready; set APPIMAGE_RUNTIME to the"
  echo "build-appimage: type-2 runtime file to produce hopscope-x86_64.AppImage (not in Debian)."
fi
