r"""The plain NumPy/SciPy reference implementations, in one place.

Every compiled routine of :mod:`numerics` has a slow, obviously-correct twin written with NumPy
array operations (or SciPy's ``solve_ivp``). The tests check the compiled code against these
twins, and the scripts in ``benchmarks/`` time the compiled code against them in the same run.
They take the same arguments and return the same types as the compiled routines:

=============================  =================================================  ==========================
reference                      compiled routine                                   returns
=============================  =================================================  ==========================
:func:`train_network_numpy`    :func:`numerics.training.train_network`            ``TrainingHistory``
:func:`train_factorization_numpy`  :func:`numerics.matrix_factorization.train_factorization`  ``FactorizationHistory``
:func:`chain_field_numpy`      the compiled fields of :mod:`numerics.kernels`      flattened :math:`\nabla E`
:func:`scipy_blowup_time`      :func:`numerics.blowup.blowup_time`                :math:`T^*`
=============================  =================================================  ==========================

They are defined next to the compiled code they mirror (so a change to one is seen beside the
other) and collected here.
"""

from __future__ import annotations

from numerics.blowup import chain_field_numpy, scipy_blowup_time
from numerics.matrix_factorization import train_factorization_numpy
from numerics.training import train_network_numpy

__all__ = ["chain_field_numpy", "scipy_blowup_time", "train_factorization_numpy", "train_network_numpy"]
