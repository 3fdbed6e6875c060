#!/usr/bin/env bash
# Installs what disranker needs, once; a quick no-op when everything is there.
#   system packages (Debian/Ubuntu, as root): libtorch-dev (unless LIBTORCH points at another libtorch),
#   libopenblas0-pthread (otherwise apt may pick the slow reference BLAS), libgloo-dev (Gloo's headers, for
#   distributed training on c10d; see docs/distributed.md), a C++ toolchain, and with
#   --tests python3-torch (the reference for parity tests) and chromium (renders report.html headless in its test);
#   npm dependencies (npm ci), the compiled dist/ and the native addon.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--tests" ] && want_tests=1

pkgs=(libopenblas0-pthread g++ make python3)
[ -z "${LIBTORCH:-}" ] && pkgs+=(libtorch-dev libgloo-dev)
[ "$want_tests" = 1 ] && pkgs+=(python3-torch chromium)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  # onnxruntime-node ships its CPU binaries in the npm package; its postinstall would only fetch the optional
  # CUDA provider from NuGet (no network here). npm 11 skips it through package.json's allowScripts; older npm reads this.
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
# dist/ (what `npx disranker` runs) is rebuilt when missing or older than a source file.
if [ ! -f dist/cli/main.js ] || [ -n "$(find src -name '*.ts' -newer dist/cli/main.js -print -quit)" ]; then
  echo "setup: compiling TypeScript to dist/"
  npx tsc -p tsconfig.build.json
fi
# The addon builds only when it is missing or its sources changed (the script checks); without libtorch it warns.
node scripts/build-native.mjs
