"""The PyTorch reference of poi-gpt's trainer (CPU), for benches/trainer-vs-pytorch.sh.

It trains the same byte-level GPT as `poi-gpt train` from the same inputs, with the same
initial weights, batches, optimiser, schedule and held-out measurement: its SplitMix64
generator, seeds, corpus split, variable names, initialisation order and Box-Muller normals are poi-gpt's, written out
again here. So the two runs differ only in their arithmetic, and their val_bpb should agree
closely; their speed and memory are the comparison.

    python gpt_reference.py --document D --corpus C --recipe R [--seed 0x..] [--threads 2]

prints one JSON line: valBpb, trainSeconds, tokensPerSecond, peakRssKib, parameters.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn.functional as F

MASK = (1 << 64) - 1
VOCAB = 256


class Rng:
    """poi-gpt's SplitMix64 (`model::Rng`)."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next_u64() % n

    def unit(self):
        return ((self.next_u64() >> 11) + 1) / float(1 << 53)

    def normal(self):
        u, v = self.unit(), self.unit()
        return math.sqrt(-2.0 * math.log(u)) * math.cos(math.tau * v)


def trial_seed(seed, n):
    """poi-gpt's `trial_seed`: the generator seed of trial `n` (2^32 - 1: the split)."""
    mixed = ((n + 1) * 0xA0761D6478BD642F) & MASK
    for i in range(0, 32, 8):
        word = int.from_bytes(seed[i : i + 8], "little")
        mixed = Rng(mixed ^ word).next_u64()
    return mixed


def split(corpus, validation, context, rng):
    chunk = validation["chunk"]
    chunks = [corpus[i : i + chunk] for i in range(0, len(corpus), chunk)]
    chunks = [c for c in chunks if len(c) > context]
    for i in range(len(chunks) - 1, 0, -1):
        j = rng.below(i + 1)
        chunks[i], chunks[j] = chunks[j], chunks[i]
    held = min(max(math.ceil(len(chunks) * validation["fraction"]), 1), len(chunks) - 1)
    return chunks[held:], chunks[:held]


def variables(shape):
    """poi-gpt's variables (`model::Gpt::new`): name -> shape, linear weights (out, in)."""
    c, context = shape["embd"], shape["context"]
    hidden = c * shape["mlpRatio"]
    shapes = {"token.weight": (VOCAB, c), "position.weight": (context, c)}

    def linear(name, n_in, n_out):
        shapes[name + ".weight"] = (n_out, n_in)
        shapes[name + ".bias"] = (n_out,)

    def norm(name):
        shapes[name + ".weight"] = (c,)
        shapes[name + ".bias"] = (c,)

    for n in range(shape["layers"]):
        block = f"blocks.{n}."
        norm(block + "norm1")
        linear(block + "attention.qkv", c, 3 * c)
        linear(block + "attention.projection", c, c)
        norm(block + "norm2")
        linear(block + "mlp.up", c, hidden)
        linear(block + "mlp.down", hidden, c)
    norm("norm")
    linear("head", c, VOCAB)
    return shapes


def init(shape, std, rng):
    """poi-gpt's `model::initialise`: in the sorted order of the names, matrices get normal
    draws (row by row), biases zeros, other vectors (layer norms' gains) ones."""
    weights = {}
    for name, dims in sorted(variables(shape).items()):
        if len(dims) == 2:
            data = [rng.normal() * std for _ in range(math.prod(dims))]
            weights[name] = torch.tensor(data, dtype=torch.float32).reshape(dims)
        elif name.endswith("bias"):
            weights[name] = torch.zeros(dims)
        else:
            weights[name] = torch.ones(dims)
    return weights


def forward(weights, shape, ids, mask):
    b, t = ids.shape
    c, heads = shape["embd"], shape["heads"]
    hd = c // heads
    w = weights
    x = (w["token.weight"][ids] + w["position.weight"][:t]).reshape(b * t, c)

    def linear(h, name):
        return F.linear(h, w[name + ".weight"], w[name + ".bias"])

    def norm(h, name):
        return F.layer_norm(h, (c,), w[name + ".weight"], w[name + ".bias"], 1e-5)

    def heads_of(y):
        return y.reshape(b, t, heads, hd).transpose(1, 2)

    for n in range(shape["layers"]):
        block = f"blocks.{n}."
        q, k, v = linear(norm(x, block + "norm1"), block + "attention.qkv").split(c, dim=1)
        q, k, v = heads_of(q), heads_of(k), heads_of(v)
        attention = torch.softmax((q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd)) + mask, -1)
        y = (attention @ v).transpose(1, 2).reshape(b * t, c)
        x = x + linear(y, block + "attention.projection")
        h = F.gelu(linear(norm(x, block + "norm2"), block + "mlp.up"), approximate="tanh")
        x = x + linear(h, block + "mlp.down")
    return linear(norm(x, "norm"), "head")


