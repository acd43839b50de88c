"""PyTorch side of `cargo xtask bench deep` (Rust side: benches/resnet50.rs): torchvision resnet50 forward
throughput (images/s), eval mode, torch.inference_mode, random weights and
input, up to the pooled features (fc replaced by Identity, as dlrn extracts).

Usage: python3 bench_torch.py [--device cpu|cuda] [--batches 1,16]
                              [--secs 5] [--threads N] [--side 224]
--threads defaults to torch's (all cores); give the same count as Burn's.
Prints one JSON object per batch size on stdout.
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--secs", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--side", type=int, default=224)
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50()
    model.fc = torch.nn.Identity()
    model = model.eval().to(args.device)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    for batch in [int(b) for b in args.batches.split(",")]:
        x = torch.randn(batch, 3, args.side, args.side)
        with torch.inference_mode():
            for _ in range(2):
                model(x.to(args.device)).cpu()
            sync()
            t0 = time.perf_counter()
            iters = 0
            while iters < 3 or time.perf_counter() - t0 < args.secs:
                # Host → device → host each pass, as Burn's side does.
                model(x.to(args.device)).cpu()
                iters += 1
            sync()
            dt = time.perf_counter() - t0
        print(json.dumps({
            "impl": "pytorch-eager",
            "device": args.device,
            "batch": batch,
            "side": args.side,
            "threads": torch.get_num_threads(),
            "iters": iters,
            "images_per_s": round(iters * batch / dt, 3),
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        }))


if __name__ == "__main__":
    main()
