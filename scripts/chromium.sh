#!/usr/bin/env bash
# Debian's Chromium for the real-browser e2e test of the hosted connect page
# (test/e2e/connect-page.e2e-spec.ts drives it with puppeteer-core; no browser
# download). Idempotent: does nothing when /usr/bin/chromium is there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
echo "[chromium] installing Debian's chromium (apt)" >&2
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2
