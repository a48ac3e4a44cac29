"""Systems as Maps: the Map protocol, adapters from torch modules, reference systems."""

from neurodyn.systems._map import FeedforwardMap, Map, as_map

__all__ = ["FeedforwardMap", "Map", "as_map"]
