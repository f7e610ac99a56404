#!/bin/sh
# The image's entrypoint (deploy/Dockerfile): `docker run coldtrace <command> …` runs `coldtrace <command> …`.
# The gateway (`edge`) starts as deploy/systemd/coldtrace-edge@.service starts it: the compiled runtime and
# the unit's node flags (docs/performance.md "Gateway footprint"; journeys/test/deploy-examples.test.ts
# checks that both say the same). exec: node is the container's process and gets its signals.
root=$(cd "$(dirname "$0")/.." && pwd)
if [ "$1" = edge ]; then
  export COLDTRACE_EDGE_RUNTIME=compiled
  exec node --max-semi-space-size=1 --optimize-for-size --lite-mode "$root/bin/coldtrace.mjs" "$@"
fi
exec node "$root/bin/coldtrace.mjs" "$@"
