#!/usr/bin/env bash
# The browser tests drive Debian's chromium (never a downloaded one) and read Chinese text
# off the page, so they need chromium and a CJK font. Present: nothing to do. Missing and
# we are root with apt: install them. Otherwise: one line saying what to install.
set -euo pipefail

have_browser() { [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; }
have_cjk_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; }

if have_browser && have_cjk_font; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_browser: installing chromium and fonts-noto-cjk with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    # A failed fetch falls through to the one-line message below instead of apt's own.
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fontconfig >/dev/null || true
    have_browser && have_cjk_font && exit 0
fi
echo "ensure_browser: the browser tests need chromium and a CJK font: install the Debian packages chromium and fonts-noto-cjk (sudo apt-get install chromium fonts-noto-cjk)" >&2
exit 1
