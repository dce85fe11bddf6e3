"""The hand-written backward pass of the course's MLPs now lives in ``hplab.train._fast``.

This name stays so that ``from hplab.backprop import Backprop`` keeps working.
"""

from .train._fast import Backprop

__all__ = ["Backprop"]
