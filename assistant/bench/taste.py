"""`bench taste`: does learning pay? Simulated listeners answer every round of suggestions.

A listener lives in one context (mood, strategy, kind), drawn uniformly from the policy's
entries, and has a hidden chance p_g of liking an item of each genre g the policy offers
there. The p_g are drawn independently from Beta(a, b) (``listener_prior``): they owe
nothing to the policy's table or to the learner's prior, and the learner never sees them,
only the likes and dismissals they produce. Round r uses the policy's step r mod (number of
steps), so uplift walks its steps as sessions do. Each round has ``limit`` slots, each one a
genre; a suggestion of genre g is liked with chance p_g, else dismissed. Three policies:

- static: the policy's own round-robin over the step's genres (no learning);
- learned: `Taste.steer` on the counts of this listener's answers so far;
- oracle: every slot the step's genre the listener likes best (knowing the p_g).

A round's like rate is the mean p_g of its slots: the expectation of the share liked, which
the sampled answers estimate with more noise. Rates are averaged over listeners.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from config.settings import Settings
from recommenders.policy import TMDB_GENRES, Choice, Policy, load_policy
from recommenders.taste import KINDS, Taste

#: Hidden like probabilities: Beta(0.5, 0.5), the Jeffreys prior: most genres a person
#: either likes or does not, few leave them indifferent.
LISTENER_PRIOR = (0.5, 0.5)


#: The three policies compared, in the order they are shown.
POLICIES = ("static", "learned", "oracle")


def run(settings: Settings, *, rounds: int, listeners: int, seed: int,
        listener_prior: tuple[float, float] = LISTENER_PRIOR) -> dict[str, Any]:
    """The settings' policy and suggestions per round, simulated: each of `POLICIES`' like rate per round."""
    limit = settings.session.suggestion_limit
    rates = simulate(load_policy(settings.recommend.policy or None), rounds=rounds, listeners=listeners, limit=limit,
                     seed=seed, listener_prior=listener_prior)
    return {"rounds": rounds, "listeners": listeners, "suggestions_per_round": limit, "seed": seed,
            "listener_prior": list(listener_prior),
            **{f"{name}_like_rate": rates[name] for name in POLICIES}}


def simulate(policy: Policy, *, rounds: int, listeners: int, limit: int, seed: int,
             listener_prior: tuple[float, float] = LISTENER_PRIOR) -> dict[str, list[float]]:
    """Like rate per round of each of `POLICIES`, averaged over listeners."""
    rng = random.Random(seed)
    contexts = [(mood, strategy, kind) for (strategy, mood), kind in itertools.product(policy.entries, KINDS)]
    totals = {name: [0.0] * rounds for name in POLICIES}
    for _ in range(listeners):
        mood, strategy, kind = rng.choice(contexts)
        steps = policy.entries[(strategy, mood)]
        genres = {genre for step in steps for genre in _arms(step, kind)}
        hidden = {genre: rng.betavariate(*listener_prior) for genre in sorted(genres, key=str)}
        taste = Taste()
        for r in range(rounds):
            step = steps[r % len(steps)]
            arms = _arms(step, kind)
            static = _slots(arms, limit)
            learned = _slots(_arms(taste.steer(step, mood, strategy, limit, rng), kind), limit)
            for slot, arm in enumerate(learned):
                verdict = "like" if rng.random() < hidden[arm] else "dismiss"
                taste.learn(mood, strategy, kind, [_name(arm, kind)], f"item:{r}:{slot}", verdict)
            totals["static"][r] += sum(hidden[arm] for arm in static) / len(static)
            totals["learned"][r] += sum(hidden[arm] for arm in learned) / len(learned)
            totals["oracle"][r] += max(hidden[arm] for arm in arms)
    return {name: [total / listeners for total in totals[name]] for name in POLICIES}


def _arms(choice: Choice, kind: str) -> tuple[str | int, ...]:
    return choice.music if kind == "music" else choice.movies


def _name(arm: str | int, kind: str) -> str:
    return arm if kind == "music" else TMDB_GENRES[arm]


def _slots(arms: tuple[str | int, ...], limit: int) -> list[str | int]:
    """The genre of each of the ``limit`` suggestions the sources make for a choice: they take
    turns over its entries (a steered choice has one entry per slot already)."""
    return [arms[slot % len(arms)] for slot in range(limit)]
