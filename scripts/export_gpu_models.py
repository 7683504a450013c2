#!/usr/bin/env python3
"""Exports torchvision MobileNetV2 and ViT-B/16 with RANDOM weights (weights do not change speed) to ONNX, each with
a console manifest beside it (224x224, ImageNet mean/std, NCHW, sigmoid over 8 outputs mapped to the policy
categories). Needs torch and torchvision; nothing is downloaded (weights=None). Usage: export_gpu_models.py OUT_DIR"""
import json, os, sys
import torch, torchvision

CATEGORIES = ["sexual", "sexual_minors", "violence", "self_harm", "hate", "harassment", "illicit", "real_person"]
out = sys.argv[1] if len(sys.argv) > 1 else "gpu-models"
os.makedirs(out, exist_ok=True)
models = {
    "mobilenet-v2": torchvision.models.mobilenet_v2(weights=None, num_classes=len(CATEGORIES)),
    "vit-b16": torchvision.models.vit_b_16(weights=None, num_classes=len(CATEGORIES)),
}
for name, model in models.items():
    model.eval()
    path = os.path.join(out, f"{name}.onnx")
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), path, input_names=["pixel_values"], output_names=["logits"],
                      dynamic_axes={"pixel_values": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
    manifest = {
        "name": name, "version": "random-1", "modality": "image", "file": f"{name}.onnx", "output": "logits",
        "activation": "sigmoid", "labels": [{"name": c, "category": c} for c in CATEGORIES],
        "image": {"input": "pixel_values", "width": 224, "height": 224, "layout": "NCHW", "resize": "stretch",
                  "sampler": "bilinear", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
    }
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print(f"wrote {path}")
