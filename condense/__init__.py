"""condense: a symbolic-numeric toolkit for condensation in small-initialization training.

The library is split in layers (see README "Public API"):

* :mod:`theory`   -- SymPy derivations (effective models, conservation laws, bounds);
* :mod:`numerics` -- Numba-compiled integrators, blow-up times, direct training, sweeps;
* :mod:`verify`   -- theorem checks against simulations, public Hypothesis strategies;
* :mod:`condense` -- this package: the command line, the report and the figures.
"""

__version__ = "0.1.0"
