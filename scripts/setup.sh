#!/usr/bin/env bash
# Installs what building, running and testing YokeFlow needs on Debian/Ubuntu, skipping what is present:
# the WebKitGTK/GTK development packages, bubblewrap (the agents' sandbox), Xvfb, WebKitWebDriver, a D-Bus session bus for the notification check, the npm packages (npm ci),
# tauri-driver, and the pinned Claude Code CLI the agent-protocol tests drive offline (under ~/.cache/yokeflow/agents/).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev build-essential
  pkg-config libssl-dev xvfb xauth webkit2gtk-driver imagemagick git curl dbus-daemon dbus-bin bubblewrap)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo is missing; install Rust with rustup first" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup: npm is missing; install Node.js 20 or later first" >&2; exit 1; }

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.yokeflow-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

if [ "${YOKEFLOW_SKIP_DRIVER:-}" != 1 ] && ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "setup: cargo install tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# The real agent CLIs, pinned, outside the project's own packages: the tests drive them against the project's
# scripted model servers on 127.0.0.1 (tests/fake-anthropic, tests/fake-openai; no network, no account). Keep the
# versions in step with src-tauri/core/tests/real_claude.rs and real_codex.rs. Codex is about 400 MB with its native
# binary.
install_cli() { # folder, npm package@version, binary
  local dir="$HOME/.cache/yokeflow/agents/$1"
  if [ ! -x "$dir/node_modules/.bin/$3" ]; then
    echo "setup: npm install $2 (into $dir)"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$2"
  fi
}
CLAUDE_CODE_VERSION=2.1.197
install_cli "claude-code-$CLAUDE_CODE_VERSION" "@anthropic-ai/claude-code@$CLAUDE_CODE_VERSION" claude
CODEX_VERSION=0.169.0
install_cli "codex-$CODEX_VERSION" "@openai/codex@$CODEX_VERSION" codex
