"""Train the per-pixel damage segmenter (:mod:`retouch.damage_segmenter`) and write it as ONNX.

Training data is synthetic damage (:func:`retouch.aging.age_photo`, seeds
from :data:`FIRST_SEED` on, never the benchmark's 0-44 nor the tuning
draws 100-999) on the same packaged photos, variants and scene lines as
the classifiers' (``train_damage_classifier.py``), none of them the
benchmark's five; each scene is seen damaged and undamaged (its clean
pixels are negatives: hair, wires, text). Patches are drawn half of the
time around a damaged pixel. The loss is the binary cross-entropy of the
two outputs (scratch, dust) per pixel, a damaged pixel weighted by
``1 + (change / CHANGE_UNIT)**2``: a missed pixel costs the repair its
squared change, so the net is pushed hardest where a miss shows most.

Needs the ``train`` and ``bench`` extras (PyTorch's CPU wheel and
``onnx``). Run: ``.venv/bin/python tools/train_damage_segmenter.py``
(about 22 minutes on two cores; the same seed gives the same net up to
the order of floating-point sums). A run with twice the prints and 10000
steps did no better on the tuning draws (repair gap 2.91 / 3.26 dB
against 2.82 / 3.20 on seeds 100-139 / 300-339).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from train_damage_classifier import training_prints

from retouch.damage_evidence import background_residual, damage_planes, grey_image
from retouch.damage_segmenter import DILATIONS, INPUT_PLANES, OUTPUTS, SEGMENTER_PATH, WIDTH, segmenter_inputs

FIRST_SEED = 5000
CHANGE_UNIT = 0.08  # a damaged pixel's change (0-1 grey) at which its weight doubles
PATCH, BATCH = 128, 12
STEPS, LEARNING_RATE = 8000, 3e-3
NEAR_DAMAGE = 0.5  # share of patches centred on a damaged pixel
OPSET = 17


class Net(torch.nn.Module):
    """The segmenter: 3 x 3 convolutions dilated by :data:`DILATIONS`, ReLUs, a 1 x 1 convolution."""

    def __init__(self) -> None:
        super().__init__()
        sizes = [len(INPUT_PLANES)] + [WIDTH] * len(DILATIONS)
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv2d(a, b, 3, padding=d, dilation=d)
            for a, b, d in zip(sizes[:-1], sizes[1:], DILATIONS, strict=True)
        )
        self.head = torch.nn.Conv2d(WIDTH, len(OUTPUTS), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = torch.relu(conv(x))
        return self.head(x)


def collect(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every training image's input planes, targets (H x W x 2 uint8) and pixel weights."""
    images = []
    t0 = time.perf_counter()  # per photo: aging its prints (in training_prints) and analysing them
    for name, prints in training_prints(rng, FIRST_SEED):
        for variant, aged in prints:
            for image, truth in ((variant, None), (aged.image, aged)):
                grey, chroma = damage_planes(image)
                planes = segmenter_inputs(grey, chroma, *background_residual(grey))
                target = np.zeros((*grey.shape, len(OUTPUTS)), np.uint8)
                weight = np.ones(grey.shape, np.float32)
                if truth is not None:
                    target[..., 0], target[..., 1] = truth.scratches, truth.dust
                    change = np.abs(grey - grey_image(truth.faded))
                    damaged = truth.scratches | truth.dust
                    weight[damaged] += (change[damaged] / CHANGE_UNIT) ** 2
                images.append((planes, target, weight))
        print(f"  {name:<22} {time.perf_counter() - t0:5.1f} s", flush=True)
        t0 = time.perf_counter()
    return images


def batches(images: list, rng: np.random.Generator) -> Iterator[tuple[torch.Tensor, ...]]:
    """Endless batches of patches: inputs, targets and weights as tensors (N x C x P x P)."""
    damaged = [i for i, (_, t, _) in enumerate(images) if t.any()]
    spots = {i: np.argwhere(images[i][1].any(axis=2)) for i in damaged}
    while True:
        xs, ts, ws = [], [], []
        for _ in range(BATCH):
            near = rng.random() < NEAR_DAMAGE
            index = damaged[rng.integers(len(damaged))] if near else int(rng.integers(len(images)))
            planes, target, weight = images[index]
            h, w = weight.shape
            if near:
                y, x = spots[index][rng.integers(len(spots[index]))] - PATCH // 2 + rng.integers(-20, 21, 2)
            else:
                y, x = rng.integers(0, h - PATCH + 1), rng.integers(0, w - PATCH + 1)
            y, x = int(np.clip(y, 0, h - PATCH)), int(np.clip(x, 0, w - PATCH))
            window = np.s_[y : y + PATCH, x : x + PATCH]
            xs.append(planes[window].transpose(2, 0, 1))
            ts.append(target[window].transpose(2, 0, 1))
            ws.append(weight[window])
        yield (
            torch.from_numpy(np.stack(xs)),
            torch.from_numpy(np.stack(ts).astype(np.float32)),
            torch.from_numpy(np.stack(ws)[:, None]),
        )


def train(images: list, rng: np.random.Generator, steps: int) -> Net:
    """Fit the net with Adam, the learning rate falling along a cosine."""
    torch.manual_seed(int(rng.integers(1 << 31)))
    net = Net()
    optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, steps)
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    t0, running = time.perf_counter(), 0.0
    stream = batches(images, rng)
    for step in range(1, steps + 1):
        x, target, weight = next(stream)
        loss = (loss_fn(net(x), target) * weight).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        running += float(loss.detach())
        if step % 200 == 0:
            seconds = time.perf_counter() - t0
            print(f"  step {step:5d}  loss {running / 200:.4f}  {seconds:5.0f} s", flush=True)
            running = 0.0
    return net


def export(net: Net, path: str) -> None:
    """Write the net as an ONNX graph of Conv and Relu nodes (input ``planes``, output ``logits``)."""
    nodes, weights, previous = [], [], "planes"
    layers = [(conv, d) for conv, d in zip(net.convs, DILATIONS, strict=True)] + [(net.head, None)]
    for index, (conv, dilation) in enumerate(layers):
        w, b = f"w{index}", f"b{index}"
        weights += [
            numpy_helper.from_array(conv.weight.detach().numpy().astype(np.float32), w),
            numpy_helper.from_array(conv.bias.detach().numpy().astype(np.float32), b),
        ]
        last = dilation is None
        out = "logits" if last else f"c{index}"
        attributes = {"dilations": [dilation] * 2, "pads": [dilation] * 4, "kernel_shape": [3, 3]}
        if last:
            attributes = {}
        nodes.append(helper.make_node("Conv", [previous, w, b], [out], **attributes))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"r{index}"]))
            previous = f"r{index}"
    graph = helper.make_graph(
        nodes,
        "damage_segmenter",
        [helper.make_tensor_value_info("planes", TensorProto.FLOAT, [1, len(INPUT_PLANES), "h", "w"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, len(OUTPUTS), "h", "w"])],
        weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(SEGMENTER_PATH), help="where to write the ONNX model")
    parser.add_argument("--steps", type=int, default=STEPS, help="training steps")
    args = parser.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(FIRST_SEED)
    print("rendering training prints")
    images = collect(rng)
    print(f"training on {len(images)} images")
    net = train(images, rng, args.steps)
    export(net, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
