"""Image augmentation used in training (CIFAR-10 in Erion et al.'s image-prior experiment)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def random_shift_rotate(x: Tensor, gen: torch.Generator, max_shift: int = 3, max_deg: float = 15.0) -> Tensor:
    """Per-image random translation (±max_shift px) and rotation (±max_deg°), the CIFAR-10 augmentation."""
    n, _, h, w = x.shape
    ang = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(max_deg)
    shift = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=gen).float()
    cos, sin = torch.cos(ang), torch.sin(ang)
    theta = torch.stack([torch.stack([cos, -sin, 2 * shift[:, 0] / w], 1),
                         torch.stack([sin, cos, 2 * shift[:, 1] / h], 1)], 1).to(x)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


__all__ = ["random_shift_rotate"]
