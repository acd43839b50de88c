"""PyTorch side of `cargo xtask bench deep` (Rust side: benches/resnet50.rs): torchvision resnet50 forward
throughput (images/s), eval mode, torch.inference_mode, random weights and
input, up to the pooled features (fc replaced by Identity, as dlrn extracts).

Usage: python3 bench_torch.py [--device cpu|cuda] [--batches 1,16]
                              [--secs 5] [--threads N] [--side 224]
                              [--repeats R]
       python3 bench_torch.py --train [--batches 8,16] [--runs 3] [--steps 2]
--threads defaults to torch's (all cores); give the same count as Burn's.
Prints one JSON object per batch size on stdout; with --repeats R the
inference timing is repeated R times and `runs` lists each run's images/s.

--train: the training side of benches/resnet50_train.rs: resnet50 with a
2-class head (`fc = Linear(2048, 2)`), train mode, one step =
`zero_grad(); CrossEntropyLoss()(model(x), y).backward(); Adam(lr=1e-4,
eps=1e-8).step()`, random input and labels, no augmentation; one warm-up
step, then `--runs` runs of `--steps` steps.
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
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=2)
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.train:
        return train(args)
    model = torchvision.models.resnet50()
    model.fc = torch.nn.Identity()
    model = model.eval().to(args.device)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    for batch in [int(b) for b in args.batches.split(",")]:
        x = torch.randn(batch, 3, args.side, args.side)
        rates = []
        with torch.inference_mode():
            for _ in range(2):
                model(x.to(args.device)).cpu()
            for _ in range(max(args.repeats, 1)):
                sync()
                t0 = time.perf_counter()
                iters = 0
                while iters < 3 or time.perf_counter() - t0 < args.secs:
                    # Host → device → host each pass, as Burn's side does.
                    model(x.to(args.device)).cpu()
                    iters += 1
                sync()
                dt = time.perf_counter() - t0
                rates.append(round(iters * batch / dt, 3))
        print(json.dumps({
            "impl": "pytorch-eager",
            "device": args.device,
            "batch": batch,
            "side": args.side,
            "threads": torch.get_num_threads(),
            "iters": iters,
            "runs": rates,
            "images_per_s": sorted(rates)[len(rates) // 2],
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        }))


def train(args):
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    for batch in [int(b) for b in args.batches.split(",")]:
        model = torchvision.models.resnet50()
        model.fc = torch.nn.Linear(2048, 2)
        model = model.train().to(args.device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-8)
        loss_fn = torch.nn.CrossEntropyLoss()
        x = torch.randn(batch, 3, args.side, args.side)
        y = torch.tensor([i % 2 for i in range(batch)])

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x.to(args.device)), y.to(args.device))
            loss.backward()
            opt.step()
            # Read the loss on the host, as Burn's step does.
            return loss.item()

        step()
        rates = []
        for _ in range(args.runs):
            sync()
            t0 = time.perf_counter()
            for _ in range(args.steps):
                step()
            sync()
            rates.append(round(args.steps * batch / (time.perf_counter() - t0), 3))
        print(json.dumps({
            "impl": "pytorch-train",
            "device": args.device,
            "batch": batch,
            "side": args.side,
            "threads": torch.get_num_threads(),
            "steps": args.steps,
            "runs": rates,
            "images_per_s": sorted(rates)[len(rates) // 2],
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
        }))


if __name__ == "__main__":
    main()
