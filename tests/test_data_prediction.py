"""Next-step prediction tasks: the next character of the Python documentation ("pydoc-chars")
and the next state of Lorenz-96 ("lorenz96"); the per-step regression kind of the trainer."""

import numpy as np
import pytest
import torch

from neurodyn.data import (
    CHAR_VOCAB,
    UNKNOWN,
    _prediction,
    decode_chars,
    encode_chars,
    load,
    pydoc_text,
    task_kind,
)
from neurodyn.train import build_model, evaluate, fit
from neurodyn.train._objective import Objective

CHARS = {"length": 20, "max_chars": 6000}
L96 = {"length": 12, "num_samples": 60}
SPLITS = ("train", "val", "test")


def _clear():
    for f in vars(_prediction).values():
        if hasattr(f, "cache_clear"):
            f.cache_clear()


# --- the vocabulary and the corpus --------------------------------------------------------------


def test_vocabulary_round_trip_and_unknown_characters():
    assert len(CHAR_VOCAB) == 96 and UNKNOWN == 96 and len(set(CHAR_VOCAB)) == 96
    assert CHAR_VOCAB[0] == "\n" and CHAR_VOCAB[1:] == "".join(map(chr, range(32, 127)))
    ids = encode_chars(CHAR_VOCAB)
    assert ids.tolist() == list(range(96)) and decode_chars(ids) == CHAR_VOCAB
    s = 'def f(x):\n    return "x" ~ {1}\n'
    assert decode_chars(encode_chars(s)) == s
    assert encode_chars("“\tß").tolist() == [UNKNOWN] * 3
    assert decode_chars([UNKNOWN]) == "\ufffd" and encode_chars("").shape == (0,)
    with pytest.raises(ValueError, match=r"0\.\.96"):
        decode_chars([97])


def test_the_corpus_is_the_pydoc_topics_and_mostly_in_the_vocabulary():
    from pydoc_data.topics import topics

    text = pydoc_text()
    assert text.startswith(topics[sorted(topics)[0]]) and len(text) > 100_000
    assert np.mean(encode_chars(text) == UNKNOWN) < 0.01


# --- pydoc-chars -------------------------------------------------------------------------------


def test_chars_shapes_dtypes_kind_and_the_target_is_the_next_character():
    assert task_kind("pydoc-chars") == "sequence-classification"
    text = pydoc_text()
    parts = [load("pydoc-chars", s, **CHARS) for s in SPLITS]
    n = 6000 // 21
    assert sum(len(p) for p in parts) == n
    for p in parts:
        assert p.x.shape == (len(p), 20, 97) and p.x.dtype == torch.float32
        assert p.y.shape == (len(p), 20) and p.y.dtype == torch.int64
        assert p.num_classes == p.output_size == 97
        assert torch.equal(p.x.sum(-1), torch.ones(len(p), 20))  # one-hot
        assert torch.equal(p.x[:, 1:].argmax(-1), p.y[:, :-1])  # y[t] = x[t + 1]
    # window i is the text's characters [21 i, 21 i + 21), in order, train first
    ids = torch.cat([torch.cat([p.x[:, :1].argmax(-1), p.y], 1) for p in parts])
    assert decode_chars(ids.reshape(-1).numpy()) == decode_chars(encode_chars(text[: n * 21]))


def test_chars_splits_are_contiguous_disjoint_blocks_that_do_not_depend_on_the_seed():
    sizes = [len(load("pydoc-chars", s, **CHARS)) for s in SPLITS]
    assert sizes == [200, 42, 43]  # 285 windows cut at 70 % and 85 % in text order
    a = load("pydoc-chars", "val", seed=0, **CHARS)
    _clear()
    b = load("pydoc-chars", "val", seed=7, **CHARS)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert load("pydoc-chars", "val", **CHARS).info["baseline"]["loss"] > 2.0


def test_chars_options_are_checked():
    with pytest.raises(ValueError, match="length must be"):
        load("pydoc-chars", length=0)
    with pytest.raises(ValueError, match="max_chars must be"):
        load("pydoc-chars", length=20, max_chars=40)


# --- lorenz96 ----------------------------------------------------------------------------------


