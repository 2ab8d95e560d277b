"""Resolving the rotation of a latent space before its loadings are scored (issue 20, notebook 02).

A Gaussian-prior VAE, like a factor model, is identified only up to an orthogonal rotation of its latents: any
``z' = zR`` fits the data equally well. Scoring each latent's attributions against one true factor without
resolving that rotation judges the method on a basis it was never asked to find. Every method is therefore
treated the same way here:

1. standardise its latent scores ``Z [n, d]`` (each latent to unit variance);
2. choose an orthogonal ``R [d, d]`` from data the method saw, never from ``L``'s zero pattern:
   ``"varimax"`` — Kaiser's varimax of the structure matrix ``Cov(X, Z_std) [p, d]`` (no truth at all); or
   ``"procrustes"`` — the orthogonal Procrustes match of ``Z_std`` to the true activations ``F`` (an oracle for
   the rotation only; it never sees ``L``); ``"none"`` keeps the latents as they are;
3. re-express the method's loading estimate in the new latents ``Z' = (Z − m) D⁻¹ R`` (``D`` the latent sds):
   an *encoder-type* estimate (attributions, PCA components), which maps features to latents, becomes
   ``Rᵀ D⁻¹ Φ`` — exact for attributions, which are linear in the explained output; a *loadings-type* estimate
   (factor analysis' components), which maps latents to features, becomes ``Rᵀ D Λᵀ``.
"""
from __future__ import annotations

import numpy as np

ROTATIONS = ("none", "varimax", "procrustes")


def varimax(loadings: np.ndarray, gamma: float = 1.0, max_iter: int = 500, tol: float = 1e-8) -> np.ndarray:
    """Kaiser's varimax: the orthogonal ``R [d, d]`` maximising the variance of squared loadings of ``loadings @ R``
    (``loadings`` is ``[p, d]``). The standard SVD iteration (as in R's ``stats::varimax`` without normalisation)."""
    L = np.asarray(loadings, dtype=float)
    p, d = L.shape
    R = np.eye(d)
    objective = 0.0
    for _ in range(max_iter):
        LR = L @ R
        u, s, vt = np.linalg.svd(L.T @ (LR ** 3 - (gamma / p) * LR @ np.diag((LR ** 2).sum(0))))
        R = u @ vt
        if s.sum() < objective * (1 + tol):
            break
        objective = s.sum()
    return R


def procrustes(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Orthogonal ``R [d, k]`` minimising ``‖source @ R − target‖_F`` (``source [n, d]``, ``target [n, k]``, d ≥ k;
    columns are centred first)."""
    a = source - source.mean(0)
    b = target - target.mean(0)
    u, _, vt = np.linalg.svd(a.T @ b, full_matrices=False)
    return u @ vt


def _standardise(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sd = Z.std(0, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    return (Z - Z.mean(0)) / sd, sd


def rotation(Z: np.ndarray, X: np.ndarray, kind: str, factors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(R, sd)``: the orthogonal rotation of the standardised latents ``Z [n, d]`` chosen by ``kind`` (module
    docstring) and the latents' sds. ``factors [n, k]`` (the true ``F``ᵀ) is needed for ``"procrustes"`` only."""
    if kind not in ROTATIONS:
        raise ValueError(f"rotation must be one of {ROTATIONS}, got {kind!r}")
    Zs, sd = _standardise(np.asarray(Z, dtype=float))
    d = Zs.shape[1]
    if kind == "none":
        return np.eye(d), np.ones(d)
    if kind == "varimax":
        Xc = np.asarray(X, dtype=float) - np.asarray(X, dtype=float).mean(0)
        return varimax(Xc.T @ Zs / (len(Zs) - 1)), sd
    if factors is None:
        raise ValueError("the 'procrustes' rotation needs the true factors")
    R = procrustes(Zs, np.asarray(factors, dtype=float) / np.asarray(factors, dtype=float).std(0, ddof=1).clip(1e-12))
    if R.shape[1] < d:  # more latents than factors: complete R to an orthogonal d × d basis
        q, _ = np.linalg.qr(np.column_stack([R, np.eye(d)]))
        R = np.column_stack([R, q[:, R.shape[1]:d]])
    return R, sd


def rotate_scores(Z: np.ndarray, R: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """The latents in the rotated basis: ``(Z − m) D⁻¹ R``."""
    return (Z - Z.mean(0)) / sd @ R


def rotate_encoder(phi: np.ndarray, R: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """An encoder-type estimate in the rotated basis: ``Rᵀ D⁻¹ φ``; ``phi`` is ``[d, p]`` or attributions ``[N, d, p]``."""
    M = R.T / sd[None, :]
    return np.einsum("jd,...dp->...jp", M, phi)


def rotate_loadings(lam_t: np.ndarray, R: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """A loadings-type estimate ``Λᵀ [d, p]`` in the rotated basis: ``Rᵀ D Λᵀ``."""
    return (R.T * sd[None, :]) @ lam_t


__all__ = ["ROTATIONS", "procrustes", "rotate_encoder", "rotate_loadings", "rotate_scores", "rotation", "varimax"]
