"""Model zoo: the built-in demo network and the experimental grid of seed 000 (App. D, Table 1)."""

from neurodyn.zoo._demo import demo_net

__all__ = ["demo_net"]
