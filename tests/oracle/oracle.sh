#!/usr/bin/env bash
# `npm run oracle [-- --check]`: runs the PyTorch fixture generator with the first python3 that has torch.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

for py in ${PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch' 2>/dev/null; then
    exec "$py" tests/oracle/generate.py "$@"
  fi
done
cat >&2 <<'MSG'
No python3 with torch found (tried $PYTHON, python3, /usr/bin/python3).
Install it, then run npm run oracle again:
  Debian/Ubuntu:  sudo apt-get install python3-torch
  elsewhere:      python3 -m pip install torch   (or point PYTHON at an interpreter that has it)
MSG
exit 1
