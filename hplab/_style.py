"""The course style now lives in :mod:`hplab.plots._style`; this name is kept for old imports."""

from hplab.plots._style import *  # noqa: F401,F403
