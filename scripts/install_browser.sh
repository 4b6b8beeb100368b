#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/web), which Playwright drives through
# executable_path=/usr/bin/chromium. Playwright's own browser download is never used: it cannot
# reach its download host here, and the system package is what CI and developers share.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "install_browser.sh: /usr/bin/chromium is missing and this user cannot run apt-get;" \
       "the browser tests will skip (and fail in CI). Install the 'chromium' package as root." >&2
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
