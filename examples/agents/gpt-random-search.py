#!/usr/bin/env python3
"""An agent for `poi mine` on candle-gpt projects that needs no model service: random search
over the recipe surface the protocol allows. Each trial it changes one or two hyperparameters of
the local best recipe ($POI_BEST) within the protocol's `candleGpt.surface` ($POI_PROTOCOL),
writes the new recipe to $POI_CANDIDATE and prints what it changed (its hypothesis).

    poi mine 0 --dir examples/candle-gpt --agent 'python3 examples/agents/gpt-random-search.py'

It reads the project's history ($POI_NETWORK_HISTORY) only to report how many proposals the
network has tried; a smarter agent would learn from the rejected ones. $POI_AGENT_SEED makes
its choices repeatable.
"""
import json
import os
import random


def main():
    protocol = json.load(open(os.environ["POI_PROTOCOL"]))
    surface = protocol["candleGpt"]["surface"]
    recipe = json.load(open(os.environ["POI_BEST"]))
    seed = os.environ.get("POI_AGENT_SEED", "") + os.environ.get("POI_TRIAL_ID", "")
    rng = random.Random(seed or None)
    model = recipe["model"]

    def heads_fit(embd, heads):
        return embd % heads == 0

    moves = {
        "lr": lambda: recipe["optimizer"].__setitem__(
            "lr", round(min(surface["maxLr"], recipe["optimizer"]["lr"] * rng.choice([0.5, 0.7, 1.4, 2.0])), 6)),
        "optimizer": lambda: recipe.__setitem__("optimizer", rng.choice([
            {"name": "adamw", "lr": 0.01, "beta1": 0.9, "beta2": 0.99, "weightDecay": 0.0},
            {"name": "sgd", "lr": 0.1},
        ])) if "adamw" in surface["optimizers"] and "sgd" in surface["optimizers"] else None,
        "batch": lambda: recipe.__setitem__("batch", rng.choice([b for b in (4, 8, 16, 32) if b <= surface["maxBatch"]])),
        "steps": lambda: recipe.__setitem__("steps", rng.choice([s for s in (100, 200, 300, 400) if s <= surface["maxSteps"]])),
        "embd": lambda: model.__setitem__("embd", rng.choice([e for e in (16, 32, 48, 64) if e <= surface["maxEmbd"] and heads_fit(e, model["heads"])])),
        "context": lambda: model.__setitem__("context", rng.choice([c for c in (16, 32, 64) if c <= surface["maxContext"]])),
        "schedule": lambda: recipe.__setitem__("schedule", rng.choice([
            {"warmupSteps": 0, "decay": "constant"},
            {"warmupSteps": 10, "decay": "cosine", "finalLrFraction": 0.1},
        ])),
    }
    changed = rng.sample(sorted(moves), rng.choice([1, 2]))
    for name in changed:
        moves[name]()
    history = []
    if os.path.exists(os.environ.get("POI_NETWORK_HISTORY", "")):
        history = json.load(open(os.environ["POI_NETWORK_HISTORY"]))
    print(f"change {', '.join(changed)} ({len(history)} proposals on the network so far)")
    with open(os.environ["POI_CANDIDATE"], "w") as out:
        json.dump(recipe, out, indent=2)


if __name__ == "__main__":
    main()
