#!/usr/bin/env bash
# Copy Swagger UI's browser files from node_modules (swagger-ui-dist, pinned in package.json) into the
# package, so /docs needs no network and `pip install` needs no Node. Run after `npm ci` whenever the
# pin changes, and commit the result; tests/api/test_docs.py checks the copy matches the pin.
set -euo pipefail
cd "$(dirname "$0")/.."
source=node_modules/swagger-ui-dist
target=src/sebrus/api/static/swagger
if [ ! -f "$source/package.json" ]; then
    echo "no $source: run npm ci first" >&2
    exit 1
fi
mkdir -p "$target"
for name in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE; do
    cp "$source/$name" "$target/$name"
done
node -p "require('./$source/package.json').version" > "$target/VERSION"
echo "copied swagger-ui-dist $(cat "$target/VERSION") to $target"
