"""Test helper: the small torch CNN the image tests explain (two 3x3 convolutions, pooled, one linear layer)."""

import torch


def tiny_cnn(k: int = 4, seed: int = 0, channels: int = 3, width: int = 8) -> torch.nn.Module:
    """k outputs, deterministic weights for a seed; `width` channels in each convolution."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(channels, width, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(width, width, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(width, k),
    ).eval()
