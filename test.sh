#!/usr/bin/env bash
# Runs every check and test of Cocolu: formatting, clippy (server, and the dashboard for both
# the server and wasm32), unit and end-to-end tests including headless Chromium.
# It installs what it needs first: rustfmt, clippy, the wasm32 target, Chromium and its driver,
# rsync, nginx, openssl, systemd (for systemd-analyze) and tzdata. The fault tests mount a small tmpfs, so run it as root (CI does).
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

step "Toolchain: rustfmt, clippy and the wasm32 target"
installed_components=$(rustup component list --installed)
for component in rustfmt clippy; do
  grep -q "^${component}" <<<"$installed_components" || rustup component add "$component"
done
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown

step "Debian packages: chromium, chromium-driver and an emoji font (browser tests), rsync (backup tests), nginx and openssl (proxy tests), systemd (unit check), tzdata (time zones)"
packages=()
command -v rsync >/dev/null || packages+=(rsync)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || packages+=(nginx)
command -v openssl >/dev/null || packages+=(openssl)
command -v systemd-analyze >/dev/null || packages+=(systemd)
[ -e /usr/share/zoneinfo/America/Caracas ] || packages+=(tzdata)
if [ -n "${COCOLU_SKIP_BROWSER:-}" ]; then
  echo "COCOLU_SKIP_BROWSER is set: browser tests will be skipped"
else
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    packages+=(chromium chromium-driver)
  fi
  # The screenshots show emoji as a phone does (customers and the emoji panel use them).
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || packages+=(fonts-noto-color-emoji)
fi
if [ ${#packages[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${packages[@]}" >/dev/null
fi

step "Formatting"
cargo fmt --all -- --check

step "Clippy: server (with build script, tests and benches)"
cargo clippy -p cocolu --all-targets -- -D warnings

# The tests build the server with its `schema` feature too: docs/openapi.json and
# docs/schema/ are checked against what the routes and types generate (a release build has
# it off and serves docs/).
step "Clippy: server with the schema generator"
cargo clippy -p cocolu --all-targets --features schema -- -D warnings

step "Clippy: core (domain, engine, shared types)"
cargo clippy -p cocolu-core --all-targets -- -D warnings

step "Clippy: dashboard, server side"
cargo clippy -p cocolu-app --features ssr --all-targets -- -D warnings

step "Clippy: dashboard, browser side (wasm32, hydrate)"
cargo clippy -p cocolu-app --no-default-features --features hydrate \
  --target wasm32-unknown-unknown -- -D warnings

step "Clippy: server with the WhatsApp Web channel and its test stand-in"
cargo clippy -p cocolu --all-targets --features whatsapp-web-standin,schema -- -D warnings

step "The default build does not contain the WhatsApp Web channel"
if cargo tree -p cocolu -e normal --prefix none | grep -q '^whatsapp-rust '; then
  echo "whatsapp-rust is in the default build's dependencies" >&2
  exit 1
fi
cargo tree -p cocolu -e normal --prefix none --features whatsapp-web | grep -q '^whatsapp-rust ' \
  || { echo "the whatsapp-web feature does not bring whatsapp-rust" >&2; exit 1; }

step "Tests"
cargo test --workspace --features cocolu/schema

# `whatsapp-web-standin` is `whatsapp-web` with the library's certificate check off, so that
# the suite's stand-in WhatsApp server can complete the handshake (never for a release).
step "Tests with the WhatsApp Web channel (server library, and end to end against a stand-in)"
cargo test -p cocolu --features whatsapp-web-standin,schema --lib
cargo test -p cocolu --features whatsapp-web-standin,schema --test e2e -- whatsapp_web published_api
