"""Notebook 02: resolving the latents' rotation (varimax, Procrustes, how estimates transform) and the verdict
rules on synthetic numbers, one test per outcome."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ortho_group

from attrprior.papers.nb02_shap_loadings import rotation as RT
from attrprior.papers.nb02_shap_loadings import verdicts as V


# ----------------------------------------------------------------------------- rotation
def _signed_permutation(M: np.ndarray) -> bool:
    """True if M is (close to) a signed permutation matrix."""
    A = np.abs(M)
    return np.allclose(np.sort(A, axis=1)[:, -1], 1, atol=1e-3) and np.allclose(A.sum(0), 1, atol=1e-3)


def test_varimax_undoes_a_rotation_of_sparse_loadings():
    L = np.zeros((60, 3))
    for j in range(3):
        L[20 * j:20 * (j + 1), j] = np.linspace(0.5, 1.5, 20)
    Q = ortho_group.rvs(3, random_state=0)
    R = RT.varimax(L @ Q)
    np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-10)
    assert _signed_permutation(Q @ R)  # L Q R = L up to order and sign
    assert not _signed_permutation(Q)


def test_procrustes_finds_the_rotation_and_completes_extra_latents():
    rng = np.random.default_rng(1)
    F = rng.standard_normal((500, 3))
    Q = ortho_group.rvs(3, random_state=2)
    np.testing.assert_allclose(RT.procrustes(F @ Q, F), Q.T, atol=1e-10)
    Z = np.column_stack([F @ Q, rng.standard_normal(500)])  # one latent more than factors
    R, sd = RT.rotation(Z, None, "procrustes", F)
    assert R.shape == (4, 4)
    np.testing.assert_allclose(R.T @ R, np.eye(4), atol=1e-10)
    rotated = RT.rotate_scores(Z, R, sd)
    assert min(abs(np.corrcoef(rotated[:, j], F[:, j])[0, 1]) for j in range(3)) > 0.99


def test_rotated_estimates_are_those_of_the_rotated_latents():
    """An encoder-type estimate (attributions, linear in the output) and a loadings-type estimate transform so
    that a linear model's latents and its reconstruction agree in the new basis."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 6))
    W = rng.standard_normal((3, 6))  # linear encoder: z = X Wᵀ
    Z = X @ W.T
    R, sd = RT.rotation(Z, X, "varimax")
    Zr = RT.rotate_scores(Z, R, sd)
    Wr = RT.rotate_encoder(W, R, sd)
    np.testing.assert_allclose(Zr, (X - X.mean(0)) @ Wr.T, atol=1e-10)
    attr = W[None] * (X[:5] - X.mean(0))[:, None, :]  # exact EG of z with the mean as baseline, [N, 3, 6]
    np.testing.assert_allclose(RT.rotate_encoder(attr, R, sd), Wr[None] * (X[:5] - X.mean(0))[:, None, :], atol=1e-10)
    lam_t = rng.standard_normal((3, 6))  # loadings: X ≈ Z Λᵀ
    np.testing.assert_allclose(Zr @ RT.rotate_loadings(lam_t, R, sd), (Z - Z.mean(0)) @ lam_t, atol=1e-10)


def test_rotation_none_and_bad_input():
    Z = np.random.default_rng(0).standard_normal((20, 2))
    R, sd = RT.rotation(Z, None, "none")
    np.testing.assert_array_equal(R, np.eye(2))
    np.testing.assert_array_equal(sd, np.ones(2))
    with pytest.raises(ValueError, match="rotation must be"):
        RT.rotation(Z, None, "quartimax")
    with pytest.raises(ValueError, match="true factors"):
        RT.rotation(Z, None, "procrustes")


# ----------------------------------------------------------------------------- verdict rules
def test_histogram_rule_outcomes():
    def judge(ratios, ps):
        wider = [p < 0.05 and r > 1 for r, p in zip(ratios, ps)]
        return V.histogram_rule(V.histogram_evidence(ratios, ps), wider)

    assert judge([1.5, 1.6, 1.7], [0.01, 0.001, 0.02]) == ("reproduced", "")
    v, why = judge([1.5, 1.6, 1.7], [0.01, 0.2, 0.3])
    assert v == "partly reproduced" and "1 of 3" in why
    assert judge([0.6, 0.65, 0.7], [0.01, 0.01, 0.02])[0] == "not reproduced"  # the opposite, significantly
    v, why = judge([1.3, 0.8, 1.1], [0.2, 0.5, 0.4])
    assert v == "inconclusive" and "holds 0" in why
    assert V.histogram_rule(V.histogram_evidence([1.5], [0.01]), [True])[0] == "inconclusive"  # one seed


def test_recovery_rule_outcomes():
    def judge(seed_means, factors):
        return V.recovery_rule(V.recovery_evidence(seed_means), factors)

    assert judge([0.95, 0.96, 0.97], [0.93, 0.95, 0.97]) == ("reproduced", "")
    v, why = judge([0.85, 0.86, 0.87], [0.92, 0.80, 0.85])
    assert v == "partly reproduced" and "1 of 3 factors" in why
    v, why = judge([0.80, 0.81, 0.82], [0.80, 0.82, 0.81])
    assert v == "not reproduced" and "0 of 3 factors" in why
    v, why = judge([0.40, 0.70, 0.50], [0.5, 0.6, 0.5])
    assert v == "inconclusive" and "holds 0" in why
    assert judge([0.95], [0.95, 0.96])[0] == "inconclusive"  # one seed


def test_noninferiority_rule_outcomes():
    def judge(vae, pca, fa):
        return V.noninferiority_rule({"FA": V.noninferiority_evidence(vae, fa, name="FA"),
                                      "PCA": V.noninferiority_evidence(vae, pca, name="PCA")})

    assert judge([0.99, 0.995, 0.992], [0.99, 0.99, 0.99], [0.995, 0.99, 0.995]) == ("reproduced", "")
    v, why = judge([0.90, 0.91, 0.905], [0.91, 0.905, 0.90], [1.0, 0.999, 1.0])
    assert v == "partly reproduced" and "PCA only" in why
    v, why = judge([0.80, 0.81, 0.805], [0.99, 0.985, 0.99], [1.0, 0.999, 1.0])
    assert v == "not reproduced" and "every baseline" in why
    v, why = judge([0.95, 1.0, 0.90], [0.98, 0.97, 0.99], [0.99, 0.98, 0.97])
    assert v == "inconclusive" and "margin" in why
    assert judge([0.9], [0.9], [0.9])[0] == "inconclusive"  # one seed
    ev = V.noninferiority_evidence([0.9, 0.91, 0.92], [0.95, 0.95, 0.95])
    assert ev.effect == pytest.approx(0.91 - 0.95 + V.MARGIN)  # shifted by the margin: claim reads effect > 0


def test_agreement_rule_outcomes():
    assert V.agreement_rule(np.array([[0.95, 0.99], [0.97, 0.92]])) == ("reproduced", "")
    assert V.agreement_rule(np.array([[0.95, 0.99], [0.97, 0.5]]))[0] == "partly reproduced"
    v, why = V.agreement_rule(np.array([[0.5, 0.6], [0.7, 0.95]]))
    assert v == "not reproduced" and "minimum Spearman 0.500" in why
