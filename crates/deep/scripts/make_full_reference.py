"""Full-size torchvision reference for `cargo xtask verify-torch`.

Writes into DIR: resnet50.safetensors and resnet50.pth (a random torchvision
resnet50 state dict, seed 0, BatchNorm statistics randomised so eval mode is
non-trivial), input.bin (f32 LE [N, 3, 224, 224], N = --batch, default 2) and
features.bin (f32 LE [N, 2048], avgpool output in eval mode), meta.json.

Usage: python3 make_full_reference.py DIR [--batch N]
Then:  cargo run -p dlrn-deep --example verify_torch -- DIR
"""
import argparse
import json
import pathlib

import torch
import torchvision
from safetensors.torch import save_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--batch", type=int, default=2)
    args = ap.parse_args()
    out = pathlib.Path(args.dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.resnet50()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(sd, str(out / "resnet50.safetensors"))
    torch.save(sd, out / "resnet50.pth")
    x = torch.randn(args.batch, 3, 224, 224)
    model.fc = torch.nn.Identity()
    with torch.no_grad():
        f = model(x)
    x.numpy().astype("<f4").tofile(out / "input.bin")
    f.numpy().astype("<f4").tofile(out / "features.bin")
    meta = {"batch": args.batch, "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "max_abs_feature": float(f.abs().max())}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
