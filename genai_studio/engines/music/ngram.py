"""Interpolated Kneser–Ney n-gram model over the flat melody tokens: the baseline the neural model must beat.

Tokens are the ones of :func:`tokens.flat_tokens` (BOS style meter mode, then pos/pitch/dur per
event, then END), so both models predict exactly the same events with the same factorization and
their bits per event compare directly. An n-gram ``(w1..wn)`` is stored as one int64 key
``Σ wi·V^(n-i)`` (V = FLAT_VOCAB = 183, exact up to order 8), so counting and lookup are numpy
``unique``/``searchsorted`` calls rather than Python dicts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from genai_studio.engines.music.tokens import FLAT_PREFIX, FLAT_VOCAB

MAX_ORDER = 8


@dataclass
class _Order:
    """Counts of one order n: n-gram keys → (discounted) counts, context keys → totals and fan-out."""

    keys: np.ndarray  # (G,) sorted n-gram keys
    counts: np.ndarray  # (G,) raw counts (highest order) or continuation counts (lower orders)
    ctx_keys: np.ndarray  # (C,) sorted context keys (the first n-1 tokens)
    ctx_totals: np.ndarray  # (C,) Σ_w counts
    ctx_types: np.ndarray  # (C,) number of distinct w after the context
    discount: float


def _ngram_keys(seq: np.ndarray, n: int) -> np.ndarray:
    """Keys of all n-grams of one token sequence, (len - n + 1,) int64."""
    if len(seq) < n:
        return np.zeros(0, np.int64)
    key = np.zeros(len(seq) - n + 1, np.int64)
    for i in range(n):
        key = key * FLAT_VOCAB + seq[i: len(seq) - n + 1 + i]
    return key


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[key] for each query key, 0 where absent."""
    if len(sorted_keys) == 0:
        return np.zeros(len(query), values.dtype)
    idx = np.clip(np.searchsorted(sorted_keys, query), 0, len(sorted_keys) - 1)
    return np.where(sorted_keys[idx] == query, values[idx], 0)


