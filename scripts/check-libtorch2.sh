#!/usr/bin/env bash
# Compiles the addon's sources (syntax and template instantiation, no linking) against Debian 13's libtorch 2.x
# headers, so that a change that breaks the 2.x build is caught on a Debian 12 (libtorch 1.13) machine.
# The headers come from Debian's trixie archive through a private apt state under $WORK; the system's apt
# configuration is not touched. Exit 0 when the sources compile; 1 on a compile error; 0 with a warning
# when the archive cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${DISRANKER_TRIXIE_DIR:-/tmp/disranker-trixie}
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/root"
echo "deb http://deb.debian.org/debian trixie main" > "$WORK/sources.list"
APT=(-o "Dir::Etc::SourceList=$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$WORK/lists"
     -o "Dir::Cache=$WORK/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
if ! ls "$WORK"/libtorch-dev_*.deb >/dev/null 2>&1; then
  if ! apt-get "${APT[@]}" -qq update >/dev/null 2>&1 || ! (cd "$WORK" && apt-get "${APT[@]}" -qq download libtorch-dev >/dev/null 2>&1); then
    echo "check-libtorch2: warning: Debian trixie's libtorch-dev could not be downloaded; skipped" >&2
    exit 0
  fi
fi
deb=$(ls "$WORK"/libtorch-dev_*.deb | head -1)
[ -d "$WORK/root/usr/include/ATen" ] || dpkg -x "$deb" "$WORK/root"
inc="$WORK/root/usr/include"
napi=$(dirname "$(node -p "require.resolve('node-addon-api/package.json')")")
version=$(sed -n 's/^#define TORCH_VERSION_\(MAJOR\|MINOR\) \([0-9]*\)/\2/p' "$inc/torch/csrc/api/include/torch/version.h" | paste -sd.)
status=0
for f in native/src/*.cc; do
  if ! g++ -std=c++17 -fsyntax-only -I"$inc" -I"$inc/torch/csrc/api/include" -I"$napi" -I/usr/include/node \
      -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -D_GLIBCXX_USE_CXX11_ABI=1 -Wno-deprecated-declarations "$f"; then
    status=1
  fi
done
[ $status = 0 ] && echo "check-libtorch2: native/src compiles against libtorch $version ($(basename "$deb"))"
exit $status
