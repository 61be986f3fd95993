#!/usr/bin/env bash
# Prepare SAM Edge in this checkout: system packages, .venv, the package itself.
#   ./install.sh                        run-time only
#   ./install.sh --dev                  plus the test tools
#   sudo ./install.sh --system          install as a service on this device (docs/deploy.md)
#   sudo ./install.sh --system --no-start   the same, without touching systemctl
#   sudo ./install.sh --uninstall       remove the service; keep config, accounts and library
#   sudo ./install.sh --uninstall --purge   remove those too (never the music folder)
# Safe to run again: it only does what is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

DEV=0
SYSTEM=0
START=1
UNINSTALL=0
PURGE=0
for arg in "$@"; do
    case "$arg" in
        --dev) DEV=1 ;;
        --system) SYSTEM=1 ;;
        --no-start) START=0 ;;
        --uninstall) UNINSTALL=1 ;;
        --purge) PURGE=1 ;;
        -h|--help)
            sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
            exit 0 ;;
        *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done
if [ "$PURGE" -eq 1 ] && [ "$UNINSTALL" -eq 0 ]; then
    echo "install.sh: --purge goes with --uninstall" >&2
    exit 2
fi
if [ "$UNINSTALL" -eq 1 ] && { [ "$SYSTEM" -eq 1 ] || [ "$DEV" -eq 1 ]; }; then
    echo "install.sh: --uninstall cannot be combined with --system or --dev" >&2
    exit 2
fi
if [ "$UNINSTALL" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: --uninstall removes a service and must run as root" >&2
    exit 1
fi
if [ "$SYSTEM" -eq 1 ] && [ "$DEV" -eq 1 ]; then
    echo "install.sh: --dev is for a checkout, not for --system" >&2
    exit 2
fi
if [ "$SYSTEM" -eq 0 ] && [ "$UNINSTALL" -eq 0 ] && [ "$START" -eq 0 ]; then
    echo "install.sh: --no-start only applies to --system" >&2
    exit 2
fi
if [ "$SYSTEM" -eq 1 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: --system installs a service and must run as root: sudo ./install.sh --system" >&2
    exit 1
fi

say() { printf '==> %s\n' "$*" >&2; }

# mpv plays the local music folder; ffmpeg decodes uploads; espeak-ng speaks offline; aplay
# (alsa-utils) plays replies; sox makes test speech; libspeexdsp1 cancels the device's own
# music in the microphone signal.
APT_PACKAGES=(mpv ffmpeg sox espeak-ng alsa-utils ca-certificates libspeexdsp1)

# In --system mode the service user runs the venv's interpreter: take the system's, never one
# under a person's home (pyenv and the like).
if [ "$SYSTEM" -eq 1 ] && [ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ]; then
    PYTHON=/usr/bin/python3
fi
PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "install.sh: SAM Edge needs Python 3.11 or newer ($PYTHON is $("$PYTHON" -V 2>&1))" >&2
    exit 1
fi

# Installs the named Debian packages that are missing when root with apt-get; otherwise prints
# the command that would.
apt_ensure() {
    local missing=() pkg
    if command -v dpkg-query >/dev/null 2>&1; then
        for pkg in "$@"; do
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
}

# ---------------------------------------------------------------- --system

SVC_USER="${SAM_USER:-sam-edge}"   # tests only: the units name sam-edge
PREFIX="${SAM_PREFIX:-/opt/sam-edge}"
ETC="${SAM_ETC:-/etc/sam-edge}"
STATE="${SAM_STATE:-/var/lib/sam-edge}"
UNIT_DIR="${SAM_SYSTEMD_DIR:-/etc/systemd/system}"
BIN_DIR="${SAM_BIN_DIR:-/usr/local/bin}"
MUSIC="${SAM_MUSIC_DIR:-/srv/music}"
UNITS=(sam-edge.service sam-edge-sync.service sam-edge-sync.timer)

is_arm() {
    case "$(uname -m)" in aarch64|arm64|armv7l|armv6l) return 0 ;; *) return 1 ;; esac
}

