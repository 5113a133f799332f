#!/usr/bin/env bash
# Install a Java 17 runtime (Debian package `openjdk-17-jre-headless`) when no `java` of
# version 17 or newer is on the machine; idempotent. Spark (the `spark` extra, issue 18,
# DECISIONS D29) runs on it; the demo does not need it.
set -euo pipefail
major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if command -v java >/dev/null && [ "$(major)" -ge 17 ] 2>/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends \
      openjdk-17-jre-headless; then
    break
  fi
  sleep $((attempt * 5))
done
command -v java >/dev/null
