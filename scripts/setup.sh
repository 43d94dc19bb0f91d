#!/usr/bin/env bash
# Create or reuse the project's Python 3.12 virtual environment and check the Debian packages.
# A second run with unchanged requirements only compares a hash, so it takes about a second.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${PREFLIGHT_VENV:-$ROOT/.venv}
DEBS=(chromium ffmpeg libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 postgresql)

find_python312() {
  local candidate
  for candidate in "${PYTHON312:-}" python3.12 "$(command -v pyenv >/dev/null 2>&1 && pyenv root)"/versions/3.12*/bin/python3.12; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' >/dev/null 2>&1; then
      command -v "$candidate" 2>/dev/null || echo "$candidate"
      return 0
    fi
  done
  echo "Python 3.12 not found. Install it (Debian: apt-get install python3.12 python3.12-venv, or pyenv install 3.12) or set PYTHON312=/path/to/python3.12." >&2
  return 1
}

ensure_debs() {
  local missing=() pkg
  for pkg in "${DEBS[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    echo "(chromium: browser tests and figure export; ffmpeg: video decoding; postgresql: the registry tests' throwaway server; the rest: MuJoCo's EGL renderer)" >&2
    return 1
  fi
}

requirements_hash() {
  cat "$ROOT/requirements.txt" "$ROOT"/plugins/*/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1
}

ensure_venv() {
  local want stamp="$VENV/.preflight-requirements"
  want=$(requirements_hash)
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  local py
  py=$(find_python312)
  [ -x "$VENV/bin/python" ] || { echo "Creating $VENV with $py"; "$py" -m venv "$VENV"; }
  echo "Installing requirements into $VENV (first run: about 6 minutes, torch is large)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt"
  local plugin
  for plugin in "$ROOT"/plugins/*/; do
    [ -f "$plugin/pyproject.toml" ] && "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$plugin"
  done
  echo "$want" > "$stamp"
}

# The repository root on the venv's path, so `import core` works from streamlit, pytest and lerobot's CLIs.
link_repo() {
  local site
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  [ "$(cat "$site/preflight.pth" 2>/dev/null)" = "$ROOT" ] || echo "$ROOT" > "$site/preflight.pth"
}

ensure_debs
ensure_venv
link_repo
