#!/usr/bin/python3
"""The PyTorch peer's SimCLR step, timed phase by phase and under torch.profiler.

Run by `bin/pretext bench profile` (ProfileBench) so that the peer's step is split the same way as
Pretext's: augmentation, batch assembly (stacking the views), forward, backward, optimiser step.
It imports the peer's own model, augmentation, loss and optimiser from simclr_peer.py (--peer DIR)
and feeds them seeded noise images of the same shape (32 x 32 RGB): the cost of a step does not
depend on the pixels. Writes --json FILE:
  timed: ms per step of each phase, source images/s
  top_ops: the operators with the largest self CPU time per step (torch.profiler)
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True, help="the folder holding simclr_peer.py")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--json", required=True)
    args = ap.parse_args()

    sys.path.insert(0, args.peer)
    import numpy as np
    import torch
    from PIL import Image
    import simclr_peer as peer

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    b = args.batch_size
    images = [Image.fromarray(rng.randint(0, 256, (32, 32, 3), dtype=np.uint8)) for _ in range(b)]
    mean, std = [0.5, 0.5, 0.5], [0.25, 0.25, 0.25]
    aug = peer.TwoViewAugment(mean, std)
    model = peer.SimCLR(args.width)
    opt_args = argparse.Namespace(opt="sgd", lr=None, wd=None, batch_size=b)
    opt, _ = peer.make_optimizer(opt_args, model)
    model.train()

    t = dict(augmentation_ms=0.0, batch_assembly_ms=0.0, forward_ms=0.0, backward_ms=0.0, updater_and_rest_ms=0.0)

    def step(timed):
        t0 = time.perf_counter()
        v1 = [aug.t(im) for im in images]
        v2 = [aug.t(im) for im in images]
        t1 = time.perf_counter()
        x = torch.cat([torch.stack(v1), torch.stack(v2)], 0)
        t2 = time.perf_counter()
        z = model(x)
        loss = peer.nt_xent(z[:b], z[b:], 0.5)
        t3 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t4 = time.perf_counter()
        opt.step()
        t5 = time.perf_counter()
        if timed:
            t["augmentation_ms"] += (t1 - t0) * 1000
            t["batch_assembly_ms"] += (t2 - t1) * 1000
            t["forward_ms"] += (t3 - t2) * 1000
            t["backward_ms"] += (t4 - t3) * 1000
            t["updater_and_rest_ms"] += (t5 - t4) * 1000

    for _ in range(args.warmup):
        step(False)
    for _ in range(args.steps):
        step(True)
    timed = {k: v / args.steps for k, v in t.items()}
    timed["step_ms"] = sum(timed.values())
    timed["source_images_per_s"] = b / (timed["step_ms"] / 1000)

    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(args.steps):
            step(False)
    rows = []
    for e in prof.key_averages():
        rows.append(dict(name=e.key, calls=e.count // args.steps,
                         self_ms_per_step=e.self_cpu_time_total / 1000.0 / args.steps))
    rows.sort(key=lambda r: -r["self_ms_per_step"])
    result = dict(torch=torch.__version__, threads=torch.get_num_threads(), batch_size=b, width=args.width,
                  steps=args.steps, warmup=args.warmup, timed=timed, top_ops=rows[:args.top])
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
    print("peer profile: %.1f ms/step, %.1f source images/s" % (timed["step_ms"], timed["source_images_per_s"]))
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.top))


if __name__ == "__main__":
    main()
