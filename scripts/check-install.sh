#!/usr/bin/env bash
# `npm run check:install`: what the Dockerfile does, without Docker. In a clean temporary directory
# holding only the repository's tracked files (git archive; uncommitted edits to tracked files are
# included, untracked files are not), it runs
#   npm ci --ignore-scripts && npm run build && npm prune --omit=dev
# then lays out the runtime image's files alone (node_modules dist-bundle package.json agents.yaml bin
# templates, as the Dockerfile's second stage copies them) and checks that the pruned
# `bin/lightning.js --version` prints package.json's version and that a `lightning worker` answers
# /health. Exits non-zero at the first failure; prints each step's time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lightning-check-install.XXXXXX")
worker_pid=
cleanup() {
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s%N)
step_start=$started
step() { # step NAME: prints the time the previous step took, then NAME
  local now; now=$(date +%s%N)
  [ "$step_start" != "$started" ] && printf '  %.1f s\n' "$(( (now - step_start) / 1000000 ))e-3"
  step_start=$now
  [ -n "${1:-}" ] && printf '%s' "$1"
  return 0
}
fail() { echo; echo "check-install: $*" >&2; exit 1; }

step "copy the tracked files (git archive)"
tree=$(cd "$root" && git stash create || true)
(cd "$root" && git archive --format=tar "${tree:-HEAD}") | tar -x -C "$work"
mkdir -p "$work/build" && (cd "$work" && find . -mindepth 1 -maxdepth 1 ! -name build -exec mv {} build/ \;)
cd "$work/build"

step "npm ci --ignore-scripts"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >"$work/npm-ci.log" 2>&1 || { cat "$work/npm-ci.log"; fail "npm ci failed"; }
step "npm run build"
npm run build --silent >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "npm run build failed"; }
step "npm prune --omit=dev"
npm prune --omit=dev --no-audit --no-fund --loglevel=error >"$work/prune.log" 2>&1 || { cat "$work/prune.log"; fail "npm prune failed"; }

step "the runtime image's files only"
mkdir -p "$work/app"
cp -r node_modules dist-bundle package.json agents.yaml bin templates "$work/app/"
cd "$work/app"
export NODE_ENV=production

step "lightning --version"
expected=$(node -p "require('./package.json').version")
version=$(node bin/lightning.js --version) || fail "bin/lightning.js --version failed"
[ "$version" = "$expected" ] || fail "--version printed \"$version\", package.json says \"$expected\""
printf ' → %s' "$version"

step "lightning worker answers /health"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
LIGHTNING_WORKSPACES="$work/workspaces" node bin/lightning.js worker --agent general_assistant --port "$port" >"$work/worker.log" 2>&1 &
worker_pid=$!
health=
for _ in $(seq 1 100); do
  health=$(node -e "fetch('http://127.0.0.1:$port/health').then(r=>r.text()).then(t=>console.log(t),()=>process.exit(1))" 2>/dev/null) && break
  kill -0 "$worker_pid" 2>/dev/null || { cat "$work/worker.log"; fail "the worker exited before answering /health"; }
  sleep 0.1
done
case "$health" in *'"status":"ok"'*) printf ' → %s' "$health" ;; *) cat "$work/worker.log"; fail "no healthy answer from the worker: ${health:-none}" ;; esac
kill "$worker_pid"; wait "$worker_pid" 2>/dev/null || true; worker_pid=

step
total=$(( ($(date +%s%N) - started) / 1000000 ))
printf 'check-install: ok in %.1f s (npm ci, build, prune on a clean copy; the pruned CLI and a worker run)\n' "${total}e-3"
