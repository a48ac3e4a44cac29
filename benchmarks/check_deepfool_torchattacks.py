"""DeepFool ℓ2 against torchattacks' DeepFool (the peer a user would otherwise call).

    pip install --no-deps --target benchmarks/_env/peers torchattacks==3.5.1
    PYTHONPATH=benchmarks/_env/peers python benchmarks/check_deepfool_torchattacks.py

torchattacks (Kim 2020) is installed here only, without its torchvision dependency. A GRU is
trained on digits (its recipe, 30 epochs), then on the correctly classified test sequences:

* one iteration: both are x₀ + (1 + η) r₀ clipped to [0, 1] (Moosavi-Dezfooli et al. 2016,
  Alg. 2), so the adversarial inputs must agree to float32 rounding;
* 50 iterations: the two differ by design in where the overshoot goes (torchattacks adds
  (1 + η) r_i at every step, neurodyn (1 + η) Σ r_i from x₀, as the authors' code does), so the
  fraction fooled, the median ‖r‖₂ and the adversarial labels are compared, not the inputs.
  torchattacks also clips every iterate and keeps only the clipped step, so an iterate pressed
  against the [0, 1] box loses the clipped part of each step; neurodyn keeps Σ r_i unclipped and
  clips only the point it evaluates (the authors' code does not clip at all).
"""

from __future__ import annotations

import time

import torch

from neurodyn.data import load
from neurodyn.robustness import deepfool_attack
from neurodyn.train import run


def main() -> None:
    import torchattacks

    torch.set_num_threads(1)
    res = run("gru", "digits", hidden_size=32, epochs=30, seed=0, monitors=None, progress=False)
    model = res.model.eval()
    test = load("digits", "test", seed=0)
    with torch.no_grad():
        ok = model(test.x).argmax(-1) == test.y
    x, y = test.x[ok], test.y[ok]
    print(f"torchattacks {torchattacks.__version__}; GRU test accuracy {res.test['accuracy']:.3f}; "
          f"{len(y)} correctly classified test sequences attacked\n")  # fmt: skip
    for steps in (1, 50):
        t0 = time.perf_counter()
        ours, fooled = deepfool_attack(model, x, norm="l2", steps=steps, overshoot=0.02)
        t1 = time.perf_counter()
        theirs = torchattacks.DeepFool(model, steps=steps, overshoot=0.02)(x, y)
        t2 = time.perf_counter()
        with torch.no_grad():
            lab_o, lab_t = model(ours).argmax(-1), model(theirs).argmax(-1)
        r_o = (ours - x).flatten(1).norm(dim=1)
        r_t = (theirs - x).flatten(1).norm(dim=1)
        f_t = lab_t != y
        diff = float((ours - theirs).abs().max())
        print(f"steps {steps:2d}: max |x_ours − x_torchattacks| = {diff:.2e}; "
              f"fooled {fooled.float().mean():.3f} vs {f_t.float().mean():.3f}; "
              f"median ‖r‖₂ of the fooled {r_o[fooled].median():.4f} vs {r_t[f_t].median():.4f}; "
              f"same adversarial label {(lab_o == lab_t).float().mean():.3f}; "
              f"time {t1 - t0:.1f} s vs {t2 - t1:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
