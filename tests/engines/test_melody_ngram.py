"""The Kneser–Ney n-gram baseline: proper distributions, consistent scoring, sensible smoothing."""

from __future__ import annotations

import numpy as np
import pytest

from genai_studio.engines.music import tokens as tk
from genai_studio.engines.music.corpus import encode_corpus, load_corpus
from genai_studio.engines.music.ngram import BASELINE_ORDER, KneserNeyNgram, baseline_ngram


@pytest.fixture(scope="module")
def small_model():
    seqs = [tk.flat_tokens(e) for e in encode_corpus(load_corpus("train")[:300])]
    return KneserNeyNgram.fit(seqs, 5), seqs


def test_distributions_sum_to_one_in_seen_unseen_and_short_contexts(small_model):
    model, seqs = small_model
    rng = np.random.default_rng(0)
    contexts = [seqs[0][:0], seqs[0][:1], seqs[0][:4], seqs[1][:20], seqs[2][:33],
                rng.integers(0, tk.FLAT_VOCAB, 10)]  # the last one was never seen
    for ctx in contexts:
        dist = model.distribution(ctx)
        assert dist.shape == (tk.FLAT_VOCAB,)
        assert (dist > 0).all()
        assert dist.sum() == pytest.approx(1.0, abs=1e-9)


def test_token_scores_match_the_distribution(small_model):
    model, seqs = small_model
    seq = seqs[5]
    logp = model.token_log2probs(seq)
    for i in (tk.FLAT_PREFIX, tk.FLAT_PREFIX + 1, 20, len(seq) - 1):
        assert logp[i - tk.FLAT_PREFIX] == pytest.approx(np.log2(model.distribution(seq[:i])[seq[i]]), rel=1e-9)


def test_seen_continuations_beat_unseen_and_orders_help(small_model):
    _, seqs = small_model
    toy = [np.array([0, 1, 2, 3, 4, 5, 6, 7] * 3)] * 5
    m = KneserNeyNgram.fit(toy, 3)
    dist = m.distribution(np.array([4, 5]))
    assert dist.argmax() == 6 and dist[6] > 0.5
    valid = [tk.flat_tokens(e) for e in encode_corpus(load_corpus("valid")[:40])]
    unigram = KneserNeyNgram.fit(seqs, 1).bits_per_event(valid)
    four = KneserNeyNgram.fit(seqs, 4).bits_per_event(valid)
    assert four < unigram - 3  # context matters a lot for melodies


def test_persistence_round_trip(small_model):
    model, seqs = small_model
    again = KneserNeyNgram.from_arrays(model.to_arrays())
    assert np.allclose(again.token_log2probs(seqs[3]), model.token_log2probs(seqs[3]))


def test_baseline_is_fitted_on_the_training_split_only():
    ngram = baseline_ngram()
    assert ngram.order == BASELINE_ORDER
    train = [tk.flat_tokens(e) for e in encode_corpus(load_corpus("train")[:50])]
    test = [tk.flat_tokens(e) for e in encode_corpus(load_corpus("test")[:50])]
    assert ngram.bits_per_event(train) < ngram.bits_per_event(test)  # it has seen one and not the other
    with pytest.raises(ValueError):
        KneserNeyNgram.fit(train, 9)