system_packages() {
    local pkgs=("${APT_PACKAGES[@]}" portaudio19-dev libportaudio2 python3-venv python3-dev)
    local pkg
    if is_arm; then
        # PyAudio is built from source on ARM; lgpio has wheels, its headers cover the rest.
        pkgs+=(gcc)
        for pkg in liblgpio-dev swig; do
            if apt-cache show "$pkg" >/dev/null 2>&1; then pkgs+=("$pkg"); fi
        done
    fi
    apt_ensure "${pkgs[@]}"
}

service_account() {
    if ! getent group gpio >/dev/null; then
        say "creating the gpio group"
        groupadd --system gpio
        # Raspberry Pi OS ships this rule with its gpio group; elsewhere the group needs it.
        if compgen -G '/dev/gpiochip*' >/dev/null && [ -d /etc/udev/rules.d ]; then
            echo 'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"' \
                > /etc/udev/rules.d/60-sam-edge-gpio.rules
            if ! (udevadm control --reload-rules && udevadm trigger --subsystem-match=gpio); then
                say "udev did not reload; the gpio rule applies after a reboot"
            fi
        fi
    fi
    if ! getent passwd "$SVC_USER" >/dev/null; then
        say "creating the system user $SVC_USER"
        local group_opt=(--user-group)
        if getent group "$SVC_USER" >/dev/null; then group_opt=(--gid "$SVC_USER"); fi
        useradd --system --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin \
            --comment "SAM Edge" "${group_opt[@]}" "$SVC_USER"
    fi
    usermod --append --groups audio,gpio "$SVC_USER"
}

# Whether the service user can start the venv's interpreter.
venv_usable() {
    (cd / && runuser -u "$SVC_USER" -- "$1/bin/python" -c 'import sys') >/dev/null 2>&1
}

python_env() {
    local venv="$PREFIX/venv"
    # An OS upgrade removes the Python a venv points at: build it again.
    if [ -e "$venv" ] && ! venv_usable "$venv"; then
        say "the service user cannot use $venv; creating it again"
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        say "creating $venv with $PYTHON"
        if [ "${SAM_PIP_INSTALL:-}" = skip ]; then
            "$PYTHON" -m venv --without-pip "$venv"
        else
            "$PYTHON" -m venv "$venv"
        fi
    fi
    if ! venv_usable "$venv"; then
        echo "install.sh: $SVC_USER cannot run $venv/bin/python; build it from a Python every" \
            "user can read (PYTHON=/usr/bin/python3)" >&2
        exit 1
    fi
    if [ "${SAM_PIP_INSTALL:-}" = skip ]; then
        say "SAM_PIP_INSTALL=skip: the package is not installed into $venv"
        return
    fi
    local pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)
    "${pip[@]}" install --root-user-action=ignore --upgrade pip
    # Built from a copy, so no root-owned build files end up in the checkout.
    local src extra=""
    src="$(mktemp -d)"
    # shellcheck disable=SC2064  # expand now: $src is local
    trap "rm -rf '$src'" EXIT
    tar -cf - --exclude=__pycache__ pyproject.toml README.md sam_edge | tar -C "$src" -xf -
    if is_arm; then extra="[pi]"; fi
    say "installing sam-edge$extra into $venv"
    "${pip[@]}" install --root-user-action=ignore "$src$extra"
    rm -rf "$src"
    trap - EXIT
}

