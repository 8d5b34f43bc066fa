"""Transformers for small images. `vit_s`: a Vision Transformer (patch embedding, class token, learned positions,
pre-norm blocks). `cct`: the Compact Convolutional Transformer (Hassani et al. 2021): a convolutional tokenizer
and sequence pooling instead of patches and a class token, the design that makes transformers competitive at small
size; at its defaults it is CCT-2/3x2 (0.28M parameters on CIFAR-10).

Attention is shaped by its head count and head dimension (inner width heads x head_dim), never by the input width.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .registry import register


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, head_dim: int, qkv_bias: bool):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.qkv = nn.Linear(dim, 3 * heads * head_dim, bias=qkv_bias)
        self.proj = nn.Linear(heads * head_dim, dim)

    def forward(self, x):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, n, self.heads * self.head_dim))


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, dim: int, heads: int, head_dim: int, mlp_hidden: int, qkv_bias: bool):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, heads, head_dim, qkv_bias)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_hidden), nn.GELU(), nn.Linear(mlp_hidden, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def _check(dim, depth, heads, head_dim, mlp_ratio):
    if dim < 1 or depth < 1 or heads < 1 or (head_dim is not None and head_dim < 1) or mlp_ratio <= 0:
        raise ValueError(f"need dim, depth, heads, head_dim >= 1 and mlp_ratio > 0; got dim={dim}, depth={depth}, "
                         f"heads={heads}, head_dim={head_dim}, mlp_ratio={mlp_ratio}")
    return head_dim if head_dim is not None else max(1, dim // heads)


class ViT(nn.Module):
    def __init__(self, num_classes, in_channels, image_size, patch_size, dim, depth, heads, head_dim, mlp_ratio):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image size {image_size} is not a multiple of patch_size {patch_size}")
        tokens = (image_size // patch_size) ** 2
        self.patch_embed = nn.Conv2d(in_channels, dim, patch_size, patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, tokens + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, head_dim, max(1, round(mlp_ratio * dim)), True)
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.classifier = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], 1) + self.pos_embed
        return self.classifier(self.norm(self.blocks(x))[:, 0])


class CCT(nn.Module):
    def __init__(self, num_classes, in_channels, image_size, dim, depth, heads, head_dim, mlp_ratio, conv_layers,
                 kernel_size, tokenizer_channels):
        super().__init__()
        if conv_layers < 1:
            raise ValueError(f"conv_layers must be >= 1, got {conv_layers}")
        layers, c, size = [], in_channels, image_size
        for i in range(conv_layers):
            out = dim if i == conv_layers - 1 else tokenizer_channels
            layers += [nn.Conv2d(c, out, kernel_size, 1, kernel_size // 2, bias=False), nn.ReLU(),
                       nn.MaxPool2d(3, 2, 1)]
            c, size = out, (size - 1) // 2 + 1
        self.tokenizer = nn.Sequential(*layers)
        self.pos_embed = nn.Parameter(torch.randn(1, size * size, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, head_dim, max(1, round(mlp_ratio * dim)), False)
                                      for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.attention_pool = nn.Linear(dim, 1)  # sequence pooling: a learned weighting of the tokens
        self.classifier = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.tokenizer(x).flatten(2).transpose(1, 2) + self.pos_embed
        x = self.norm(self.blocks(x))
        weights = self.attention_pool(x).softmax(1)
        return self.classifier((weights.transpose(1, 2) @ x).squeeze(1))


@register("vit_s", width_knob="dim", alternatives=tuple({"depth": d} for d in (6, 4, 8, 3, 2, 12)),
          description="Vision Transformer for small images (patch 4, class token, learned positions); at dim 128, "
                      "depth 6 it is a ViT_S under 1M")
def vit_s(num_classes=10, in_channels=3, image_size=32, dim: int = 128, depth: int = 6, heads: int = 4,
          head_dim: int | None = None, mlp_ratio: float = 2.0, patch_size: int = 4):
    head_dim = _check(dim, depth, heads, head_dim, mlp_ratio)
    return ViT(num_classes, in_channels, image_size, patch_size, dim, depth, heads, head_dim, mlp_ratio)


@register("cct", width_knob="dim", alternatives=tuple({"depth": d} for d in (2, 4, 6, 7, 1)),
          description="Compact Convolutional Transformer: conv tokenizer + sequence pooling; defaults are "
                      "CCT-2/3x2 (0.28M)")
def cct(num_classes=10, in_channels=3, image_size=32, dim: int = 128, depth: int = 2, heads: int = 2,
        head_dim: int | None = None, mlp_ratio: float = 1.0, conv_layers: int = 2, kernel_size: int = 3,
        tokenizer_channels: int | None = None):
    head_dim = _check(dim, depth, heads, head_dim, mlp_ratio)
    tokenizer_channels = tokenizer_channels or max(1, dim // 2)
    return CCT(num_classes, in_channels, image_size, dim, depth, heads, head_dim, mlp_ratio, conv_layers,
               kernel_size, tokenizer_channels)
