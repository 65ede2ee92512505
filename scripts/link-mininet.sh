#!/usr/bin/env bash
# Make Debian's Mininet package importable from the venv without exposing all system packages.
# (PyPI only has an old 2.3.0 development release; Debian's 2.3.0 is the maintained one.)
set -euo pipefail
venv=${1:?usage: link-mininet.sh VENV}
src=$(/usr/bin/python3 -c 'import mininet, os; print(os.path.dirname(mininet.__file__))')
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ln -sfn "$src" "$site/mininet"
"$venv/bin/python" -c 'import mininet.net' || { echo "link-mininet: mininet not importable" >&2; exit 1; }
