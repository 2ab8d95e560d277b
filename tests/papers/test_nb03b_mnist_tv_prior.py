"""Tests for the pixel-TV image prior: CNNs, TV, training with the prior, noise accuracy, λ rule, statistics,
and every outcome of every verdict rule on synthetic numbers."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from attrprior.papers.nb03b_mnist_tv_prior.experiment import (TrainConfig, accuracy, check_lambda_grid, eg_maps, make_attribute,
                                   noise_accuracy, random_shift_rotate, select_lambda, standardize_maps,
                                   train_image_model, tv_per_image)
from attrprior.compendium.verdicts import Evidence
from attrprior.papers.nb03b_mnist_tv_prior import robustness as tvr
from attrprior.papers.nb03b_mnist_tv_prior import verdicts as V
from attrprior.papers.nb03b_mnist_tv_prior.cnn import MnistCNN, vgg16_cifar10

torch.set_num_threads(1)


def _toy(n: int = 60, size: int = 12, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose class (0/1/2) is which third of the image holds a bright blob, plus noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    x = 0.1 * torch.randn(n, 1, size, size, generator=g)
    third = size // 3
    for i in range(n):
        x[i, 0, :, y[i] * third:(y[i] + 1) * third] += 0.5
    return x, y


# --------------------------------------------------------------------------- models
@pytest.mark.parametrize("batch_norm", [True, False])
def test_mnist_cnn_shapes(batch_norm):
    model = MnistCNN(batch_norm=batch_norm).eval()
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)
    # flattened size 7·7·64 = 3136 into the 1024-unit hidden layer, as with "SAME" padding
    assert model.classifier[0].in_features == 3136 and model.classifier[0].out_features == 1024
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [(32, (5, 5), (1, 1)), (64, (5, 5), (1, 1))]
    assert any(isinstance(m, nn.Dropout) and m.p == 0.5 for m in model.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == batch_norm


def test_mnist_cnn_rejects_wrong_input():
    with pytest.raises(ValueError, match="expected input"):
        MnistCNN()(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError):
        MnistCNN(image_size=30)


def test_dropout_off_in_eval_mode():
    model = MnistCNN(image_size=12)
    x = torch.randn(4, 1, 12, 12)
    model.eval()
    assert torch.equal(model(x), model(x))
    model.train()
    torch.manual_seed(0)
    assert not torch.equal(model(x), model(x))


def test_vgg16_cifar10_shape():
    model = vgg16_cifar10().eval()
    with torch.no_grad():
        assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)


# --------------------------------------------------------------------------- total variation
def test_tv_constant_zero_and_matches_torchmetrics():
    from torchmetrics.functional.image import total_variation

    const = torch.full((2, 1, 9, 9), 3.0)
    assert np.allclose(tv_per_image(const, standardize=False), 0.0)
    assert np.allclose(tv_per_image(const, standardize=True), 0.0)  # no 0/0 on a flat map
    a = torch.randn(5, 3, 10, 7, generator=torch.Generator().manual_seed(1))
    ref = total_variation(a, reduction="none").numpy()
    assert np.allclose(tv_per_image(a, standardize=False), ref, rtol=1e-5)


def test_standardised_tv_is_scale_free():
    a = torch.randn(4, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    s = standardize_maps(a).flatten(1)
    assert torch.allclose(s.mean(1), torch.zeros(4), atol=1e-5)
    assert torch.allclose(s.std(1, unbiased=False), torch.ones(4), atol=1e-4)
    assert np.allclose(tv_per_image(a), tv_per_image(1e-3 * a), rtol=1e-4)
    assert not np.allclose(tv_per_image(a, standardize=False), tv_per_image(1e-3 * a, standardize=False))


# --------------------------------------------------------------------------- training with the prior
def _tv_of_eg(model: nn.Module, x: torch.Tensor, y: torch.Tensor, refs: torch.Tensor) -> float:
    return float(tv_per_image(eg_maps(model, x, y, refs, n_samples=16, seed=0)).mean())


def test_tv_prior_steps_lower_eg_tv():
    x, y = _toy()
    cfg = TrainConfig(epochs=4, batch_size=20, lr=1e-3)
    fn = lambda: MnistCNN(image_size=12, hidden=64)  # noqa: E731
    base, _ = train_image_model(x, y, None, 0.0, cfg, seed=0, model_fn=fn, device="cpu")
    prior, hist = train_image_model(x, y, "expected_gradients", 1e-2, cfg, seed=0, model_fn=fn, device="cpu")
    assert "prior" in hist.last()
    tv_base, tv_prior = _tv_of_eg(base, x, y, x), _tv_of_eg(prior, x, y, x)
    assert tv_prior < 0.85 * tv_base
    # the prior's own penalty falls over training
    assert hist.series("prior")[-1] < hist.series("prior")[0]


def test_training_is_deterministic_and_joint_mode_runs():
    x, y = _toy(40)
    fn = lambda: MnistCNN(image_size=12, hidden=32)  # noqa: E731
    for mode in ("alternating", "joint"):
        cfg = TrainConfig(epochs=1, batch_size=20, lr=1e-3, mode=mode)
        m1, _ = train_image_model(x, y, "gradients", 1e-3, cfg, seed=3, model_fn=fn, device="cpu")
        m2, _ = train_image_model(x, y, "gradients", 1e-3, cfg, seed=3, model_fn=fn, device="cpu")
        for p1, p2 in zip(m1.parameters(), m2.parameters()):
            assert torch.equal(p1, p2)


def test_attribution_closure_uses_eval_mode_and_restores_train():
    x, y = _toy(10)
    model = MnistCNN(image_size=12, hidden=16).train()
    attr = make_attribute(model, "gradients")((x, y))
    assert attr.shape == x.shape and attr.requires_grad and model.training
    with pytest.raises(ValueError):
        make_attribute(model, "saliency")


def test_bad_training_inputs():
    x, y = _toy(20)
    with pytest.raises(ValueError):
        train_image_model(x, y, "expected_gradients", -1.0, TrainConfig(epochs=1), seed=0)
    with pytest.raises(ValueError):
        train_image_model(x, y, "integrated_gradients", 0.1, TrainConfig(epochs=1), seed=0)
    with pytest.raises(ValueError):
        TrainConfig(mode="simultaneous")


# --------------------------------------------------------------------------- evaluation
def test_noise_accuracy_perfect_toy_set():
    model = MnistCNN(image_size=12, hidden=16).eval()
    x = torch.randn(30, 1, 12, 12, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        y = model(x).argmax(1)  # labels the model gets right by construction
    accs = noise_accuracy(model, x, y, [0.0, 0.5, 5.0], seed=0)
    assert accs[0] == 1.0 and accuracy(model, x, y) == 1.0
    assert np.all(accs <= 1.0) and accs[2] < 1.0
    assert np.array_equal(accs, noise_accuracy(model, x, y, [0.0, 0.5, 5.0], seed=0))  # same noise, same answer


def test_noise_accuracy_bad_sigmas():
    model = MnistCNN(image_size=12, hidden=16)
    x, y = _toy(6)
    with pytest.raises(ValueError, match=">= 0"):
        noise_accuracy(model, x, y, [0.1, -0.2])
    with pytest.raises(ValueError, match="empty"):
        noise_accuracy(model, x, y, [])


def test_select_lambda_rule_and_bad_grids():
    lams, accs, tvs = [1e-3, 1e-2, 1e-1], [0.985, 0.982, 0.90], [50.0, 30.0, 10.0]
    assert select_lambda(lams, accs, tvs, baseline_acc=0.99, tolerance=0.01) == (1e-2, True)
    assert select_lambda(lams, accs, tvs, baseline_acc=0.99, tolerance=0.1) == (1e-1, True)
    assert select_lambda(lams, accs, tvs, baseline_acc=1.0, tolerance=0.001) == (1e-3, False)
    with pytest.raises(ValueError):
        select_lambda([], [], [], 0.9)
    with pytest.raises(ValueError):
        check_lambda_grid([])
    with pytest.raises(ValueError):
        check_lambda_grid([1e-3, -1.0])
    assert check_lambda_grid([1e-1, 1e-3]) == [1e-3, 1e-1]


def test_random_shift_rotate_shapes_and_identity():
    x = torch.rand(4, 3, 16, 16)
    g = torch.Generator().manual_seed(0)
    out = random_shift_rotate(x, g)
    assert out.shape == x.shape
    assert torch.allclose(random_shift_rotate(x, g, max_shift=0, max_deg=0.0), x, atol=1e-5)


# --------------------------------------------------------------------------- statistics
def test_tv_ratio_stats_matches_scipy():
    rng = np.random.default_rng(0)
    base = {0: rng.uniform(50, 60, 12), 1: rng.uniform(50, 60, 12)}
    prior = {s: b * 0.7 + rng.normal(0, 1, 12) for s, b in base.items()}
    s = tvr.tv_ratio_stats(base, prior)
    d = np.concatenate([prior[k] - base[k] for k in (0, 1)])
    assert np.isclose(s["p_value"], stats.wilcoxon(d, alternative="less").pvalue)
    assert np.allclose(s["ratios"], [prior[k].mean() / base[k].mean() for k in (0, 1)])


def test_gain_and_gap_stats():
    s = tvr.paired_gain_stats({0: 0.8, 1: 0.75, 2: 0.9}, {0: 0.7, 1: 0.71, 2: 0.8})
    assert np.allclose(s["gains"], [0.1, 0.04, 0.1]) and s["seeds"] == [0, 1, 2]
    g = tvr.accuracy_gap([0.99, 0.98], [0.97, 0.975])
    assert np.allclose(g["gaps"], [0.02, 0.005]) and np.isclose(g["gap_mean"], 0.0125)
    with pytest.raises(ValueError):
        tvr.paired_gain_stats({0: 1.0}, {1: 1.0})


# --------------------------------------------------------------------------- verdict rules
def ev(effect, p, ci, target=None, power=None, n=5):
    return Evidence("t-test", effect=effect, n=n, p_value=p, ci=ci, target=target, power=power)


def test_paper_values_are_the_supplements():
    assert V.PAPER_MNIST_ACCURACY == {"baseline": 0.9925, "expected_gradients": 0.9836, "gradients": 0.9888}
    assert V.PAPER_MNIST_GAP == pytest.approx(0.0089)


# --------------------------------------------------------------------------- smoother maps
def _tv(scale: float, seeds=(0, 1), n=12, noise=1.0, seed=0):
    rng = np.random.default_rng(seed)
    base = {s: rng.uniform(50, 60, n) for s in seeds}
    return base, {s: b * scale + rng.normal(0, noise, n) for s, b in base.items()}


def test_smoother_each_outcome():
    base, prior = _tv(0.7)
    s = tvr.tv_ratio_stats(base, prior)
    e = V.smoother_evidence(base, prior, s)
    assert e.effect == pytest.approx(np.mean(np.concatenate([1 - prior[k] / base[k] for k in (0, 1)])))
    assert e.p_value == s["p_value"] and e.ci[0] > 0
    assert V.verdict_smoother(s, e) == ("reproduced", "")
    base, prior = _tv(0.95, noise=0.5)  # smoother on average but above the 0.9 threshold
    s = tvr.tv_ratio_stats(base, prior)
    assert V.verdict_smoother(s, V.smoother_evidence(base, prior, s))[0] == "partly reproduced"
    base, prior = _tv(1.3)  # significantly rougher: evidence against the paper
    s = tvr.tv_ratio_stats(base, prior)
    v, why = V.verdict_smoother(s, V.smoother_evidence(base, prior, s))
    assert v == "not reproduced" and "no clear smoothing" in why
    base, prior = _tv(1.0, seeds=(0,), n=4, noise=8.0, seed=3)  # four noisy images: cannot tell
    s = tvr.tv_ratio_stats(base, prior)
    v, why = V.verdict_smoother(s, V.smoother_evidence(base, prior, s))
    assert v == "inconclusive" and "holds 0" in why


# --------------------------------------------------------------------------- accuracy near the baseline
def test_accuracy_evidence_is_the_margin_inside_the_band():
    e = V.accuracy_evidence([0.99, 0.98, 0.985], [0.985, 0.978, 0.98], tolerance=0.01)
    margin = 0.01 - np.array([0.005, 0.002, 0.005])
    assert e.effect == pytest.approx(margin.mean())
    assert e.p_value == pytest.approx(stats.ttest_1samp(margin, 0).pvalue)
    assert e.target == pytest.approx(0.01 - 0.0089) and e.power is not None
    assert V.accuracy_evidence([0.99], [0.98]) is None


def test_accuracy_each_outcome():
    assert V.verdict_accuracy(0.003, ev(0.007, 0.001, (0.005, 0.009), 0.0011, 0.1)) == ("reproduced", "")
    v, why = V.verdict_accuracy(0.015, ev(-0.005, 0.001, (-0.006, -0.004), 0.0011, 0.1))
    assert v == "partly reproduced" and "beyond the 0.01 band" in why  # significantly above 1 pt, within 2
    v, why = V.verdict_accuracy(0.08, ev(-0.07, 0.001, (-0.08, -0.06), 0.0011, 0.1))
    assert v == "not reproduced" and "more than 0.02" in why
    v, why = V.verdict_accuracy(0.004, ev(0.006, 0.4, (-0.03, 0.04), 0.0011, 0.05))  # two noisy seeds
    assert v == "inconclusive" and "the rule alone says 'partly reproduced'" in why
    v, why = V.verdict_accuracy(0.004, None)
    assert v == "inconclusive" and "one seed" in why


# --------------------------------------------------------------------------- noise robustness
def test_gain_evidence_matches_a_paired_ttest():
    a, b = {0: 0.8, 1: 0.75, 2: 0.9}, {0: 0.7, 1: 0.71, 2: 0.8}
    e = V.gain_evidence(a, b)
    ref = stats.ttest_rel([0.8, 0.75, 0.9], [0.7, 0.71, 0.8])
    assert e.p_value == pytest.approx(ref.pvalue) and e.statistic == pytest.approx(ref.statistic)
    assert e.effect == pytest.approx(0.08) and e.target is None and e.ci[0] < 0.08 < e.ci[1]
    assert V.gain_evidence({0: 0.8}, {0: 0.7}) is None


def test_gain_each_outcome():
    sig = ev(0.05, 0.001, (0.03, 0.07))
    assert V.verdict_gain([0.05, 0.04, 0.06], sig) == ("reproduced", "")
    v, why = V.verdict_gain([0.05, 0.05], sig)
    assert v == "partly reproduced" and "only 2 seeds" in why
    v, why = V.verdict_gain([0.05, 0.04, 0.06], ev(0.05, 0.2, (0.01, 0.09), power=0.95))
    assert v == "partly reproduced" and "ahead in every seed" in why  # a powered test, CI clear of 0
    v, why = V.verdict_gain([-0.05, -0.04, -0.06], ev(-0.05, 0.001, (-0.07, -0.03)))
    assert v == "not reproduced" and "opposite" in why
    v, why = V.verdict_gain([0.05, -0.04, 0.01], ev(0.007, 0.8, (-0.1, 0.11)))
    assert v == "inconclusive" and "holds 0" in why
    assert V.verdict_gain([0.05], None)[0] == "inconclusive"


def test_similar_each_outcome():
    null = ev(0.002, 0.7, (-0.01, 0.014))
    assert V.verdict_similar(null, method_detected=True) == ("reproduced", "")
    v, why = V.verdict_similar(ev(-0.03, 0.01, (-0.05, -0.01)), method_detected=True)
    assert v == "partly reproduced" and "Fig. 6 caption" in why  # EG prior significantly ahead
    v, why = V.verdict_similar(ev(0.03, 0.01, (0.01, 0.05)), method_detected=True)
    assert v == "not reproduced" and "gradient prior is significantly more robust" in why
    v, why = V.verdict_similar(null, method_detected=False)
    assert v == "inconclusive" and "did not detect" in why
    assert V.verdict_similar(None, method_detected=True)[0] == "inconclusive"


# --------------------------------------------------------------------------- λ trade-off (extension)
def test_tradeoff_each_outcome():
    elbow = tvr.tradeoff_stats([1e-3, 1e-2, 1e-1], [40, 30, 10], [0.99, 0.98, 0.5], base_tv=50, base_acc=0.99)
    assert elbow["tv_monotone"] and V.verdict_tradeoff(elbow) == ("reproduced", "")
    flat = tvr.tradeoff_stats([1e-3, 1e-2, 1e-1], [40, 30, 20], [0.99, 0.98, 0.985], base_tv=50, base_acc=0.99)
    v, why = V.verdict_tradeoff(flat)
    assert v == "partly reproduced" and "no elbow" in why  # a 1-point dip is not an elbow
    assert V.verdict_tradeoff(flat, elbow_drop=0.01)[0] == "reproduced"
    up = tvr.tradeoff_stats([1e-3, 1e-2, 1e-1], [60, 70, 80], [0.99, 0.99, 0.5], base_tv=50, base_acc=0.99)
    assert V.verdict_tradeoff(up)[0] == "not reproduced"
    short = tvr.tradeoff_stats([1e-3], [40], [0.5], base_tv=50, base_acc=0.99)
    v, why = V.verdict_tradeoff(short)
    assert v == "inconclusive" and "make no curve" in why


def test_model_grid_on_two_workers_matches_the_serial_run():
    """Each (method, λ, seed) is a self-seeding job on the sweep executor: where it ran changes no number."""
    from functools import partial

    from attrprior.papers.nb03b_mnist_tv_prior.experiment import ImageData
    from attrprior.papers.nb03b_mnist_tv_prior.runs import sweep_table, train_runs

    x, y = _toy(60)
    data = ImageData(x[:40], y[:40], x[40:50], y[40:50], x[50:], y[50:], x[:20], "toy blobs")
    grid = [("baseline", 0.0, 0), ("expected_gradients", 1e-2, 0), ("gradients", 1e-2, 1)]
    kw = dict(model_fn=partial(MnistCNN, image_size=12, hidden=32), device="cpu", progress=False)
    cfg = TrainConfig(epochs=1, batch_size=20, lr=1e-3)
    serial, parallel = (train_runs(data, grid, cfg, workers=w, **kw) for w in (1, 2))
    assert list(serial) == list(parallel) == [("baseline", 0.0, 0), ("expected_gradients", 0.01, 0),
                                             ("gradients", 0.01, 1)]
    for key, a in serial.items():
        b = parallel[key]
        assert (a.val_acc, a.test_acc) == (b.val_acc, b.test_acc)
        for (name, p1), (_, p2) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
            assert torch.equal(p1, p2), (key, name)
    assert sweep_table(serial, data, 4, 3).equals(sweep_table(parallel, data, 4, 3))
    done = train_runs(data, grid[:1] + [("baseline", 0.0, 2)], cfg, done=serial, **kw)  # only the new seed trains
    assert done[grid[0]] is serial[grid[0]] and len(done) == 4
