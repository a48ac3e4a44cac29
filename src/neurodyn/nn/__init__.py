"""Layers and weight parametrizations with guarantees (``neurodyn.nn.parametrizations``)."""

from neurodyn.nn import parametrizations

__all__ = ["parametrizations"]
