"""Side-by-side benchmarks of the attribution core (issue: attribution core and prior API).

    python benchmarks/run_all.py [--quick] [--out benchmarks/results]

Writes ``<device>.json`` and ``<device>.md`` with machine information. Ratios are measured in one
process, same model and batch, interleaved repeats, median of the per-repeat ratios, so a busy
machine slows both sides alike. These are not tests: nothing here asserts a timing.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from attrprior.core import attributions as A
from attrprior.core.priors import GiniSparsity, TotalVariation
from attrprior.core.training import prior_loss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from prior_steps import prior_step_ratios  # noqa: E402
from sweep_scaling import sweep_speedup  # noqa: E402


def tabular_mlp(p: int = 60) -> nn.Module:
    return nn.Sequential(nn.Linear(p, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 1))


def mnist_cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Linear(1024, 10))


def burgess_encoder(d: int = 3) -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(),
                         nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, d))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn: Callable[[], object], device: torch.device) -> float:
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def compare(fns: dict[str, Callable[[], object]], device: torch.device, repeats: int) -> dict[str, float]:
    """Median seconds per call of each function, interleaved, after one warm-up each."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn, device))
    return {k: statistics.median(v) for k, v in times.items()}


def train_step_ratio(model: nn.Module, x: torch.Tensor, y: torch.Tensor, task, prior, target, device,
                     repeats: int) -> dict[str, float]:
    """Plain optimiser step vs the same step plus an EG (k=1, shifted batch) attribution prior."""
    model = model.to(device)
    x, y = x.to(device), y.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    attribute = lambda: A.expected_gradients(model, x, "batch", target=target, n_samples=1,  # noqa: E731
                                             create_graph=True)
    plain_loss = prior_loss(lambda b: task(model(x), y))
    eg_loss = prior_loss(lambda b: task(model(x), y), lambda b: attribute(), prior, 0.1)

    def step(loss_fn):
        def run():
            opt.zero_grad()
            loss_fn(None)[0].backward()
            opt.step()
        return run

    t = compare({"plain": step(plain_loss), "eg_prior": step(eg_loss)}, device, repeats)
    return {"plain_s": t["plain"], "eg_prior_s": t["eg_prior"], "ratio": t["eg_prior"] / t["plain"]}


def throughput(device: torch.device, n_samples: int, repeats: int, include_shap: bool) -> dict[str, float]:
    """Samples/s of EG (ours), captum GradientShap and shap GradientExplainer, same MLP and draws count."""
    from captum.attr import GradientShap

    torch.manual_seed(0)
    model = tabular_mlp().to(device).eval()
    x, background = torch.randn(256, 60, device=device), torch.randn(200, 60, device=device)
    gs = GradientShap(model)
    fns = {
        "ours": lambda: A.expected_gradients(model, x, background, n_samples=n_samples),
        "captum": lambda: gs.attribute(x, background, n_samples=n_samples, stdevs=0.0),
    }
    if include_shap:
        import shap

        explainer = shap.GradientExplainer(model, background)
        small = x[:32]
        fns["shap"] = lambda: explainer.shap_values(small, nsamples=n_samples)
    t = compare(fns, device, repeats)
    out = {f"{k}_samples_per_s": (32 if k == "shap" else 256) / v for k, v in t.items()}
    out["ours_vs_captum"] = out["ours_samples_per_s"] / out["captum_samples_per_s"]
    if include_shap:
        out["ours_vs_shap"] = out["ours_samples_per_s"] / out["shap_samples_per_s"]
    return out


def latent_speed(device: torch.device, d: int, repeats: int) -> dict[str, float]:
    """All d latents of a Burgess encoder in one batched pass vs captum looping over the d targets."""
    from captum.attr import GradientShap

    torch.manual_seed(0)
    enc = burgess_encoder(d).to(device).eval()
    x = torch.rand(128, 1, 32, 32, device=device)
    zeros = torch.zeros(1, 1, 32, 32, device=device)
    gs = GradientShap(enc)
    t = compare({
        "batched": lambda: A.latent_attributions(enc, x, method="gradient_shap", baselines=zeros, n_samples=5),
        "captum_loop": lambda: [gs.attribute(x, zeros, target=j, n_samples=5) for j in range(d)],
    }, device, repeats)
    return {"batched_s": t["batched"], "captum_loop_s": t["captum_loop"], "speedup": t["captum_loop"] / t["batched"]}


