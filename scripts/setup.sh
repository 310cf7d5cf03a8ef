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

log "ok"
