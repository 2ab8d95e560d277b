"""Image classifiers for the pixel attribution prior (Erion et al. §2.3, Methods 4, Supplement E/F).

* :class:`MnistCNN` — the paper's MNIST network: conv 5×5 (32) → max-pool 2 → conv 5×5 (64) →
  max-pool 2 → dense 1024 → dropout 0.5 → dense 10. Stride 1 and "SAME" padding as in the reference
  code (``suinleelab/attributionpriors``, ``mnist/mnist_model.py``), so the flattened size is 7·7·64.
  The reference code also puts batch normalisation after every conv and hidden dense layer (TF-slim
  ``normalizer_fn``; decay 0.9 = PyTorch momentum 0.1), which the paper's text does not mention:
  ``batch_norm=True`` follows the code, ``False`` the text.
* :func:`vgg16_cifar10` — VGG16 from ``torchvision.models.vgg16(num_classes=10, weights=None)``,
  trained from scratch on CIFAR-10 (32×32 inputs work because torchvision's adaptive pooling
  resizes the 1×1 feature map to the 7×7 the classifier expects).

Dropout / batch norm follow ``module.train()`` / ``module.eval()``; attributions for evaluation are
computed in eval mode (dropout off), as the paper states.
"""
from __future__ import annotations

from torch import Tensor, nn


class MnistCNN(nn.Module):
    """Erion et al.'s two-conv-layer MNIST CNN; input ``[B, 1, 28, 28]`` → logits ``[B, n_classes]``."""

    def __init__(self, n_classes: int = 10, hidden: int = 1024, dropout: float = 0.5,
                 batch_norm: bool = True, in_channels: int = 1, image_size: int = 28) -> None:
        super().__init__()
        if image_size % 4 != 0:
            raise ValueError(f"image_size must be divisible by 4 (two 2×2 poolings), got {image_size}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")

        def block(c_in: int, c_out: int) -> nn.Sequential:
            layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 5, stride=1, padding=2, bias=not batch_norm)]
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out, momentum=0.1))
            layers += [nn.ReLU(), nn.MaxPool2d(2, 2)]
            return nn.Sequential(*layers)

        self.features = nn.Sequential(block(in_channels, 32), block(32, 64), nn.Flatten())
        flat = 64 * (image_size // 4) ** 2
        head: list[nn.Module] = [nn.Linear(flat, hidden, bias=not batch_norm)]
        if batch_norm:
            head.append(nn.BatchNorm1d(hidden, momentum=0.1))
        head += [nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_classes)]
        self.classifier = nn.Sequential(*head)
        self.image_size = image_size

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            raise ValueError(f"expected input [B, C, {self.image_size}, {self.image_size}], got {tuple(x.shape)}")
        return self.classifier(self.features(x))


def vgg16_cifar10(n_classes: int = 10) -> nn.Module:
    """VGG16 for CIFAR-10, randomly initialised (no pretrained weights), as in Erion et al. Methods 4."""
    from torchvision.models import vgg16

    return vgg16(num_classes=n_classes, weights=None)


__all__ = ["MnistCNN", "vgg16_cifar10"]
