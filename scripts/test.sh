#!/usr/bin/env bash
# The whole test ladder, in order: lint, type checks, vitest (unit, kernels, science), build, Playwright e2e.
# Before the GPU stages it makes sure a Chromium (for e2e), a Vulkan loader with SwiftShader (for Dawn in Node) and
# a python3 with torch (the PyTorch export's replay tests) are present, installing them with apt-get when it can (root on Debian/Ubuntu), and says what to install otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -t 1 ]]; then
  BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' GREEN=$'\e[32m' RESET=$'\e[0m'
else
  BOLD='' DIM='' RED='' GREEN='' RESET=''
fi

# Stage names and titles, in order (plain arrays: macOS still ships bash 3.2).
STAGES=(lint check prerequisites vitest build e2e)
TITLES=(
  'lint: eslint + prettier --check'
  'check: svelte-check + tsc'
  'prerequisites: Chromium, Vulkan loader, SwiftShader, python3 with torch'
  'vitest: unit, kernel and science tests (Dawn in Node)'
  'build: vite build'
  'e2e: Playwright in Chromium (WebGPU via SwiftShader, and the CPU fallback)'
)
RESULTS=()
TOTAL_START=$SECONDS

summary() {
  local i
  echo
  echo "${BOLD}Summary${RESET}"
  for i in "${!STAGES[@]}"; do
    printf '  %-14s %s\n' "${STAGES[$i]}" "${RESULTS[$i]:-${DIM}not run${RESET}}"
  done
  echo "  total          $((SECONDS - TOTAL_START)) s"
}

# run_stage NAME COMMAND...: a header, the command, its time; stops the ladder at the first failure.
run_stage() {
  local name=$1 i=0 start=$SECONDS status=0
  shift
  while [[ ${STAGES[$i]} != "$name" ]]; do i=$((i + 1)); done
  echo
  echo "${BOLD}================================================================================${RESET}"
  echo "${BOLD}[$((i + 1))/${#STAGES[@]}] ${TITLES[$i]}${RESET}"
  echo "${BOLD}================================================================================${RESET}"
  "$@" || status=$?
  if ((status == 0)); then
    RESULTS[$i]="${GREEN}passed${RESET} ($((SECONDS - start)) s)"
  else
    RESULTS[$i]="${RED}FAILED${RESET} ($((SECONDS - start)) s, exit $status)"
    summary
    echo
    echo "${RED}${BOLD}npm test failed at stage '$name'.${RESET}"
    exit "$status"
  fi
}

# ---- prerequisites ----

find_chromium() {
  if [[ -n ${PREFLAB_CHROMIUM:-} ]]; then
    [[ -x $PREFLAB_CHROMIUM ]] && echo "$PREFLAB_CHROMIUM"
    return
  fi
  local c p
  for c in /usr/bin/chromium chromium google-chrome google-chrome-stable chromium-browser; do
    if p=$(command -v "$c" 2>/dev/null) && [[ -x $p ]]; then
      echo "$p"
      return
    fi
  done
  for p in '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome' '/Applications/Chromium.app/Contents/MacOS/Chromium'; do
    if [[ -x $p ]]; then
      echo "$p"
      return
    fi
  done
}

has_libvulkan() {
  local ldconfig
  ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
  if [[ -x $ldconfig ]] && "$ldconfig" -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then return 0; fi
  compgen -G '/usr/lib*/libvulkan.so.1' >/dev/null || compgen -G '/usr/lib/*-linux-gnu/libvulkan.so.1' >/dev/null
}

# The Vulkan driver Dawn gets where the machine has no usable GPU driver (src/engine/node.ts looks in the same places).
find_swiftshader_icd() {
  if [[ -n ${VK_ICD_FILENAMES:-} && -f ${VK_ICD_FILENAMES} ]]; then
    echo "$VK_ICD_FILENAMES"
    return
  fi
  local p
  for p in /usr/lib/chromium/vk_swiftshader_icd.json /usr/lib/chromium-browser/vk_swiftshader_icd.json \
    /opt/google/chrome/vk_swiftshader_icd.json; do
    if [[ -f $p ]]; then
      echo "$p"
      return
    fi
  done
}

# The python the PyTorch export's tests run (tests/unit/torch-export.test.ts tries the same ones, PYTHON first).
find_torch_python() {
  local py
  for py in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch, numpy' 2>/dev/null; then
      command -v "$py"
      return
    fi
  done
}

missing_prerequisites() {
  local missing=()
  if [[ -n ${PREFLAB_CHROMIUM:-} ]]; then
    [[ -x $PREFLAB_CHROMIUM ]] || missing+=("a browser at PREFLAB_CHROMIUM=$PREFLAB_CHROMIUM (not an executable file)")
  else
    [[ -n $(find_chromium) ]] || missing+=('a Chromium or Chrome browser')
  fi
  if [[ $(uname -s) == Linux ]]; then
    has_libvulkan || missing+=('the Vulkan loader libvulkan.so.1')
    [[ -n $(find_swiftshader_icd) ]] || missing+=("SwiftShader's Vulkan driver (vk_swiftshader_icd.json, shipped with Chromium)")
  fi
  [[ -n $(find_torch_python) ]] || missing+=('a python3 with torch and numpy (Debian: python3-torch)')
  ((${#missing[@]} == 0)) || printf '%s\n' "${missing[@]}"
}

prerequisites() {
  local missing
  missing=$(missing_prerequisites)
  if [[ -n $missing ]] && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    echo "Missing:"
    sed 's/^/  - /' <<<"$missing"
    echo "Installing them with apt-get (chromium libvulkan1 python3-torch)..."
    # This function runs as a stage (errexit is off inside it): a failed install shows up as still missing.
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium libvulkan1 python3-torch
    missing=$(missing_prerequisites)
  fi
  if [[ -n $missing ]]; then
    echo "${RED}Missing:${RESET}"
    sed 's/^/  - /' <<<"$missing"
    cat <<'EOF'

Install them, then run npm test again:
  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install chromium libvulkan1 python3-torch
  Fedora:         sudo dnf install chromium vulkan-loader python3-torch
  Arch:           sudo pacman -S chromium vulkan-icd-loader python-pytorch
Or point PYTHON at a python3 that has torch and numpy (pip install torch numpy).
Or point PREFLAB_CHROMIUM at a Chrome/Chromium executable (Chrome for Linux also ships SwiftShader).
Playwright uses this system browser: do not run `npx playwright install`.
EOF
    return 1
  fi
  PREFLAB_CHROMIUM=$(find_chromium)
  PYTHON=$(find_torch_python)
  export PREFLAB_CHROMIUM PYTHON
  # Without a runtime dir (containers, CI) every Dawn adapter request prints "XDG_RUNTIME_DIR is invalid": give one.
  if [[ $(uname -s) == Linux && ! -d ${XDG_RUNTIME_DIR:-/nonexistent} ]]; then
    XDG_RUNTIME_DIR=$(mktemp -d)
    chmod 700 "$XDG_RUNTIME_DIR"
    export XDG_RUNTIME_DIR
    trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
  fi
  echo "Python:      $PYTHON (torch $("$PYTHON" -c 'import torch; print(torch.__version__)'))"
  echo "Browser:     $PREFLAB_CHROMIUM ($("$PREFLAB_CHROMIUM" --version 2>/dev/null | head -n1 || echo 'version unknown'))"
  if [[ $(uname -s) == Linux ]]; then
    echo "Vulkan:      libvulkan.so.1 found"
    echo "SwiftShader: $(find_swiftshader_icd) (used by Dawn when no GPU driver gives an adapter)"
  fi
}

echo "${BOLD}PrefLab test ladder${RESET}: node $(node --version), npm $(npm --version), $(uname -sm)"

run_stage lint npm run --silent lint
run_stage check npm run --silent check
run_stage prerequisites prerequisites
run_stage vitest npx vitest run
run_stage build npm run --silent build
run_stage e2e env PREFLAB_SKIP_BUILD=1 npx playwright test

summary
echo
echo "${GREEN}${BOLD}All stages passed.${RESET}"
