#!/usr/bin/env bash
# Prepare SAM Edge in this checkout: system packages, .venv, the package itself.
#   ./install.sh          run-time only
#   ./install.sh --dev    plus the test tools
# Safe to run again: it only does what is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

DEV=0
for arg in "$@"; do
    case "$arg" in
        --dev) DEV=1 ;;
        --system)
            echo "install.sh: --system (install as a service on a Pi) is not available yet" >&2
            exit 2 ;;
        -h|--help)
            sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*" >&2; }

# mpv plays the local music folder; ffmpeg decodes uploads; espeak-ng speaks offline; aplay
# (alsa-utils) plays replies; sox makes test speech.
APT_PACKAGES=(mpv ffmpeg sox espeak-ng alsa-utils ca-certificates)

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "install.sh: SAM Edge needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    APT_PACKAGES+=(python3-venv)
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${APT_PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
            missing+=("$pkg")
        fi
    done
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        say "missing system packages; install them with:"
        echo "    sudo apt-get install -y ${missing[*]}" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
if [ "$DEV" -eq 1 ]; then
    say "installing sam-edge with test tools"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
else
    say "installing sam-edge"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
fi
say "ready: .venv/bin/sam-edge run"