class KneserNeyNgram:
    """``p(w | h)`` with interpolated Kneser–Ney smoothing, orders 1..order, over FLAT_VOCAB tokens."""

    def __init__(self, order: int, orders: list[_Order]) -> None:
        self.order = order
        self._orders = orders  # index n-1 holds order n

    @staticmethod
    def fit(sequences: list[np.ndarray], order: int = 5) -> "KneserNeyNgram":
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order must be 1..{MAX_ORDER}")
        raw = [np.concatenate([_ngram_keys(np.asarray(s, np.int64), n) for s in sequences])
               for n in range(1, order + 1)]
        orders: list[_Order] = []
        for n in range(1, order + 1):
            if n == order:
                keys, counts = np.unique(raw[n - 1], return_counts=True)
            else:
                # continuation count: in how many distinct left contexts the n-gram occurs
                longer = np.unique(raw[n])
                keys, counts = np.unique(longer % FLAT_VOCAB**n, return_counts=True)
            n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
            discount = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
            ctx = keys // FLAT_VOCAB
            ctx_keys, start = np.unique(ctx, return_index=True)
            totals = np.add.reduceat(counts, start) if len(counts) else np.zeros(0, np.int64)
            types = np.diff(np.append(start, len(ctx)))
            orders.append(_Order(keys, counts, ctx_keys, totals, types, discount))
        return KneserNeyNgram(order, orders)

    def _interpolate(self, contexts: list[np.ndarray | None], words: np.ndarray) -> np.ndarray:
        """p(words[i] | contexts) for aligned arrays; contexts[n-1] holds the order-n context keys
        (the previous n-1 tokens) or -1 where the history is too short."""
        p = np.full(len(words), 1.0 / FLAT_VOCAB)
        for n in range(1, self.order + 1):
            o = self._orders[n - 1]
            ctx = np.zeros(len(words), np.int64) if n == 1 else contexts[n - 1]
            have = ctx >= 0
            total = _lookup(o.ctx_keys, o.ctx_totals, np.where(have, ctx, 0)).astype(np.float64)
            types = _lookup(o.ctx_keys, o.ctx_types, np.where(have, ctx, 0)).astype(np.float64)
            count = _lookup(o.keys, o.counts, np.where(have, ctx * FLAT_VOCAB + words, 0)).astype(np.float64)
            known = have & (total > 0)
            safe_total = np.where(known, total, 1.0)
            mixed = (np.maximum(count - o.discount, 0.0) + o.discount * types * p) / safe_total
            p = np.where(known, mixed, p)
        return p

    def token_log2probs(self, seq: np.ndarray, start: int = FLAT_PREFIX) -> np.ndarray:
        """log2 p of every token of ``seq`` from index ``start`` on, each given all tokens before it."""
        seq = np.asarray(seq, np.int64)
        positions = np.arange(start, len(seq))
        contexts: list[np.ndarray | None] = [None]
        for n in range(2, self.order + 1):
            ctx = np.zeros(len(positions), np.int64)
            ok = positions - (n - 1) >= 0
            for back in range(n - 1, 0, -1):
                ctx = ctx * FLAT_VOCAB + seq[np.clip(positions - back, 0, None)]
            contexts.append(np.where(ok, ctx, -1))
        return np.log2(self._interpolate(contexts, seq[positions]))

    def distribution(self, history: np.ndarray) -> np.ndarray:
        """p(w | history) for every w in the vocabulary, (FLAT_VOCAB,) summing to 1."""
        history = np.asarray(history, np.int64)
        words = np.arange(FLAT_VOCAB)
        contexts: list[np.ndarray | None] = [None]
        for n in range(2, self.order + 1):
            if len(history) >= n - 1:
                key = 0
                for tok in history[len(history) - (n - 1):]:
                    key = key * FLAT_VOCAB + int(tok)
                contexts.append(np.full(FLAT_VOCAB, key, np.int64))
            else:
                contexts.append(np.full(FLAT_VOCAB, -1, np.int64))
        return self._interpolate(contexts, words)

    def bits(self, sequences: list[np.ndarray]) -> tuple[float, int]:
        """Total bits over the scored tokens of all sequences, and the number of events they hold."""
        total, events = 0.0, 0
        for seq in sequences:
            total -= float(self.token_log2probs(seq).sum())
            events += (len(seq) - FLAT_PREFIX - 1) // 3
        return total, events

    def bits_per_event(self, sequences: list[np.ndarray]) -> float:
        total, events = self.bits(sequences)
        return total / max(events, 1)

    # ----- persistence (a cache: the model is rebuilt from the corpus in seconds) -----
    def to_arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"order": np.array(self.order)}
        for n, o in enumerate(self._orders, 1):
            for field in ("keys", "counts", "ctx_keys", "ctx_totals", "ctx_types"):
                out[f"{n}.{field}"] = getattr(o, field)
            out[f"{n}.discount"] = np.array(o.discount)
        return out

    @staticmethod
    def from_arrays(arrays: dict[str, np.ndarray]) -> "KneserNeyNgram":
        order = int(arrays["order"])
        orders = [_Order(*(arrays[f"{n}.{f}"] for f in ("keys", "counts", "ctx_keys", "ctx_totals", "ctx_types")),
                         float(arrays[f"{n}.discount"])) for n in range(1, order + 1)]
        return KneserNeyNgram(order, orders)


# Order chosen on the corpus validation split (orders 2..8 tried; 7 = two whole events of context).
# select_ngram_order() redoes the choice; training and the bench report what it picked.
BASELINE_ORDER = 7


@functools.lru_cache(maxsize=4)
def baseline_ngram(order: int = BASELINE_ORDER) -> KneserNeyNgram:
    """The n-gram baseline fitted on the corpus training split (about a second; cached per process)."""
    from genai_studio.engines.music.corpus import encode_corpus, load_corpus
    from genai_studio.engines.music.tokens import flat_tokens

    return KneserNeyNgram.fit([flat_tokens(e) for e in encode_corpus(load_corpus("train"))], order)


def select_ngram_order(orders: tuple[int, ...] = (3, 4, 5, 6, 7, 8)) -> tuple[int, KneserNeyNgram]:
    """The order with the lowest validation bits per event, and its model."""
    from genai_studio.engines.music.corpus import encode_corpus, load_corpus
    from genai_studio.engines.music.tokens import flat_tokens

    valid = [flat_tokens(e) for e in encode_corpus(load_corpus("valid"))]
    scored = [(baseline_ngram(n).bits_per_event(valid), n) for n in orders]
    order = min(scored)[1]
    return order, baseline_ngram(order)
