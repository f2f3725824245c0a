#!/usr/bin/env bash
# Builds the MSI from a stand-in payload (Debian has no Windows Qt; the real payload comes from
# a Windows build) and checks the tables a Windows installer needs: files, shortcut, file
# association.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$1"
rm -rf "$WORK" && mkdir -p "$WORK/payload/platforms"
printf 'MZ' > "$WORK/payload/hopscope.exe"
printf 'MZ' > "$WORK/payload/hopscope-cli.exe"
printf 'MZ' > "$WORK/payload/platforms/qwindows.dll"
"$ROOT/packaging/msi/build-msi.sh" "$WORK/payload" 0.1.0 "$WORK" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; exit 1; }
MSI="$WORK/hopscope-0.1.0.msi"
files="$(msiinfo export "$MSI" File)"
for f in hopscope.exe hopscope-cli.exe qwindows.dll; do
  grep -qF "$f" <<<"$files" || { echo "MSI lacks $f"; exit 1; }
done
# Outputs are kept, not piped into `grep -q` (an early match kills the writer by SIGPIPE; pipefail).
shortcuts="$(msiinfo export "$MSI" Shortcut)"
registry="$(msiinfo export "$MSI" Registry)"
grep -qF "[INSTALLDIR]hopscope.exe" <<<"$shortcuts" || { echo "no Start menu shortcut"; exit 1; }
grep -qF "hopscope.profile" <<<"$registry" || { echo "no .hopscope.json association"; exit 1; }
echo "1 passed, 0 failed"
