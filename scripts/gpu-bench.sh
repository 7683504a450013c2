#!/usr/bin/env bash
# On a machine with an NVIDIA GPU, CUDA 13 and cuDNN 9 libraries, torch and torchvision: exports MobileNetV2 and
# ViT-B/16 with random weights and runs `bench score` with each on the GPU (Scoring:ExecutionProvider=cuda refuses to
# fall back to the CPU, so a figure printed is a GPU figure). Extra arguments go to bench score, e.g. --items 5000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh postgres
out=$(mktemp -d)
python3 scripts/export_gpu_models.py "$out"
dotnet build Console -c Release
for model in mobilenet-v2 vit-b16; do
  for batch in 32 128; do
    echo "== $model, batch $batch"
    dotnet Console/bin/Release/net10.0/ModerationConsole.dll bench score --model "$out/$model.json" --batch "$batch" \
      --Scoring:ExecutionProvider=cuda --Scoring:DecodeThreads=0 "$@" || true
  done
done
rm -rf "$out"
