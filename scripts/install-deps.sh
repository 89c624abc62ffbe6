#!/usr/bin/env bash
# Installs the Debian packages the integration tests start on loopback (idempotent).
# git provides `git daemon` and `git http-backend`; chromium is used by the UI tests; openssl makes the README
# walkthrough's certificate.
set -euo pipefail
need=()
command -v git >/dev/null || need+=(git)
[ -x "$(git --exec-path 2>/dev/null)/git-daemon" ] || need+=(git)
command -v chromium >/dev/null || need+=(chromium)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "missing packages: ${need[*]} (run as root to install)"; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
echo "dependencies ready"
