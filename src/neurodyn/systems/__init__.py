"""Systems as Maps: the Map protocol, adapters from torch modules, reference systems."""

from neurodyn.systems._map import CallableMap, FeedforwardMap, Map, as_map

__all__ = ["CallableMap", "FeedforwardMap", "Map", "as_map"]