write_config() {
    local config="$ETC/config.toml" secrets="$ETC/secrets.env"
    if [ -e "$config" ]; then
        say "keeping $config"
    else
        say "writing $config"
        cat > "$config" <<TOML
# SAM Edge on this device: every setting is in README.md ("Configuration").
# API keys go in $secrets, not here. After a change: sudo systemctl restart sam-edge

[http]
# All addresses, so the pairing page is reachable from phones and laptops on your network;
# browsers there enter the pairing code from the log once.
host = "0.0.0.0"
port = 8080

[music]
dir = "$MUSIC"

# [spotify]
# client_id = "your-client-id"
# device = "Kitchen"
TOML
    fi
    # The service reads the config, never writes it.
    chown "root:$SVC_USER" "$config"
    chmod 0640 "$config"

    if [ -e "$secrets" ]; then
        say "keeping $secrets"
    else
        say "writing $secrets"
        (umask 077 && cat > "$secrets" <<'ENV'
# Keys for SAM Edge: one KEY=value per line, no spaces around "=".
# systemd reads this file as root when it starts the service; then:
#   sudo systemctl restart sam-edge
#SAM_GROQ_API_KEY=
#SAM_ELEVENLABS_API_KEY=
#SAM_PORCUPINE_ACCESS_KEY=
#SAM_SOUNDCLOUD_CLIENT_SECRET=
ENV
        )
    fi
    # root only: PID 1 reads it before dropping privileges, so the daemon cannot rewrite keys.
    chown root:root "$secrets"
    chmod 0600 "$secrets"
}

write_wrapper() {
    local wrapper="$BIN_DIR/sam-edge"
    install -d -m 0755 "$BIN_DIR"
    cat > "$wrapper.tmp" <<WRAPPER
#!/usr/bin/env bash
# sam-edge as the service runs it: as $SVC_USER, with its config, data and keys.
# Written by install.sh --system; run it with sudo (it asks for sudo itself).
set -euo pipefail
if [ "\$(id -un)" = "$SVC_USER" ]; then
    export SAM_DATA_DIR="$STATE"
    exec "$PREFIX/venv/bin/sam-edge" --config "$ETC/config.toml" "\$@"
fi
if [ "\$(id -u)" -ne 0 ]; then
    exec sudo -- "\$0" "\$@"
fi
if [ -r "$ETC/secrets.env" ]; then
    set -a
    # shellcheck disable=SC1091
    . "$ETC/secrets.env"
    set +a
fi
export SAM_DATA_DIR="$STATE"
cd "$STATE"
exec runuser -u "$SVC_USER" -- "$PREFIX/venv/bin/sam-edge" --config "$ETC/config.toml" "\$@"
WRAPPER
    chmod 0755 "$wrapper.tmp"
    mv -f "$wrapper.tmp" "$wrapper"
}

pairing_urls() {
    local port=$1 addr urls=()
    for addr in $(hostname -I 2>/dev/null || true); do
        case "$addr" in *:*|127.*) ;; *) urls+=("http://$addr:$port/pair") ;; esac
    done
    urls+=("http://$(hostname).local:$port/pair")
    printf '    %s\n' "${urls[@]}"
}

http_port() {
    "$PYTHON" - "$ETC/config.toml" <<'PY' 2>/dev/null || echo 8080
import sys, tomllib
with open(sys.argv[1], "rb") as fh:
    print(int(tomllib.load(fh).get("http", {}).get("port", 8080)))
PY
}

install_system() {
    if [ "${SAM_SKIP_APT:-0}" = 1 ]; then
        say "SAM_SKIP_APT=1: not checking system packages"
    else
        system_packages
    fi
    service_account

    install -d -m 0755 "$PREFIX" "$PREFIX/doc"
    install -d -m 0755 -o root -g root "$ETC"
    install -d -m 0700 -o "$SVC_USER" -g "$SVC_USER" "$STATE"
    if [ ! -e "$MUSIC" ]; then
        install -d -m 0755 -o "${SUDO_USER:-root}" "$MUSIC"
    fi

    python_env
    write_config
    install -m 0644 docs/deploy.md "$PREFIX/doc/deploy.md"
    install -d -m 0755 "$UNIT_DIR"
    for unit in "${UNITS[@]}"; do
        install -m 0644 "systemd/$unit" "$UNIT_DIR/$unit"
    done
    write_wrapper

    local port
    port="$(http_port)"
    if [ "$START" -eq 0 ]; then
        say "--no-start: units installed in $UNIT_DIR; systemctl was not run"
    elif [ ! -d /run/systemd/system ]; then
        say "systemd is not running here: start sam-edge.service once it is"
    else
        systemctl daemon-reload
        systemctl enable --quiet sam-edge.service
        say "(re)starting sam-edge"
        systemctl restart sam-edge.service
        local i
        for i in $(seq 1 60); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
            if [ "$i" -eq 60 ]; then
                say "the service does not answer yet: sudo journalctl -u sam-edge -e"
            fi
            sleep 0.5
        done
    fi

    cat >&2 <<DONE

SAM Edge is installed as a service (user $SVC_USER, data in $STATE).
  Pairing page, from a phone or laptop on the same network:
$(pairing_urls "$port")
    It asks once for the pairing code: sudo cat $STATE/pairing-code
    (also in the log: sudo journalctl -u sam-edge | grep 'pairing code')
  Keys:      sudo nano $ETC/secrets.env, then sudo systemctl restart sam-edge
  Settings:  $ETC/config.toml
  Logs:      journalctl -u sam-edge -f
  Commands:  sudo sam-edge status | doctor | sync | forget | reset
  Optional daily catch-up sync: sudo systemctl enable --now sam-edge-sync.timer
DONE
}

