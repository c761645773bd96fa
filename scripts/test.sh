#!/usr/bin/env bash
# Runs every check and test: formatting, lints, the frontend's typecheck and unit tests, the Rust tests (the
# core's first, without the webview), the generated-bindings check, and the end-to-end test of the real app
# under Xvfb through tauri-driver. This is what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
step() { printf '\n==> %s\n' "$*"; }

step "setup"
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
target=${CARGO_TARGET_DIR:-$root/target}

step "the core never imports tauri"
if grep -rni "tauri" src-tauri/core/src src-tauri/core/Cargo.toml; then
  echo "the core must stay headless: the lines above mention tauri (not even in comments)" >&2; exit 1
fi
if cargo tree -p yokeflow-core -e normal --prefix none | grep -E '^(tauri|wry|webkit2gtk|gtk) '; then
  echo "the core depends on a UI crate" >&2; exit 1
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "frontend: lint, typecheck, unit tests, build"
npm run -s lint
npm run -s typecheck
npm run -s test
npm run -s build

step "core tests (headless: no webview is built)"
cargo test -p yokeflow-core --locked

step "cargo clippy (whole workspace, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "the app crate's tests (the core's ran above)"
cargo test --workspace --exclude yokeflow-core --locked

step "build the app (and the scripted agent the demo runs)"
npx tauri build --debug --no-bundle
cargo build -p yokeflow-core --bins --locked

step "end-to-end: the real app under Xvfb, with a private D-Bus session for its desktop notifications"
titles=$(awk '/^tasks:/{t=1} t && /^    title:/{sub(/^    title: /,""); print}' src-tauri/core/demo/yokeflow.yaml | paste -sd'|')
YOKEFLOW_EXPECT_TITLES="$titles" YOKEFLOW_APP="$target/debug/yokeflow" YOKEFLOW_E2E_NOTIFICATIONS=1 \
  dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" npm run -s e2e
