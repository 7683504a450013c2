#!/usr/bin/env bash
# Starts the console on the embedded PostgreSQL cluster (under .data/) with demo accounts and simulated traffic.
# Extra arguments go to `serve`, e.g. ./run.sh --urls http://0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-packages.sh postgres npm
# The default image model (nsfwjs' MobileNetV2), fetched and converted once into models/; the console activates it.
dotnet run --project Console -c Release -- model install-default
# The demo trains the console's own prompt classifier at first start (a few seconds) when the database has none.
exec dotnet run --project Console -c Release -- serve --demo --Scoring:TrainPromptModelIfMissing=true "$@"
