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


def test_the_orthogonal_rnn_stays_orthogonal_and_its_map_is_its_step(tmp_path):
    """W_hh from torch's orthogonal parametrization: W_hhᵀW_hh = I after training (float32,
    1e-5: the matrix exponential / Cayley map rounds at ~1e-6 for n = 12), the Map neurodyn
    builds from the module reads the parametrized W_hh (its step is the module's, its Jacobian
    torch.func's), and a checkpoint reloads it."""
    from torch.func import jacrev

    import neurodyn
    from neurodyn.train import build_model, load_model, save_model

    m = build_model("orthogonal", 2, 3, hidden_size=12, seed=0)
    opt = torch.optim.Adam(m.parameters(), lr=0.05)
    x = torch.randn(6, 9, 2, generator=torch.Generator().manual_seed(1))
    w0 = m.body.weight_hh_l0.detach().clone()
    for _ in range(5):
        opt.zero_grad()
        m(x).square().sum().backward()
        opt.step()
    W = m.body.weight_hh_l0.detach()
    assert (W - w0).abs().max() > 1e-3  # it trained
    torch.testing.assert_close(W.T @ W, torch.eye(12), atol=1e-5, rtol=0)
    f = neurodyn.as_map(m.body)
    with torch.no_grad():
        out, _ = m.body(x)
        h1 = f.step(out[:, 0], x[:, 1])
    torch.testing.assert_close(h1, out[:, 1], atol=1e-6, rtol=0)
    J = f.jacobian(out[:1, 0].detach(), x[:1, 1])
    auto = jacrev(lambda v: f.step(v[None], x[:1, 1])[0])(out[0, 0].detach())
    torch.testing.assert_close(J[0], auto, atol=1e-6, rtol=0)
    save_model(m, tmp_path / "o.pt")
    back, _ = load_model(tmp_path / "o.pt")
    assert torch.equal(back(x), m(x))
    with pytest.raises(ValueError, match="orthogonal matrix"):
        build_model("orthogonal", 2, 3, hidden_size=4, init_scale=0.5)
