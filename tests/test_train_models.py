"""Models by name: every name builds, matches a parameter target, and reads out logits."""

import pytest
import torch

from neurodyn.train import MODELS, build_model, count_parameters


@pytest.mark.parametrize("name", list(MODELS))
def test_each_model_matches_its_parameter_target(name):
    m = build_model(name, 1, 10, params=3000, seed=0)
    n = count_parameters(m)
    # the chosen width is the best of its neighbours: one step either way is no closer
    step = MODELS[name].hidden_step
    h = m.body.hidden_size
    others = [
        count_parameters(build_model(name, 1, 10, hidden_size=w, seed=0))
        for w in (h - step, h + step)
        if w > 0
    ]
    assert all(abs(n - 3000) <= abs(o - 3000) for o in others)
    out = m(torch.rand(2, 7, 1))
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_seed_makes_initial_weights_reproducible():
    a = build_model("lstm", 1, 10, hidden_size=8, seed=3).state_dict()
    b = build_model("lstm", 1, 10, hidden_size=8, seed=3).state_dict()
    c = build_model("lstm", 1, 10, hidden_size=8, seed=4).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_bad_arguments_name_what_to_do():
    with pytest.raises(ValueError, match="known models"):
        build_model("transformer", 1, 10, hidden_size=4)
    with pytest.raises(ValueError, match="exactly one"):
        build_model("lstm", 1, 10)


@pytest.mark.parametrize("name", ["lstm", "lipschitz", "scn"])
def test_saved_model_loads_back_with_the_same_outputs(tmp_path, name):
    from neurodyn.train import load_model, save_model

    m = build_model(name, 1, 10, hidden_size=16, seed=0)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.01)  # differ from a fresh build
    save_model(m, tmp_path / "m.pt", task="digits", epoch=3)
    back, meta = load_model(tmp_path / "m.pt")
    x = torch.rand(3, 5, 1)
    torch.testing.assert_close(back(x), m(x), rtol=0, atol=0)
    assert meta == {"task": "digits", "epoch": 3}
    torch.save(m.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(ValueError, match="not a neurodyn model file"):
        load_model(tmp_path / "bare.pt")
