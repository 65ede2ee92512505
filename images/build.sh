#!/usr/bin/env bash
# Build the MNSS Lab images on a machine with a Docker engine.
#   images/build.sh                      base from a registry (BASE_IMAGE, default debian:bookworm-slim)
#   MNSS_DEBOOTSTRAP=1 images/build.sh   no registry: make the base with debootstrap first
# Extra CA certificates: *.crt in $MNSS_EXTRA_CA_DIR (default /usr/local/share/ca-certificates).
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${MNSS_IMAGE_TAG:-latest}
BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
CA_DIR=${MNSS_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}
PY=${PYTHON:-.venv/bin/python}

if [[ "${MNSS_DEBOOTSTRAP:-0}" == 1 ]]; then
  BASE_IMAGE=mnss-lab/base:bookworm
  if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase bookworm "$root/rootfs" >/dev/null
    tar -C "$root/rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
  fi
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/ca" "$context/dist"
find "$CA_DIR" -maxdepth 2 -name '*.crt' -exec cp {} "$context/ca/" \; 2>/dev/null || true
"$PY" -m pip wheel --quiet --no-deps . -w "$context/dist"
cp -r courses "$context/courses"
cp images/singleuser/Dockerfile images/singleuser/start-lab.sh "$context/"
docker build --quiet --build-arg BASE_IMAGE="$BASE_IMAGE" -t "mnss-lab/singleuser:$TAG" "$context"
# Earlier builds of this image, now untagged, are removed (nothing else is touched).
docker image prune -f --filter label=org.mnss-lab.image=singleuser >/dev/null
echo "built mnss-lab/singleuser:$TAG (base $BASE_IMAGE)"