def lr_at(schedule, peak, step, steps):
    warmup = schedule.get("warmupSteps", 0)
    if step < warmup:
        return peak * (step + 1) / warmup
    span = max(steps - warmup, 1)
    progress = (step - warmup) / span
    floor = schedule.get("finalLrFraction", 0.1)
    decay = schedule.get("decay", "constant")
    if decay == "linear":
        return peak * (1.0 - (1.0 - floor) * progress)
    if decay == "cosine":
        return peak * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress)))
    return peak


def batch_of(windows, context):
    inputs = torch.tensor([list(c[s : s + context]) for c, s in windows], dtype=torch.long)
    targets = torch.tensor([list(c[s + 1 : s + context + 1]) for c, s in windows], dtype=torch.long)
    return inputs, targets.reshape(-1)


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--document", required=True)
    args.add_argument("--corpus", required=True)
    args.add_argument("--recipe", required=True)
    args.add_argument("--seed", default="0x" + "00" * 32)
    args.add_argument("--threads", type=int, default=2)
    args = args.parse_args()
    torch.set_num_threads(args.threads)
    document = json.load(open(args.document)).get("candleGpt", {})
    validation = {"fraction": 0.1, "chunk": 4096, "maxTokens": 32768}
    validation.update(document.get("validation", {}))
    recipe = json.load(open(args.recipe))
    corpus = open(args.corpus, "rb").read()
    seed = bytes.fromhex(args.seed.removeprefix("0x"))
    shape, context = recipe["model"], recipe["model"]["context"]
    train, valid = split(corpus, validation, context, Rng(trial_seed(seed, (1 << 32) - 1)))

    rng = Rng(trial_seed(seed, 0))
    weights = init(shape, recipe.get("initStd", 0.02), rng)
    params = list(weights.values())
    for p in params:
        p.requires_grad_(True)
    opt = recipe["optimizer"]
    if opt["name"] == "adamw":
        optimizer = torch.optim.AdamW(
            params, lr=opt["lr"], betas=(opt["beta1"], opt["beta2"]), eps=1e-8,
            weight_decay=opt.get("weightDecay", 0.0),
        )
    else:
        optimizer = torch.optim.SGD(params, lr=opt["lr"])
    mask = torch.full((context, context), float("-inf")).triu(1)

    started = time.perf_counter()
    steps = recipe["steps"]
    for step in range(steps):
        windows = []
        for _ in range(recipe["batch"]):
            chunk = train[rng.below(len(train))]
            windows.append((chunk, rng.below(len(chunk) - context)))
        inputs, targets = batch_of(windows, context)
        loss = F.cross_entropy(forward(weights, shape, inputs, mask), targets)
        loss.item()  # as poi-gpt reads each step's loss
        for group in optimizer.param_groups:
            group["lr"] = lr_at(recipe.get("schedule", {}), opt["lr"], step, steps)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    train_seconds = time.perf_counter() - started

    windows, valid_tokens = [], 0
    for chunk in valid:
        start = 0
        while start + context < len(chunk) and valid_tokens < validation["maxTokens"]:
            windows.append((chunk, start))
            valid_tokens += context
            start += context
    nats = 0.0
    group_size = max(recipe["batch"], 8)
    with torch.no_grad():
        for i in range(0, len(windows), group_size):
            group = windows[i : i + group_size]
            inputs, targets = batch_of(group, context)
            mean = F.cross_entropy(forward(weights, shape, inputs, mask), targets).item()
            nats += mean * len(group) * context
    print(
        json.dumps(
            {
                "valBpb": nats / max(valid_tokens, 1) / math.log(2),
                "trainSeconds": train_seconds,
                "tokensPerSecond": steps * recipe["batch"] * context / train_seconds,
                "peakRssKib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "parameters": sum(p.numel() for p in params),
            }
        )
    )


if __name__ == "__main__":
    main()
