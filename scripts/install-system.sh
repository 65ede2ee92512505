#!/usr/bin/env bash
# Install the Debian/Ubuntu packages and the npm proxy MNSS Lab needs; idempotent, run as root.
#   scripts/install-system.sh          what `make run` needs
#   scripts/install-system.sh --test   plus what the test suite needs (Chromium)
set -euo pipefail

RUN_PACKAGES=(
  python3 python3-venv python3-dev build-essential
  mininet bridge-utils iputils-ping fping procps telnet net-tools iproute2 iptables iperf3 tcpdump traceroute curl
  fonts-wqy-microhei  # CJK font: certificates (PDF) print Chinese names and course titles
  slirp4netns  # the virtual-real tunnel: a lab gateway's outside, without root (mnss_kernel/runtime/tunnel.py)
  bubblewrap  # bwrap: the autograding box sees an allow-list of folders (hub/mnss_courses/box_view.py)
)
TEST_PACKAGES=(chromium postgresql poppler-utils openssh-client)  # PostgreSQL for store tests; pdftoppm checks certificates; ssh: the Ansible controller
CHP_VERSION=5.3.0

packages=("${RUN_PACKAGES[@]}")
# The platform needs Python >= 3.11 (Debian 12 has it; Ubuntu 22.04 ships python3.11 beside its 3.10).
if ! /usr/bin/python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  packages+=(python3.11 python3.11-venv python3.11-dev)
fi
# Node.js may come from elsewhere (e.g. NodeSource, with its own npm); only add Debian's when absent.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
[[ "${1:-}" == "--test" ]] && packages+=("${TEST_PACKAGES[@]}")

if [[ $(id -u) -ne 0 ]]; then
  echo "install-system: run as root (Mininet and the local mode need it)" >&2
  exit 1
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install-system: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The virtual-real tunnel's gateways need /dev/net/tun open to users (Debian's default, 0666) in
# labs without root and in learners' containers; some container runtimes leave it 0600.
if [[ -c /dev/net/tun && "$(stat -c %a /dev/net/tun)" != 666 ]]; then
  echo "install-system: /dev/net/tun to Debian's default mode 0666 (the tunnel's gateways without root need it)"
  chmod 0666 /dev/net/tun
fi

if [[ "$(configurable-http-proxy --version 2>/dev/null)" != "$CHP_VERSION" ]]; then
  echo "install-system: installing configurable-http-proxy $CHP_VERSION from npm"
  npm install -g --silent "configurable-http-proxy@$CHP_VERSION"
fi
