"""Reference values for RealModelShapeTests, computed once with PyTorch and stored in pytorch-reference.json.

The tests never run this: it documents how the numbers were made. Each model here is the twin of one in
RealModelShapes.cs, with the same weights (an exact integer pattern, so both frameworks start from identical float32
values), the same input and the same loss (MSE against zeros). Run with any PyTorch >= 1.13:

    python3 tests/GradGuard.TorchSharp.Tests/Reference/pytorch_reference.py > tests/GradGuard.TorchSharp.Tests/Reference/pytorch-reference.json
"""
import json
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

SATURATION = 5.0
BATCH = 8


def pattern(count, seed, scale):
    return [((k * 37 + seed * 101) % 29 - 14) / 14.0 * scale for k in range(count)]


def lin(inputs, outputs, seed, weight_scale=None, bias=None):
    layer = nn.Linear(inputs, outputs)
    scale = 1.0 / math.sqrt(inputs) if weight_scale is None else weight_scale
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(pattern(inputs * outputs, seed, scale), dtype=torch.float32).reshape(outputs, inputs))
        layer.bias.copy_(torch.tensor(bias if bias is not None else pattern(outputs, seed + 1000, 0.1), dtype=torch.float32))
    return layer


def first_negative(units, negative, value=-50.0):
    return [value if unit < negative else 0.1 for unit in range(units)]


def saturating_bias(units, saturated, value=10.0):
    return [(value if unit % 2 == 0 else -value) if unit < saturated else 0.0 for unit in range(units)]


class Sites:
    """Records each activation site's pre-activation (or rectifier input), in forward order."""

    def __init__(self):
        self.sites = []

    def add(self, name, kind, pre, weight_layer=None):
        self.sites.append((name, kind, pre.detach().clone(), weight_layer))


def rectifier(pre):
    units = pre.shape[-1]
    dead = int((pre.amax(dim=0) <= 0).sum())
    return {"kind": "Rectifier", "units": units, "dead": dead, "nonPositiveFraction": float((pre <= 0).sum()) / pre.numel()}


def saturating(pre):
    return {"kind": "Saturating", "units": pre.shape[-1], "saturatedFraction": float((pre.abs() >= SATURATION).sum()) / pre.numel()}


def not_seen(pre, weight):
    zero_rows = (weight.grad.abs().amax(dim=1) == 0)
    dead = pre.amax(dim=0) <= 0
    saturated = pre.abs().amin(dim=0) >= SATURATION
    return {"kind": "NotSeen", "units": pre.shape[-1], "withoutGradient": int(zero_rows.sum()),
            "dead": int((zero_rows & dead).sum()), "saturatedUnits": int((zero_rows & saturated).sum()),
            "deadAndSaturated": int((zero_rows & dead & saturated).sum())}


def run(name, modules, forward, in_features):
    sites = Sites()
    x = torch.tensor(pattern(BATCH * in_features, 99, 1.0), dtype=torch.float32).reshape(BATCH, in_features)
    out = forward(x, sites)
    F.mse_loss(out, torch.zeros_like(out)).backward()
    parameters = {f"{module_name}.{parameter_name}": float(parameter.grad.norm())
                  for module_name, module in modules for parameter_name, parameter in module.named_parameters()}
    described = {}
    for site, kind, pre, weight_layer in sites.sites:
        if kind == "Rectifier":
            described[site] = rectifier(pre)
        elif kind == "Saturating":
            described[site] = saturating(pre)
        else:
            described[site] = not_seen(pre, weight_layer.weight)
        if weight_layer is not None:
            grad = weight_layer.weight.grad
            described[site]["zeroGradientFraction"] = float((grad == 0).sum()) / grad.numel()
    return name, {"parameters": parameters, "sites": described}


