#!/usr/bin/env bash
# Starts the console on the embedded PostgreSQL cluster (under .data/) with demo accounts and simulated traffic.
# Extra arguments go to `serve`, e.g. ./run.sh --urls http://0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-packages.sh postgres
# The demo trains the console's own prompt classifier at first start (a few seconds) when the database has none.
exec dotnet run --project Console -c Release -- serve --demo --Scoring:TrainPromptModelIfMissing=true "$@"
