#!/usr/bin/env bash
# Install the browser the real-browser tests (tests/browser) drive: Debian's Chromium.
#
# Idempotent: does nothing when /usr/bin/chromium is already there. Installs nothing else:
# the Python side (playwright, jupyterlab, pytest) comes from the project's `dev` extra.
# Never runs `playwright install`: Playwright's own browser download cannot work on this
# network; Playwright drives the Debian binary via executable_path="/usr/bin/chromium".
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    echo "chromium already installed: /usr/bin/chromium"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium

if [ ! -x /usr/bin/chromium ]; then
    echo "install_browser.sh: apt installed chromium but /usr/bin/chromium is missing" >&2
    exit 1
fi
echo "chromium installed: /usr/bin/chromium"