def declared_backwards():
    stem, mid1, mid2, head = lin(8, 16, 1), lin(16, 16, 2, bias=first_negative(16, 12)), lin(16, 16, 3), lin(16, 4, 4)

    def forward(x, sites):
        h = stem(x); sites.add("act", "Rectifier", h, stem); h = F.relu(h)
        h = mid1(h); sites.add("act#2", "Rectifier", h, mid1); h = F.relu(h)
        h = mid2(h); sites.add("act#3", "Rectifier", h, mid2); h = F.relu(h)
        return head(h)

    return run("DeclaredBackwards", [("stem", stem), ("mid1", mid1), ("mid2", mid2), ("head", head)], forward, 8)


def called_first():
    embed, lin1, lin2 = lin(6, 12, 10), lin(12, 12, 11, weight_scale=0.05, bias=saturating_bias(12, 9, 8.0)), lin(12, 6, 12)

    def forward(x, sites):
        h = embed(x); sites.add("embed", "NotSeen", h, embed)
        h = lin1(h); sites.add("squash", "Saturating", h); h = torch.tanh(h)
        h = lin2(h); sites.add("squash#2", "Saturating", h)
        return torch.tanh(h)

    return run("CalledFirst", [("embed", embed), ("lin1", lin1), ("lin2", lin2)], forward, 6)


def functional_activations():
    fc1 = lin(8, 16, 21, weight_scale=0.05, bias=saturating_bias(16, 13))
    fc2, fc3, fc4 = lin(16, 16, 22), lin(16, 16, 23, bias=first_negative(16, 12)), lin(16, 4, 24)

    def forward(x, sites):
        h = fc1(x); sites.add("fc1", "Saturating", h, fc1); h = torch.tanh(h)
        h = fc2(h); sites.add("fc2", "Saturating", h, fc2); h = torch.sigmoid(h)
        h = fc3(h); sites.add("fc3", "Rectifier", h, fc3); h = F.relu(h)
        return fc4(h)

    return run("FunctionalActivations", [("fc1", fc1), ("fc2", fc2), ("fc3", fc3), ("fc4", fc4)], forward, 8)


def scaled_tanh():
    fc1, fc2 = lin(8, 16, 21, weight_scale=0.05, bias=saturating_bias(16, 13)), lin(16, 4, 25)

    def forward(x, sites):
        h = fc1(x); sites.add("fc1", "NotSeen", h, fc1)
        return fc2(torch.tanh(h) * 0.5)

    return run("ScaledTanh", [("fc1", fc1), ("fc2", fc2)], forward, 8)


def residual_blocks():
    stem, head = lin(8, 16, 31), lin(16, 4, 39)
    blocks = [(lin(16, 16, 40 + 2 * index, bias=first_negative(16, 12) if index == 1 else None), lin(16, 16, 41 + 2 * index)) for index in range(3)]

    def forward(x, sites):
        h = stem(x); sites.add("stem", "NotSeen", h, stem)
        for index, (lin1, lin2) in enumerate(blocks):
            inner = lin1(h); sites.add(f"blocks.{index}.act", "Rectifier", inner, lin1)
            out = h + lin2(F.relu(inner)); sites.add(f"blocks.{index}", "Rectifier", out, lin2)
            h = F.relu(out)
        return head(h)

    modules = [("stem", stem)] + [(f"blocks.{index}.lin{k + 1}", layer) for index, pair in enumerate(blocks) for k, layer in enumerate(pair)] + [("head", head)]
    return run("ResidualBlocks", modules, forward, 8)


def through_forward():
    fc1, fc2, fc3 = lin(8, 16, 61, bias=first_negative(16, 12)), lin(16, 16, 62), lin(16, 4, 63)

    def forward(x, sites):
        h = fc1(x); sites.add("fc1", "NotSeen", h, fc1); h = F.relu(h)
        h = fc2(h); sites.add("fc2", "NotSeen", h, fc2); h = F.relu(h)
        return fc3(h)

    return run("ThroughForward", [("fc1", fc1), ("fc2", fc2), ("fc3", fc3)], forward, 8)


if __name__ == "__main__":
    models = dict(model() for model in (declared_backwards, called_first, functional_activations, scaled_tanh, residual_blocks, through_forward))
    json.dump({"pytorch": torch.__version__, "models": models}, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
