#!/usr/bin/env bash
# CI for the pocket bridge's app (frontend-embassy, host build): the no_std
# library for both RISC-V chips, clippy, and the host tests with TLS
# (mbedtls-rs, compiled from source on the host: cmake + clang) against a
# real mastodon-mock (plain and HTTPS). `--bench` also prints the figures
# (examples/upload-bench, release build).
#
# Installs what it needs (apt: cmake clang openssl python3-venv; pip:
# scripts/test-requirements.txt into $SAMSUNG_TEST_VENV or .venv) and fails
# loudly when it cannot.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

need_apt=()
command -v cmake >/dev/null || need_apt+=(cmake)
command -v clang >/dev/null || need_apt+=(clang)
command -v openssl >/dev/null || need_apt+=(openssl)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "test-app.sh: missing ${need_apt[*]}; run as root or install them" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

export SAMSUNG_TEST_VENV=${SAMSUNG_TEST_VENV:-$root/.venv}
if ! "$SAMSUNG_TEST_VENV/bin/python" -c 'import mastodon_mock' 2>/dev/null; then
    python3 -m venv "$SAMSUNG_TEST_VENV"
    "$SAMSUNG_TEST_VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/test-requirements.txt
    "$SAMSUNG_TEST_VENV/bin/python" -c 'import mastodon_mock'
fi

pkg=samsung-bridge-embassy
for target in riscv32imc-unknown-none-elf riscv32imac-unknown-none-elf; do
    cargo build --locked -p $pkg --target $target
    cargo build --locked -p $pkg --target $target --features tls
done
cargo clippy --locked -p $pkg --all-targets --features tls -- -D warnings
cargo test --locked -p $pkg --features tls
if [[ ${1:-} == --bench ]]; then
    cargo run --locked -p $pkg --example upload-bench --release --features tls 2>/dev/null
fi
