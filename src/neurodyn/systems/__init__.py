"""Systems as Maps: the Map contract, adapters from torch modules, reference systems."""

from neurodyn.systems._as_map import as_map, complete_map
from neurodyn.systems._feedforward import FeedforwardMap
from neurodyn.systems._flow import FLOW_SCHEMES, FlowMap
from neurodyn.systems._frozen import FrozenInput
from neurodyn.systems._map import CallableMap, Map, MapBase, ModuleMap
from neurodyn.systems._reference import Henon, LinearMap, Logistic, Lorenz, Lorenz96, Rossler
from neurodyn.systems._tangent import TangentBlock, TangentMap
from neurodyn.systems._torch_rnn import TorchRNNMap

__all__ = [
    "FLOW_SCHEMES",
    "CallableMap",
    "FeedforwardMap",
    "FlowMap",
    "FrozenInput",
    "Henon",
    "LinearMap",
    "Logistic",
    "Lorenz",
    "Lorenz96",
    "Map",
    "MapBase",
    "ModuleMap",
    "Rossler",
    "TangentBlock",
    "TangentMap",
    "TorchRNNMap",
    "as_map",
    "complete_map",
]
