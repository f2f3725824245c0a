#!/usr/bin/env bash
# Builds hopscope-VERSION.msi with wixl (apt-get install wixl msitools) from a Windows payload:
#   packaging/msi/build-msi.sh PAYLOAD_DIR [VERSION] [OUT_DIR]
# PAYLOAD_DIR is what a Windows CI job produces: hopscope.exe, hopscope-cli.exe, hopscope-keychain.exe
# (the keychain helper, found next to them) and the output of
# windeployqt --qmldir resources/qml. No Windows Qt exists in Debian, so the payload cannot be
# built here; wixl-heat turns the directory into the Payload component group, wixl links it.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PAYLOAD="${1:?usage: build-msi.sh PAYLOAD_DIR [VERSION] [OUT_DIR]}"
VERSION="${2:-0.1.0}"
OUT="${3:-$PWD}"
[ -f "$PAYLOAD/hopscope.exe" ] || { echo "build-msi: $PAYLOAD has no hopscope.exe" >&2; exit 1; }
command -v wixl >/dev/null || { echo "build-msi: needs wixl (apt-get install wixl)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PAYLOAD="$(cd "$PAYLOAD" && pwd)"
# (wixl-heat names the payload root "."; in the MSI Directory table "." means "the parent".)
find "$PAYLOAD" -type f | sort \
  | wixl-heat -p "$PAYLOAD/" --directory-ref INSTALLDIR --component-group Payload \
      --var var.PayloadDir --win64 > "$WORK/payload.wxs"
OUT="$(mkdir -p "$OUT" && cd "$OUT" && pwd)"
# wixl resolves File sources relative to its working directory only.
(cd "$PAYLOAD" && wixl -a x64 -D Version="$VERSION" -D PayloadDir=. -D Win64=yes \
  -o "$OUT/hopscope-$VERSION.msi" "$HERE/hopscope.wxs" "$WORK/payload.wxs")
echo "build-msi: $OUT/hopscope-$VERSION.msi"
