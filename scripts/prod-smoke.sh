#!/usr/bin/env bash
# Runs the container build's steps (agent/Dockerfile, operator/Dockerfile) without a container
# engine, so CI proves the production output starts:
#   1. build stage:   npm ci (full tree)  +  npm run build -w <ws>      (tsc -> dist)
#   2. deps stage:    npm ci --omit=dev -w <ws> in a clean staging dir  (production deps only,
#                     pruned of source maps, declarations and changelogs)
#   3. runtime stage: staging = node_modules + <ws>/package.json + <ws>/dist; start it with plain
#                     Node 24 (the `node` npm package's binary) on dist/main.js, from a read-only
#                     copy, and check /healthz and /readyz, then SIGTERM and expect a clean exit.
# Usage: scripts/prod-smoke.sh [agent|operator]   (operator: steps 1-2 and an import check;
#        starting it needs a cluster, which charts/test covers).
# scripts/images/smoke.sh runs the built images themselves (buildah), with a simulated call.
set -euo pipefail
ws="${1:-agent}"
case "$ws" in agent | operator) ;; *) echo "usage: $0 [agent|operator]" >&2; exit 2 ;; esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node24="${NODE24:-$repo/node_modules/node/bin/node}"
[[ -x "$node24" ]] || { echo "prod-smoke: Node 24 binary not found at $node24 (run npm ci at the repo root)" >&2; exit 1; }
"$node24" -e 'if (+process.versions.node.split(".")[0] !== 24) { console.error("need Node 24, got " + process.version); process.exit(1) }'
export PATH="$(dirname "$node24"):$PATH" # npm and tsc run on Node 24 too, as in node:24-slim
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

tmp="$(mktemp -d "${TMPDIR:-/tmp}/hva-prod-smoke.XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
step() { printf '[prod-smoke %s] %s\n' "$(date +%T)" "$*"; }

step "copying the build context (tracked + untracked, not ignored) to $tmp/src"
mkdir -p "$tmp/src" "$tmp/app/$ws"
(cd "$repo" && git ls-files -co --exclude-standard -z | grep -zv -E '(^|/)(node_modules|dist)/' |
  tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$tmp/src"

step "build stage: npm ci && npm run build -w $ws"
(cd "$tmp/src" && npm ci --ignore-scripts --prefer-offline --loglevel=error && npm run build -w "$ws" --silent)
[[ -f "$tmp/src/$ws/dist/main.js" ]] || { echo "prod-smoke: $ws/dist/main.js was not built" >&2; exit 1; }

step "deps stage: npm ci --omit=dev -w $ws"
cp "$tmp/src/package.json" "$tmp/src/package-lock.json" "$tmp/app/"
for w in agent operator; do mkdir -p "$tmp/app/$w" && cp "$tmp/src/$w/package.json" "$tmp/app/$w/"; done
(cd "$tmp/app" && npm ci --omit=dev -w "$ws" --ignore-scripts --prefer-offline --loglevel=error)
for w in agent operator; do [[ "$w" == "$ws" ]] || rm -rf "${tmp:?}/app/$w"; done
# As the Dockerfiles do: no source maps, type declarations or changelogs in the production tree.
find "$tmp/app/node_modules" "$tmp/app/$ws/node_modules" -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.[cm]ts' \
  -o \( -iname '*.md' ! -iname 'licen[cs]e*' \) \) -delete 2>/dev/null || true
cp -R "$tmp/src/$ws/dist" "$tmp/app/$ws/dist"
for dev in typescript vitest eslint prettier node; do
  if [[ -e "$tmp/app/node_modules/$dev" ]]; then echo "prod-smoke: dev dependency '$dev' in the production tree" >&2; exit 1; fi
done
step "production tree: $(du -sh "$tmp/app/node_modules" | cut -f1) node_modules, $(find "$tmp/app/node_modules" -maxdepth 2 -name package.json | wc -l) top-level packages"

chmod -R a-w "$tmp/app" # read-only root filesystem: the process must not need to write its own tree
cd "$tmp/app/$ws"
if [[ "$ws" == "operator" ]]; then
  step "operator: resolving every import of dist/main.js's modules (no cluster here)"
  for f in $(find dist -name '*.js' ! -name 'main.js'); do NODE_ENV=production "$node24" -e "await import('./$f')" --input-type=module; done
  step "ok"
  exit 0
fi

port="$("$node24" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
admin_port="$("$node24" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
step "runtime: node dist/main.js on port $port (admin: probes, metrics, drain on $admin_port)"
# PLAYGROUND_ENABLED: the page's static assets must be in dist (npm run build copies them).
NODE_ENV=production PLAYGROUND_ENABLED=true PORT="$port" ADMIN_PORT="$admin_port" HOST=127.0.0.1 LOG_LEVEL="${LOG_LEVEL:-info}" "$node24" dist/main.js >"$tmp/agent.log" 2>&1 &
pid=$!
ok=""
for _ in $(seq 1 150); do
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && curl -fsS "http://127.0.0.1:$admin_port/readyz" >/dev/null 2>&1; then ok=1; break; fi
  sleep 0.2
done
if [[ -z "$ok" ]]; then
  echo "prod-smoke: /healthz and /readyz did not both answer 200 within 30 s; agent log:" >&2
  tail -n 50 "$tmp/agent.log" >&2
  exit 1
fi
step "/healthz: $(curl -fsS "http://127.0.0.1:$port/healthz")"
step "/readyz:  $(curl -fsS "http://127.0.0.1:$admin_port/readyz")"
step "/playground: $(curl -fsS -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$port/playground/static/capture-worklet.js")"
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "prod-smoke: agent did not exit within 10 s of SIGTERM (no calls were active)" >&2; tail -n 20 "$tmp/agent.log" >&2; exit 1; fi
set +e; wait "$pid"; rc=$?; set -e; pid=""
[[ "$rc" == 0 ]] || { echo "prod-smoke: agent exited with $rc after SIGTERM" >&2; tail -n 20 "$tmp/agent.log" >&2; exit 1; }
step "boot lines:"
grep -E 'Streaming STT enabled|Providers live|synthesiser ready|Tracing|drain complete' "$tmp/agent.log" | cut -c1-400 || true
step "ok: production build starts, is healthy and ready, and exits cleanly on SIGTERM"
