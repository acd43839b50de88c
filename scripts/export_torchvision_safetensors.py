#!/usr/bin/env python3
"""Export torchvision ResNet50 weights to safetensors for `dlrn`.

dlrn reads torchvision state dicts directly (.pth or .safetensors) with
`dlrn extract deep --weights FILE` and `dlrn finetune --init FILE`. This
script is for users who have torchvision weights (ImageNet or their own) and
want a safetensors file: it is plain tensors, memory-mappable, and needs no
pickle.

Usage:
  python3 export_torchvision_safetensors.py OUT.safetensors
      ImageNet weights through torchvision's own cache
      (ResNet50_Weights.IMAGENET1K_V1, the study's starting point; needs the
      weights file already in torch's hub cache or network access).
  python3 export_torchvision_safetensors.py OUT.safetensors --state-dict IN.pth
      A saved state dict or checkpoint (a dict holding `state_dict` or
      `model_state_dict` is unwrapped; a `module.` prefix from DataParallel
      is removed).

Requires: torch, torchvision, safetensors (pip install torch torchvision safetensors).
Keys stay torchvision's (`layer1.0.downsample.0.weight`, ...); dlrn remaps
them on import.
"""
import argparse
import sys

import torch
import torchvision
from safetensors.torch import save_file


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model_state_dict"):
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
    return {k.removeprefix("module."): v for k, v in obj.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output .safetensors file")
    ap.add_argument("--state-dict", help="a .pth state dict instead of ImageNet weights")
    args = ap.parse_args()
    if args.state_dict:
        sd = load_state_dict(args.state_dict)
    else:
        weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V1
        sd = torchvision.models.resnet50(weights=weights).state_dict()
    # Check the keys fit torchvision's resnet50 (the head may differ in size).
    ref = torchvision.models.resnet50().state_dict()
    missing = [k for k in ref if k not in sd and not k.startswith("fc.")]
    if missing:
        sys.exit(f"not a torchvision resnet50 state dict: missing {missing[:5]}")
    sd = {
        k: (v.detach().to(torch.float32) if v.is_floating_point() else v.detach()).contiguous()
        for k, v in sd.items()
    }
    save_file(sd, args.out, metadata={"source": "torchvision " + torchvision.__version__})
    print(f"{args.out}: {len(sd)} tensors")


if __name__ == "__main__":
    main()
