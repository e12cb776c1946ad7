#!/usr/bin/env bash
# Installs the Debian packages the observability tests drive for real (prometheus, chromium), skipping any already
# there. Needs root and Debian's apt. Services are never left running: the tests start Prometheus on 127.0.0.1 with
# their own configuration, so the package's own daemon (which would listen on 0.0.0.0:9090) must not start.
#
#   scripts/install-tools.sh prometheus chromium
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 prometheus|chromium ..." >&2
  exit 2
fi

# The tests may ask for two tools at once; apt refuses a second concurrent run, so callers queue here.
exec 9>/tmp/gradguard-install-tools.lock
flock --timeout 900 9 || { echo "another install held /tmp/gradguard-install-tools.lock for 15 minutes" >&2; exit 1; }

missing=()
for tool in "$@"; do
  case "$tool" in
    prometheus) command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus) ;;
    chromium) command -v chromium >/dev/null || missing+=(chromium) ;;
    *) echo "unknown tool '$tool'; this script installs prometheus and chromium" >&2; exit 2 ;;
  esac
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "installing ${missing[*]} needs root (apt-get); run: sudo $0 ${missing[*]}" >&2
  exit 1
fi

# policy-rc.d answering 101 tells the packages' maintainer scripts not to start their services.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  own_policy=true
fi
remove_own_policy() { if [ "$own_policy" = true ]; then rm -f "$policy"; fi; }
trap remove_own_policy EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Without recommends: prometheus would otherwise bring prometheus-node-exporter, another daemon on 0.0.0.0.
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Where a service manager started the packaged daemon anyway, stop and disable it.
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now prometheus || true
  elif [ -x /etc/init.d/prometheus ]; then
    /etc/init.d/prometheus stop || true
  fi
fi
