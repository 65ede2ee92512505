#!/bin/sh
# PID 1 of the test target: wait until the host has handed this container its own systemd cgroup
# (dockerd with userns-remap on cgroup v1 leaves it owned by the host's root), then become systemd.
i=0
until [ -w /sys/fs/cgroup/systemd ]; do
  i=$((i + 1)); [ "$i" -gt 600 ] && { echo "start-target: /sys/fs/cgroup/systemd never became writable" >&2; exit 1; }
  sleep 0.1
done
exec /sbin/init
