#!/usr/bin/env bash
# Install headless Chromium (Debian package `chromium`) when it is missing; idempotent.
# Called by the tests that render report.html / claim pages, so `make test` on a bare
# machine needs nothing but the registries. Safe to run concurrently: apt holds its lock.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends chromium; then
    break
  fi
  sleep $((attempt * 5))   # another apt (a parallel test worker) may hold the lock
done
test -x /usr/bin/chromium
