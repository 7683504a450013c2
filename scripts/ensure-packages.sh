#!/usr/bin/env bash
# Installs the machine packages the console and its tests need, only when missing:
#   postgres  - PostgreSQL server binaries (initdb, pg_ctl) for the embedded cluster
#   chromium  - Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser)
#   npm       - npm and Node.js: `model install-default` fetches the default image model's package with `npm pack`,
#               and the tests run nsfwjs itself to compare with the console
set -euo pipefail

want=("$@")
missing=()
for what in "${want[@]}"; do
  case "$what" in
    postgres)
      if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
        missing+=(postgresql postgresql-contrib)
      fi ;;
    chromium)
      command -v chromium >/dev/null 2>&1 || missing+=(chromium) ;;
    npm)
      command -v npm >/dev/null 2>&1 || missing+=(npm) ;;
    *) echo "ensure-packages: unknown package group '$what'" >&2; exit 2 ;;
  esac
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} with apt-get..." >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
