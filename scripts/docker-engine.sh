#!/usr/bin/env bash
# Install and start the Docker engine the 'docker' mode needs, as root; idempotent.
# dockerd runs with userns-remap: root in a lab container is an unprivileged uid on the host
# (README, "Who is root where"). A dockerd already running without it is reported, not changed.
set -euo pipefail
LOG=/var/log/mnss-dockerd.log

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)  # base image without a registry
if ((${#missing[@]})); then
  echo "docker-engine: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  echo "docker-engine: starting dockerd --userns-remap=default (log: $LOG)"
  setsid nohup dockerd --userns-remap=default >>"$LOG" 2>&1 < /dev/null &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
fi
if ! docker info --format '{{json .SecurityOptions}}' 2>/dev/null | grep -q userns; then
  echo "docker-engine: dockerd is not running with userns-remap (see $LOG); restart it with" \
       "--userns-remap=default, or set docker.require_userns_remap: false on a single-user machine" >&2
  exit 1
fi