def test_l96_shapes_dtypes_normalised_and_the_target_is_the_next_state():
    assert task_kind("lorenz96") == "sequence-regression"
    parts = [load("lorenz96", s, **L96) for s in SPLITS]
    assert [len(p) for p in parts] == [42, 9, 9]
    for p in parts:
        assert p.x.shape == (len(p), 12, 8) and p.y.shape == (len(p), 12, 8)
        assert p.x.dtype == p.y.dtype == torch.float32 and p.output_size == 8
        assert torch.equal(p.x[:, 1:], p.y[:, :-1])  # y[t] = x[t + 1]
    allx = torch.cat([torch.cat([p.x, p.y[:, -1:]], 1) for p in parts])
    assert abs(float(allx.mean())) < 1e-5 and abs(float(allx.std()) - 1) < 1e-3
    info = parts[0].info
    assert 0 < info["baseline"]["loss"] < 2 and info["normalisation"]["std"] > 1


def test_l96_trajectories_follow_the_lorenz96_map():
    from neurodyn.systems import Lorenz96

    ds = load("lorenz96", "train", **L96)
    norm = ds.info["normalisation"]
    h = ds.x[:4, 0].double() * norm["std"] + norm["mean"]
    m = Lorenz96(n=8, dt=0.01)
    for _ in range(10):  # dt = 0.1: ten RK4 steps per sample
        h = m.step(h)
    want = (h - norm["mean"]) / norm["std"]
    assert torch.allclose(want.float(), ds.y[:4, 0], atol=1e-5)


def test_l96_determinism_by_seed_and_disjoint_splits():
    a = load("lorenz96", "val", seed=3, **L96)
    _clear()
    b = load("lorenz96", "val", seed=3, **L96)
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    other = load("lorenz96", "val", **{**L96, "generator_seed": 1})
    assert not torch.allclose(a.x, other.x)
    rows = {s: load("lorenz96", s, seed=3, **L96).x[:, 0] for s in SPLITS}
    for s, t in (("train", "val"), ("train", "test"), ("val", "test")):
        assert torch.cdist(rows[s], rows[t]).min() > 1e-3  # no trajectory in two splits
    assert not torch.equal(load("lorenz96", "val", seed=4, **L96).x, a.x)


def test_l96_options_are_checked():
    with pytest.raises(ValueError, match="n must be"):
        load("lorenz96", n=3)
    with pytest.raises(ValueError, match="dt must be"):
        load("lorenz96", dt=0.0)


# --- training on them --------------------------------------------------------------------------


def test_sequence_regression_objective_is_the_mse_per_step_and_channel():
    obj = Objective("sequence-regression")
    out, y = torch.randn(3, 5, 2), torch.randn(3, 5, 2)
    mse = float(((out - y) ** 2).mean())
    assert float(obj.loss(out, y)) == pytest.approx(mse)
    assert obj.loss_sum(out, y) / 3 == pytest.approx(mse)
    assert obj.score(out, y) / 3 == pytest.approx(mse)
    assert obj.metric == "mse" and not obj.higher_is_better
    with pytest.raises(ValueError, match=r"\(B, 5, 2\)"):
        obj.check(torch.zeros(2, 2), y)


@pytest.mark.parametrize(
    "task, opts", [("pydoc-chars", {"length": 30, "max_chars": 8000}), ("lorenz96", L96)]
)
def test_a_tiny_lstm_learns_each_task(task, opts):
    torch.set_num_threads(1)
    tr, va = load(task, "train", **opts), load(task, "val", **opts)
    m = build_model("lstm", tr.input_size, tr.output_size, hidden_size=16, seed=0, kind=tr.kind)
    assert m(tr.x[:2]).shape == (2, tr.seq_len, tr.output_size)
    before = evaluate(m, va)["loss"]
    res = fit(m, tr, va, epochs=3, lr=0.02, batch_size=16, monitors=None, progress=False)
    losses = [r["train_loss"] for r in res.history[1:]]
    assert losses[-1] < losses[0] and evaluate(res.model, va)["loss"] < 0.8 * before
    key = "val_mse" if task == "lorenz96" else "val_acc"
    assert res.history[-1][key] is not None