def _cnn_step(device: torch.device, eg: bool) -> Callable[[], None]:
    torch.manual_seed(0)
    model = mnist_cnn().to(device)
    x, y = torch.rand(50, 1, 28, 28, device=device), torch.randint(10, (50,), device=device)
    opt = torch.optim.Adam(model.parameters(), 1e-4)

    def step() -> None:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        if eg:
            attr = A.expected_gradients(model, x, "batch", target=y, create_graph=True)
            loss = loss + 0.1 * TotalVariation()(attr)
        loss.backward()
        opt.step()

    return step


def saved_for_backward_mib(step: Callable[[], None]) -> float:
    """Bytes of distinct tensors autograd saves for the backward pass during one step: the
    activation memory a training step needs, counted exactly (deterministic, unlike RSS)."""
    seen: dict[tuple[int, int], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        seen[key] = t.untyped_storage().nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return sum(seen.values()) / 2**20


def peak_memory(device: torch.device) -> dict[str, float]:
    """Memory of the EG-prior step vs the plain step (CNN, batch 50): activation memory saved for
    backward on every device, plus the allocator's peak on CUDA."""
    out: dict[str, float] = {}
    for name, eg in (("plain", False), ("eg_prior", True)):
        step = _cnn_step(device, eg)
        step()
        out[f"{name}_saved_MiB"] = saved_for_backward_mib(step)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
            step()
            out[f"{name}_peak_MiB"] = torch.cuda.max_memory_allocated() / 2**20
    out["saved_ratio"] = out["eg_prior_saved_MiB"] / out["plain_saved_MiB"]
    if device.type == "cuda":
        out["peak_ratio"] = out["eg_prior_peak_MiB"] / out["plain_peak_MiB"]
    return out


def machine_info(device: torch.device) -> dict[str, object]:
    info = {"python": sys.version.split()[0], "torch": torch.__version__, "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "device": str(device),
            "load_average_at_start": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M")}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def to_markdown(res: dict) -> str:
    m = res["machine"]
    lines = [f"### Benchmarks on {m.get('gpu', 'CPU')} ({m['device']}, torch {m['torch']}, "
             f"{m['cpu_count']} cores, load {m['load_average_at_start'][0]:.1f} at start, {m['date']}"
             + (f"; sweep rows rerun {m['sweep_rerun']}" if m.get("sweep_rerun") else "") + ")", "",
             "| benchmark | ours | reference | ratio | goal |", "|---|---|---|---|---|"]
    for name, r in res["train_step"].items():
        lines.append(f"| EG-prior step / plain step ({name}) | {r['eg_prior_s']*1e3:.1f} ms | "
                     f"{r['plain_s']*1e3:.1f} ms | {r['ratio']:.2f}× | ≤ 2.5× |")
    t = res["throughput"]
    lines.append(f"| EG throughput vs captum GradientShap | {t['ours_samples_per_s']:.0f}/s | "
                 f"{t['captum_samples_per_s']:.0f}/s | {t['ours_vs_captum']:.2f}× | ≥ 1.0× |")
    if "shap_samples_per_s" in t:
        lines.append(f"| EG throughput vs shap GradientExplainer | {t['ours_samples_per_s']:.0f}/s | "
                     f"{t['shap_samples_per_s']:.0f}/s | {t['ours_vs_shap']:.1f}× | ≥ 5× |")
    lat = res["latent"]
    lines.append(f"| {res['latent_d']} latents batched vs captum loop | {lat['batched_s']*1e3:.0f} ms | "
                 f"{lat['captum_loop_s']*1e3:.0f} ms | {lat['speedup']:.2f}× | ≥ 2× |")
    for name, r in res.get("prior_steps", {}).items():
        if not isinstance(r, dict):
            continue
        for variant in ("ours", "fused", "reference"):
            if f"{variant}_s" in r:
                lines.append(f"| EG-prior step / plain step, {variant} ({name}) | {r[variant + '_s']*1e3:.1f} ms | "
                             f"{r['plain_s']*1e3:.1f} ms | {r[variant + '_ratio']:.2f}× | "
                             f"{'≤ reference, ≤ 1.05 × fused' if variant == 'ours' else '—'} |")
    if res.get("prior_steps", {}).get("reference_missing"):
        lines.append(f"| reference explainer | not measured: {res['prior_steps']['reference_missing']} | | | |")
    if "sweep" in res:
        sw = res["sweep"]
        lines.append(f"| sweep of {sw['jobs']} training jobs, 2 workers vs 1 (cluster start included; results "
                     f"identical: {sw['identical']}) | {sw['two_workers_s']:.1f} s | {sw['one_worker_s']:.1f} s | "
                     f"{sw['speedup']:.2f}× | ≥ 1.8× |")
        if "hardware_ceiling" in sw:
            lines.append(f"| two plain processes at once vs one alone (this machine's ceiling for 2 workers) | | | "
                         f"{sw['hardware_ceiling']:.2f}× | — |")
    mem = res["memory"]
    lines.append(f"| activation memory saved for backward, EG-prior / plain step (CNN, batch 50) | "
                 f"{mem['eg_prior_saved_MiB']:.0f} MiB | {mem['plain_saved_MiB']:.0f} MiB | "
                 f"{mem['saved_ratio']:.2f}× | — |")
    if "peak_ratio" in mem:
        lines.append(f"| peak allocated GPU memory, EG-prior / plain step | {mem['eg_prior_peak_MiB']:.0f} MiB | "
                     f"{mem['plain_peak_MiB']:.0f} MiB | {mem['peak_ratio']:.2f}× | — |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (for a smoke check)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (the notebooks use 1)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--sweep-only", action="store_true",
                        help="rerun only the sweep-scaling rows and keep the rest of <out>/<device>.json")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    reps = 3 if args.quick else 15
    tag = "gpu" if device.type == "cuda" else "cpu"
    if args.sweep_only:
        res = json.loads((args.out / f"{tag}.json").read_text())
        res["sweep"] = sweep_speedup(n_jobs=4 if args.quick else 12, steps=200 if args.quick else 3000)
        res["machine"]["sweep_rerun"] = time.strftime("%Y-%m-%d %H:%M")
        (args.out / f"{tag}.json").write_text(json.dumps(res, indent=2))
        (args.out / f"{tag}.md").write_text(to_markdown(res))
        print(to_markdown(res))
        return 0
    torch.manual_seed(0)
    res: dict[str, object] = {"machine": machine_info(device), "latent_d": 3}
    mse = lambda out, y: nn.functional.mse_loss(out.squeeze(1), y)  # noqa: E731
    res["train_step"] = {
        "MLP tabular 60 features, batch 256": train_step_ratio(
            tabular_mlp(), torch.randn(256, 60), torch.randn(256), mse, GiniSparsity(), None, device, reps),
        "CNN MNIST 28×28, batch 50": train_step_ratio(
            mnist_cnn(), torch.rand(50, 1, 28, 28), torch.randint(10, (50,)), nn.functional.cross_entropy,
            TotalVariation(), torch.randint(10, (50,)).to(device), device, reps),
    }
    res["throughput"] = throughput(device, n_samples=10, repeats=reps, include_shap=True)
    res["latent"] = latent_speed(device, 3, reps)
    res["memory"] = peak_memory(device)
    res["prior_steps"] = prior_step_ratios(compare, mnist_cnn, device, reps)
    if device.type == "cpu":
        res["sweep"] = sweep_speedup(n_jobs=4 if args.quick else 12, steps=200 if args.quick else 3000)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{tag}.json").write_text(json.dumps(res, indent=2))
    (args.out / f"{tag}.md").write_text(to_markdown(res))
    print(to_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
