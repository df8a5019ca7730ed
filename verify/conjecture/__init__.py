r"""Your own conjecture about the effective flow: prove it, refute it with a shrunk
counterexample, or measure how sharp it is (docs/verify.md, "Conjectures").

Four instruments, each deterministic for a ``seed`` and bounded by an ``examples`` budget:

* :func:`conserved` — is a quantity conserved? Symbolic proof first, else integration from
  Hypothesis-drawn states, refuted with the state that drifts.
* :func:`inequality` — does ``lhs <= rhs`` hold on every case? A shrunk counterexample if not.
* :func:`sharpness` — the supremum of ``lhs/rhs`` (Hypothesis ``target()`` then Nelder–Mead),
  where it is attained or approached.
* :func:`rate` — the fitted exponent and constant of an asymptotic law, with uncertainty.

Cases (:class:`Case`, :class:`NetworkCase`) carry the named quantities a claim string may use
(``t_star``, ``r0``, ``E0``, ``lower``, ``upper``, ``depth``, ``rate``, ``E_half``,
``norm(u)``/``norm(W)``/``norm(a)``; network cases also ``epsilon``, ``predicted_escape``,
``observed_escape``, ``lr``); strategies :func:`cases` and :func:`network_cases`.

Example::

    from verify import conjecture
    conjecture.inequality("t_star <= E0**(-1/3)").status        # 'survived'
    conjecture.inequality("t_star <= 0.9*E0**(-1/3)").counterexample
    conjecture.sharpness("t_star", "E0**(-1/3)").best            # 1.0 (balanced rank-one)
"""

from verify.conjecture.cases import (
    CASE_QUANTITIES,
    NETWORK_QUANTITIES,
    Case,
    NetworkCase,
    cases,
    make_case,
    make_network_case,
    network_cases,
)
from verify.conjecture.claims import Claim, parse_claim
from verify.conjecture.conservation import conserved, parse_quantity
from verify.conjecture.rates import blowup_law, fit_power_law, rate
from verify.conjecture.results import ConservedResult, InequalityResult, RateResult, SharpnessResult
from verify.conjecture.search import inequality, over_cases, sharpness

__all__ = [
    "CASE_QUANTITIES", "NETWORK_QUANTITIES", "Case", "NetworkCase", "Claim", "ConservedResult",
    "InequalityResult", "RateResult", "SharpnessResult", "blowup_law", "cases", "conserved",
    "fit_power_law", "inequality", "make_case", "make_network_case", "network_cases", "over_cases",
    "parse_claim", "parse_quantity", "rate", "sharpness",
]
