#!/usr/bin/env bash
# Build the offline wheelhouse on a machine with internet access (see docs/deploy.md).
#
#   deploy/build-wheelhouse.sh [OUT_DIR]          # default: ./wheelhouse
#
# OUT_DIR then holds orgbot's own wheel, one wheel per locked dependency, and the lock
# file. Copy it to the intranet host and install with no index:
#
#   python3.11 -m venv /opt/orgbot/venv
#   /opt/orgbot/venv/bin/pip install --no-index --find-links OUT_DIR -r OUT_DIR/requirements.lock orgbot
#
# The dependency wheels are for CPython 3.11 on Linux x86_64 (manylinux), whatever the
# building machine is; set ORGBOT_WHEEL_PYTHON / ORGBOT_WHEEL_PLATFORMS to target another.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-wheelhouse}"
python="${PYTHON:-python3}"
py_version="${ORGBOT_WHEEL_PYTHON:-3.11}"
platforms="${ORGBOT_WHEEL_PLATFORMS:-manylinux2014_x86_64 manylinux_2_17_x86_64 manylinux_2_28_x86_64}"
mkdir -p "$out"

# orgbot itself (pip fetches setuptools and wheel into an isolated build environment).
"$python" -m pip wheel --quiet --no-deps -w "$out" "$root"

# Every locked dependency, as binary wheels for the target interpreter and platform.
# The lock lists the whole closure, so no resolution (--no-deps) is needed.
platform_args=()
for p in $platforms; do platform_args+=(--platform "$p"); done
"$python" -m pip download --quiet --no-deps --only-binary=:all: \
  --python-version "$py_version" --implementation cp "${platform_args[@]}" \
  -r "$root/requirements.lock" -d "$out"

cp "$root/requirements.lock" "$out/requirements.lock"
echo "wheelhouse ready: $out ($(find "$out" -name '*.whl' | wc -l) wheels)"
