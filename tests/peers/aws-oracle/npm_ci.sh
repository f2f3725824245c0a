#!/usr/bin/env bash
# Installs the AWS SDK v3 oracle (package-lock.json, exact versions) into DEST, never into the
# source tree: npm ci with its cache under DEST/.npm-cache. Skips the install when DEST's
# node_modules was made from the same lock file. Run by the CTest fixture aws_oracle_npm_ci.
#   npm_ci.sh DEST
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
dest="${1:?usage: npm_ci.sh DEST}"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "aws-oracle: '$tool' not found; install the Debian packages nodejs and npm (scripts/bootstrap does)" >&2
    exit 1
  fi
done

# The pinned SDK (package-lock.json) declares engines node >=20. Debian 12's own nodejs is 18.x;
# the test machines run NodeSource's nodejs 20 (Debian-packaged, in place of Debian's).
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "aws-oracle: node $(node --version) is too old: the pinned AWS SDK v3 (package-lock.json) needs node >= 20" \
       "(Debian 12 ships 18.x; install nodejs 20, e.g. NodeSource's package, which also provides npm)" >&2
  exit 1
fi

mkdir -p "$dest"
lock_sum="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
stamp="$dest/node_modules/.hopscope-lock-sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_sum" ]; then
  echo "aws-oracle: $dest/node_modules is up to date (lock $lock_sum)"
  exit 0
fi

cp "$src/package.json" "$src/package-lock.json" "$dest/"
start=$(date +%s)
if ! (cd "$dest" && timeout 600 npm ci --no-audit --no-fund --prefer-offline --cache "$dest/.npm-cache" \
      --fetch-timeout=60000 --fetch-retries=2 --loglevel=warn); then
  echo "aws-oracle: npm ci failed in $dest. Is the npm registry reachable from here?" \
       "(registry: $(npm config get registry 2>/dev/null || echo unknown)); the SDK oracle tests cannot run without it" >&2
  exit 1
fi
echo "$lock_sum" >"$stamp"
echo "aws-oracle: npm ci done in $(( $(date +%s) - start )) s into $dest ($(du -sh "$dest/node_modules" | cut -f1))"
