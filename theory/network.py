r"""Description of a general fully connected network for the expansion in the initialization scale.

A :class:`Network` of depth :math:`L` (``L = len(widths) + 1`` weight layers) computes

.. math:: h_0 = x,\qquad h_k = \sigma_k\big(W^k h_{k-1} + b^k\big)\ (k = 1,\dots,L-1),\qquad
          f_\theta(x) = A\,h_{L-1} + b^L\in\mathbb R^{k_{\rm out}},

with :math:`W^k\in\mathbb R^{m_k\times m_{k-1}}` (:math:`m_0 = d`), the output matrix
:math:`A\in\mathbb R^{k_{\rm out}\times m_{L-1}}` (a column :math:`a` when :math:`k_{\rm out}=1`), one
activation :math:`\sigma_k` per hidden layer (each with :math:`\sigma_k(0)=0`) and a bias
:math:`b^k` in the layers that have one. Every parameter, biases included, is scaled by
:math:`\varepsilon`: :math:`\theta = \varepsilon\bar\theta`.

Which term of :math:`f` leads is decided by the expansion (:func:`theory.derive_effective_model`):
a bias :math:`b^k` reaches the output through :math:`L-k` more layers, so with multiplicity-one
activations its terms start at order :math:`L-k+1` and do not depend on :math:`x`; they pair with
the mean target :math:`\bar y` in the effective energy.

Symbols: ``W{k}_i_j`` (layer :math:`k`), ``b{k}_i`` (bias of layer :math:`k`, the output bias is
``b{L}_j``), the output layer ``a_i`` for one output and ``A_j_i`` for several.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import sympy as sp

from theory.activations import activation_name, check_smooth_activation, multiplicity
from theory.latexing import matrix_symbols
from theory.reduced import _check_widths

__all__ = ["Network", "network_conservation_laws"]


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral | sp.Integer) or int(value) < 1:
        raise ValueError(f"{name}: must be an int >= 1, got {value!r}")
    return int(value)


def _per_layer(value, count: int, name: str, what: str) -> tuple:
    """``value`` repeated ``count`` times, or a tuple/list of exactly ``count`` entries."""
    if isinstance(value, tuple | list):
        if len(value) != count:
            raise ValueError(f"{name}: need one {what} ({count}), got {len(value)}: {value!r}")
        return tuple(value)
    return (value,) * count


@dataclass(frozen=True)
class Network:
    r"""A fully connected network (module docstring).

    ``input_dim`` :math:`d\ge1`; ``widths`` the hidden widths :math:`(m_1,\dots,m_{L-1})`, each
    :math:`\ge1`; ``output_dim`` :math:`k_{\rm out}\ge1`; ``activation`` one name/SymPy expression for
    every hidden layer or a tuple with one per hidden layer (each smooth with :math:`\sigma(0)=0`);
    ``bias`` a bool for all weight layers or a tuple of bools, one per weight layer (the output
    layer last). Bad values raise ``ValueError`` naming the argument.

    Derived attributes: ``depth``, ``activations`` (tuple of names), ``sigmas`` (SymPy
    expressions), ``multiplicities``, ``slopes`` (:math:`\sigma_k'(0)`), ``biases`` (tuple of bools).
    """

    input_dim: int
    widths: tuple[int, ...]
    output_dim: int = 1
    activation: object = "tanh"
    bias: object = False
    activations: tuple[str, ...] = field(init=False, repr=False)
    sigmas: tuple[sp.Expr, ...] = field(init=False, repr=False)
    multiplicities: tuple[int, ...] = field(init=False, repr=False)
    biases: tuple[bool, ...] = field(init=False, repr=False)

    def __post_init__(self):
        input_dim = _check_positive_int(self.input_dim, "input_dim")
        if isinstance(self.widths, numbers.Integral) and not isinstance(self.widths, bool):
            raise ValueError(f"widths: expected a sequence of hidden widths (m1, ..., m_(L-1)), got {self.widths!r}")
        widths = _check_widths(self.widths)
        output_dim = _check_positive_int(self.output_dim, "output_dim")
        acts = _per_layer(self.activation, len(widths), "activation", "activation per hidden layer")
        sigmas = tuple(check_smooth_activation(a) for a in acts)
        biases = _per_layer(self.bias, len(widths) + 1, "bias", "bool per weight layer")
        if not all(isinstance(b, bool) for b in biases):
            raise ValueError(f"bias: expected a bool or a tuple of bools (one per weight layer), got {self.bias!r}")
        for name, value in (("input_dim", input_dim), ("widths", widths), ("output_dim", output_dim),
                            ("activations", tuple(activation_name(a) for a in acts)), ("sigmas", sigmas),
                            ("multiplicities", tuple(multiplicity(a) for a in acts)), ("biases", biases)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "activation", acts[0] if len(set(acts)) == 1 else tuple(acts))
        object.__setattr__(self, "bias", biases[0] if len(set(biases)) == 1 else biases)

    @property
    def depth(self) -> int:
        return len(self.widths) + 1

    @property
    def activation_label(self) -> str:
        """One name when every hidden layer has the same activation, else the names joined by commas."""
        return self.activations[0] if len(set(self.activations)) == 1 else ",".join(self.activations)

    @property
    def slopes(self) -> tuple[sp.Expr, ...]:
        r""":math:`\sigma_k'(0)` per hidden layer."""
        from theory.activations import z

        return tuple(sp.simplify(sp.diff(s, z).subs(z, 0)) for s in self.sigmas)

    @property
    def is_plain(self) -> bool:
        """Scalar output, no bias, one activation: the family of :func:`theory.reduced_model`."""
        return self.output_dim == 1 and not any(self.biases) and len(set(self.sigmas)) == 1

    def describe(self) -> str:
        bias_layers = [str(k + 1) for k, b in enumerate(self.biases) if b]
        return (f"{self.input_dim}-{'-'.join(map(str, self.widths))}-{self.output_dim} network, activation "
                f"{self.activation_label}, " + (f"biases in layer(s) {', '.join(bias_layers)}" if bias_layers
                                                 else "no biases"))

    # -- symbols ---------------------------------------------------------------------------------
    def weight_matrices(self) -> tuple[sp.Matrix, ...]:
        r"""Symbolic weights input to output: :math:`W^1,\dots,W^{L-1}` and the output layer (a column
        ``a`` for one output, else ``A`` of shape ``(output_dim, m_{L-1})``)."""
        dims = (self.input_dim, *self.widths)
        weights = [matrix_symbols(f"W{k}", dims[k], dims[k - 1]) for k in range(1, len(dims))]
        if self.output_dim == 1:
            weights.append(matrix_symbols("a", self.widths[-1], 1))
        else:
            weights.append(matrix_symbols("A", self.output_dim, self.widths[-1]))
        return tuple(weights)

    def bias_vectors(self) -> tuple[sp.Matrix | None, ...]:
        r"""Symbolic biases :math:`b^k` (columns) for the layers with one, ``None`` for the others."""
        rows = (*self.widths, self.output_dim)
        return tuple(sp.Matrix(rows[k], 1, lambda i, _, k=k: sp.Symbol(f"b{k + 1}_{i + 1}", real=True)) if b
                     else None for k, b in enumerate(self.biases))


def network_conservation_laws(model) -> list:
    r"""Balancedness of the effective flow of a network with multiplicity-one activations, proved
    for the model's widths: for every hidden layer :math:`k`,

    .. math:: Q_k = (W^{k+1})^\top W^{k+1} - \tilde W^k(\tilde W^k)^\top,\qquad \tilde W^k=[W^k\,|\,b^k]

    (the bias column only when layer :math:`k` has one; :math:`W^L` is the output matrix without its
    bias). Reason: the leading-order energy is multilinear in the layers, and invariant under
    :math:`\tilde W^k\mapsto G\tilde W^k`, :math:`W^{k+1}\mapsto W^{k+1}G^{-1}`; the proof is the
    expansion of :math:`\dot Q_k=\sum_s(\partial Q_k/\partial\bar\theta_s)\,\partial_sE` to the zero
    matrix, computed from the model's own vector field."""
    from theory.conservation import ConservationLaw
    from theory.identities import time_derivative

    net = model.network
    if any(m != 1 for m in net.multiplicities):
        raise ValueError(f"model: balancedness is stated for multiplicity-one activations, got multiplicities "
                         f"{net.multiplicities}")
    weights, biases = model.weights, model.biases
    laws = []
    for k in range(net.depth - 1):
        lower = weights[k] if biases[k] is None else weights[k].row_join(biases[k])
        upper = weights[k + 1].T if k + 1 == net.depth - 1 and net.output_dim == 1 else weights[k + 1]
        quantity = upper.T * upper - lower * lower.T
        low_name = f"W^{{({k + 1})}}" if biases[k] is None else rf"[W^{{({k + 1})}}\,|\,b^{{({k + 1})}}]"
        up_name = ("a" if net.output_dim == 1 else "A") if k + 1 == net.depth - 1 else f"W^{{({k + 2})}}"
        up_gram = "a a^\\top" if up_name == "a" else f"{{{up_name}}}^\\top {up_name}"
        label = f"{up_gram} - {low_name}{{{low_name}}}^\\top"
        rate = time_derivative(quantity, model.state_symbols, model.vector_field)
        laws.append(ConservationLaw(f"balancedness {label}", rf"\frac{{d}}{{d\tau}}\big({label}\big) = 0",
                                    rate, quantity))
    return laws