uninstall_system() {
    if [ "$START" -eq 1 ] && [ -d /run/systemd/system ]; then
        say "stopping and disabling the units"
        systemctl disable --now --quiet "${UNITS[@]}" 2>/dev/null || true
    fi
    local unit
    for unit in "${UNITS[@]}"; do
        rm -f "$UNIT_DIR/$unit"
    done
    if [ "$START" -eq 1 ] && [ -d /run/systemd/system ]; then
        systemctl daemon-reload
    fi
    rm -rf "$PREFIX"
    rm -f "$BIN_DIR/sam-edge" "${SAM_UDEV_RULE:-/etc/udev/rules.d/60-sam-edge-gpio.rules}"
    if [ "$PURGE" -eq 1 ]; then
        say "purging config, keys, accounts, library and caches"
        rm -rf "$ETC" "$STATE" "${SAM_CACHE:-/var/cache/sam-edge}"
        if getent passwd "$SVC_USER" >/dev/null; then
            userdel "$SVC_USER" 2>/dev/null || say "could not remove the user $SVC_USER"
        fi
        say "removed SAM Edge and its data (the music folder $MUSIC was left alone)"
    else
        say "removed SAM Edge; kept $ETC (config, keys) and $STATE (accounts, library)"
        say "remove those too with: sudo ./install.sh --uninstall --purge"
    fi
}

if [ "$UNINSTALL" -eq 1 ]; then
    uninstall_system
    exit 0
fi

if [ "$SYSTEM" -eq 1 ]; then
    install_system
    exit 0
fi

# ---------------------------------------------------------------- this checkout

if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    APT_PACKAGES+=(python3-venv)
fi
if [ "$DEV" -eq 1 ]; then
    # The pairing page is tested in a real headless browser, signing in from another address
    # (a network namespace made with ip, from iproute2); the unit file's exposure with
    # systemd-analyze (in the systemd package).
    APT_PACKAGES+=(chromium systemd iproute2)
fi
apt_ensure "${APT_PACKAGES[@]}"

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
# An editable install leaves the project's own modules as source: compile them now, so no
# start pays for it (a service that cannot write here, or PYTHONDONTWRITEBYTECODE, would pay
# it on every start: about a fifth of the start-up).
.venv/bin/python -m compileall -q -j 0 sam_edge >/dev/null
if [ "$DEV" -eq 1 ]; then
    # The page's accessibility test injects axe-core (MPL-2.0) from npm; nothing is vendored.
    if [ ! -f .venv/axe-core/axe.min.js ]; then
        if command -v npm >/dev/null 2>&1; then
            say "fetching axe-core for the accessibility test"
            tmp="$(mktemp -d)"
            (cd "$tmp" && npm pack --silent "axe-core@^4.10" >/dev/null && tar -xzf axe-core-*.tgz)
            mkdir -p .venv/axe-core
            cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" .venv/axe-core/
            rm -rf "$tmp"
        else
            say "npm is missing: the accessibility test will skip (sudo apt-get install -y npm)"
        fi
    fi
fi
say "ready: .venv/bin/sam-edge run"
