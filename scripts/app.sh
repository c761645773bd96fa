#!/usr/bin/env bash
# Builds YokeFlow and opens its window. With a repository argument, registers it first (and imports its
# yokeflow.yaml if it has one); without, opens on the bundled demo project.
#   bash scripts/app.sh [<repo>]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
YOKEFLOW_SKIP_DRIVER=1 bash scripts/setup.sh   # the window needs no WebDriver
npx tauri build --debug --no-bundle
cargo build -p yokeflow-core --bins   # the scripted stand-in agent the demo uses when no agent CLI is installed
target=${CARGO_TARGET_DIR:-$root/target}
app="$target/debug/yokeflow"
if [ $# -ge 1 ]; then
  repo=$(cd "$1" && pwd)
  "$app" --repo "$repo" init
  for f in yokeflow.yaml yokeflow.yml yokeflow.json; do
    if [ -f "$repo/$f" ]; then "$app" --repo "$repo" import "$repo/$f"; break; fi
  done
else
  "$app" demo
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "app: no display found; opening the window on a virtual one (xvfb-run)"
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$app"
fi
exec "$app"
