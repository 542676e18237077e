"""Alignment of gold and extracted items (projects, indicators, breakdown parts, flag subjects):
one-to-one, by name.

* names are normalised (`normalize_name`): NFKC, quote marks “”「」『』‘’"'
  removed, whitespace removed, leading list numbers (`3、`, `（2）`, `(2)`,
  `一、`) stripped;
* similarity is 1.0 for equal normalised names; when one normalised name
  contains the other and the shorter has at least `CONTAINMENT_MIN_CHARS` (4)
  characters (a locality or recipient prefix, `芜湖市艺术剧院有限公司梨簧戏演出补助`
  for `梨簧戏演出补助`), it is 0.9 + 0.05 × Dice (`CONTAINMENT_SIMILARITY` plus a
  grade, so the closer of two containing names wins), or Dice itself when that
  is higher; else the character-bigram Dice coefficient (capped at 0.99). A
  containment match scores below 0.95 unless Dice alone is higher, so with the
  value tie-break it still loses to an exact name; pairs below
  `NAME_THRESHOLD` (0.5) are never aligned;
* a pair's weight is its similarity plus a tie-break of at most
  `VALUE_TIEBREAK` (0.05) for shared values, so two equally similar
  candidates are told apart by their numbers, never a better name by numbers;
* the assignment maximising total weight is found with the Hungarian method
  (`scipy.optimize.linear_sum_assignment`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from schemas.names import canonical_name

#: Pairs whose name similarity is below this are never aligned.
NAME_THRESHOLD = 0.5
#: Most a pair's shared values add to its name similarity (a tie-break only).
VALUE_TIEBREAK = 0.05
#: Shortest normalised name that matches by containment (`项目` inside every name must not).
CONTAINMENT_MIN_CHARS = 4
#: Least similarity of a containment match (graded up to 0.95 by Dice, so the value tie-break
#: never lifts it to an exact name's 1.0).
CONTAINMENT_SIMILARITY = 0.9
#: Width of the Dice grade above `CONTAINMENT_SIMILARITY` (at most 1 - it - `VALUE_TIEBREAK`).
CONTAINMENT_GRADE = 0.05


# --- names and similarity ------------------------------------------------------------------------



def normalize_name(name: str) -> str:
    """A name reduced for comparison: the one rule of `schemas.names.canonical_name`."""
    return canonical_name(name)


def _bigrams(text: str) -> Counter[str]:
    if len(text) < 2:
        return Counter([text])
    return Counter(text[i : i + 2] for i in range(len(text) - 1))


def _dice_names(a: str, b: str) -> float:
    grams_a, grams_b = _bigrams(a), _bigrams(b)
    overlap = sum((grams_a & grams_b).values())
    return 2 * overlap / (sum(grams_a.values()) + sum(grams_b.values()))


def contains_name(a: str, b: str) -> bool:
    """One normalised name inside the other, the shorter at least `CONTAINMENT_MIN_CHARS` long."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= CONTAINMENT_MIN_CHARS and shorter in longer


def similarity(left: str, right: str) -> float:
    """How alike two names are, in [0, 1] (normalised first, see `normalize_name`).

    1.0 for equal names; when one contains the other (`contains_name`)
    0.9 + 0.05 × Dice or Dice, whichever is higher; else the bigram Dice
    coefficient. Never above 0.99 unless equal.

    >>> similarity("梨簧戏演出补助", "芜湖市艺术剧院有限公司梨簧戏演出补助") >= 0.9
    True
    >>> similarity("项目", "芜湖市艺术剧院有限公司项目") < 0.5
    True
    """
    a, b = normalize_name(left), normalize_name(right)
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    dice = min(0.99, _dice_names(a, b))
    if contains_name(a, b):
        return max(dice, CONTAINMENT_SIMILARITY + CONTAINMENT_GRADE * dice)
    return dice


# --- optimal assignment --------------------------------------------------------------------------


def max_weight_assignment(weights: Sequence[Sequence[float | None]]) -> list[tuple[int, int]]:
    """One-to-one pairs `(row, column)` maximising the total weight (Hungarian method,
    `scipy.optimize.linear_sum_assignment`).

    `weights[i][j]` is the gain of pairing row i with column j, or `None` when
    the pair is not allowed; only pairs with a positive weight are returned.
    Rectangular matrices are fine.
    """
    rows = len(weights)
    columns = len(weights[0]) if rows else 0
    if rows == 0 or columns == 0:
        return []
    # a forbidden pair gains 0, the same as leaving the row unpaired
    import numpy as np  # numpy and scipy take 0.3 s to import: only `recon eval` pays for them
    from scipy.optimize import linear_sum_assignment

    gains = np.array([[w if w is not None and w > 0 else 0.0 for w in row] for row in weights], dtype=float)
    row_index, column_index = linear_sum_assignment(gains, maximize=True)
    pairs = [(int(i), int(j)) for i, j in zip(row_index, column_index, strict=True) if gains[i, j] > 0]
    return sorted(pairs)


def align_by_name(
    gold_names: Sequence[str],
    got_names: Sequence[str],
    shared: Callable[[int, int], float] | None = None,
    threshold: float = NAME_THRESHOLD,
) -> dict[int, int]:
    """Gold index -> extracted index, one-to-one, by name similarity (tie-break: `shared(i, j)` in [0, 1])."""
    weights: list[list[float | None]] = []
    for i, gold_name in enumerate(gold_names):
        row: list[float | None] = []
        for j, got_name in enumerate(got_names):
            score = similarity(gold_name, got_name)
            if score < threshold:
                row.append(None)
                continue
            row.append(score + (VALUE_TIEBREAK * shared(i, j) if shared else 0.0))
        weights.append(row)
    return dict(max_weight_assignment(weights))
