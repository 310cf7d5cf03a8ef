#!/usr/bin/env bash
# Installs everything the test suite needs, idempotently. Caches under
# ~/.cache/kavka. Safe to run repeatedly; does nothing when all is present.
set -euo pipefail

CACHE="${KAVKA_CACHE:-$HOME/.cache/kavka}"
mkdir -p "$CACHE"

log() { printf '[setup] %s\n' "$*" >&2; }

need_cmd() { command -v "$1" >/dev/null 2>&1; }

# --- Rust toolchain -------------------------------------------------------
if ! need_cmd cargo; then
    log "cargo not found: this project needs the machine's Rust toolchain (rustup)."
    exit 1
fi

# --- System packages --------------------------------------------------------
# librdkafka (bundled by the rdkafka crate) builds with a C compiler, make
# and pkg-config (zlib/zstd detection).
PKGS=(build-essential pkg-config make)
missing=()
for p in "${PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    if need_cmd apt-get && [ "$(id -u)" = 0 ]; then
        stamp="$CACHE/apt-updated"
        if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
            log "apt-get update"
            apt-get update -qq >/dev/null
            touch "$stamp"
        fi
        log "installing ${missing[*]}"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        log "missing packages ${missing[*]} and cannot install them (need root and apt-get)"
        exit 1
    fi
fi

# --- Python Kafka clients (optional) ----------------------------------------
# kafka-python and aiokafka in a venv for the consumer-group tests
# (tests/groups_python.rs), which skip with a message when this venv is
# missing. Reinstalled only when the pinned versions change.
PY_VENV="$CACHE/python-clients"
PY_PKGS="kafka-python==3.0.12 aiokafka==0.14.0"
if need_cmd python3; then
    if [ "$(cat "$PY_VENV/.installed" 2>/dev/null)" != "$PY_PKGS" ]; then
        log "installing $PY_PKGS into $PY_VENV"
        # shellcheck disable=SC2086 # the package list is split on purpose
        if python3 -m venv "$PY_VENV" \
            && "$PY_VENV/bin/pip" install -q --disable-pip-version-check $PY_PKGS; then
            printf '%s' "$PY_PKGS" >"$PY_VENV/.installed"
        else
            log "could not install the Python clients; their tests will be skipped"
        fi
    fi
else
    log "python3 not found; the Python client tests will be skipped"
fi

log "ok"
