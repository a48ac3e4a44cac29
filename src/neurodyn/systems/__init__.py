"""Systems as Maps: the Map protocol, adapters from torch modules, reference systems."""

from neurodyn.systems._map import CallableMap, FeedforwardMap, Map, as_map
from neurodyn.systems._reference import Henon, LinearMap, Logistic, Lorenz, Rossler
from neurodyn.systems._torch_rnn import TorchRNNMap

__all__ = [
    "CallableMap",
    "FeedforwardMap",
    "Henon",
    "LinearMap",
    "Logistic",
    "Lorenz",
    "Map",
    "Rossler",
    "TorchRNNMap",
    "as_map",
]
