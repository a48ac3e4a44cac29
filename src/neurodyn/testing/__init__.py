"""Public conformance checks: run them on your own Maps and parametrizations, in any test suite.

Each raises ``AssertionError`` naming what failed, so it drops into pytest or unittest as is.
"""

from neurodyn.testing._map import check_map
from neurodyn.testing._parametrization import check_parametrization

__all__ = ["check_map", "check_parametrization"]
