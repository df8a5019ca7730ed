"""The report's "Conjectures checked" section (verify.conjecture).

By default: the sharpness of the two blow-up bounds of docs/mathematics.md#blow-up,
:math:`\\sqrt3/\\|y_0\\| \\le T^* \\le E_0^{-1/3}` (supremum of lhs/rhs over depth-3 states, where it
is attained, what the attaining state looks like); then every claim the ``--config`` file lists
under ``conjectures`` (``condense check`` syntax), each with its verdict. The section's check
passes when both bounds hold with constant 1 and are sharp (supremum within ``SHARP_TOLERANCE``
of 1); a listed conjecture that is refuted is a finding, not a failure.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The default bounds: (lhs, rhs, what the theory says).
BOUNDS = (
    ("sqrt(3)/r0", "t_star", "lower bound T* >= sqrt(3)/r0"),
    ("t_star", "E0**(-1/3)", "upper bound T* <= E0^(-1/3)"),
)
SHARP_TOLERANCE = 1e-9


@dataclass
class ConjectureSection:
    markdown: str
    passed: bool
    verdict: str


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def conjectures_markdown(claims: list[str] | tuple[str, ...] = (), *, quick: bool = False,
                         seed: int = 0) -> ConjectureSection:
    """Markdown of the section, and its verdict (module docstring)."""
    from verify import conjecture as cj

    examples, polish, evaluations = (100, 2, 600) if quick else (300, 3, 2000)
    lines = [
        "Statements about the blow-up of the effective flow checked by `verify.conjecture` "
        f"(seed {seed}; reproduce one with `condense check --sharp LHS RHS --seed {seed}` or "
        f"`condense check CLAIM --seed {seed}`).",
        "",
        "| bound | sup lhs/rhs | looks | attained at | balancedness, σ2/σ1, E0/max, singular pair |",
        "| --- | --- | --- | --- | --- |",
    ]
    sharp = []
    runs = [(lhs, rhs, label, None) for lhs, rhs, label in BOUNDS]
    if not quick:  # the equality sets at non-scalar widths: singular-pair states vs balanced rank one
        runs += [(lhs, rhs, f"{label}, widths 3×3", (3, 3)) for lhs, rhs, label in BOUNDS]
    for lhs, rhs, label, widths in runs:
        if widths is None:
            r = cj.sharpness(lhs, rhs, examples=examples, seed=seed, polish=polish, max_evaluations=evaluations)
        else:
            r = cj.sharpness(lhs, rhs, over=cj.cases(widths=widths), examples=100, seed=seed, polish=1,
                             max_evaluations=2000)
        sharp.append(r.status == "survived" and abs(r.best - 1) <= SHARP_TOLERANCE)
        where = f"widths {tuple(r.attained_at.widths)}: {r.attained_at.describe()}" if r.attained_at else "-"
        s = r.structure
        shape = ", ".join(f"{s[k]:.2g}" for k in ("balancedness", "rank_one", "energy_ratio", "singular_pair")
                          if k in s) if s else "-"
        lines.append(f"| {_cell(label)} (`{lhs} <= {rhs}`) | {r.best:.15g} | {r.looks} | {_cell(where)} | {shape} |")
    lines += ["", "The lower bound is attained exactly at balanced rank-one states (balancedness 0, σ2/σ1 = 0, "
              "E0 at the maximum ‖y0‖³/(3√3) of the sphere: θ0 is already the limit direction θ*). The upper "
              "bound is attained on a larger set (singular pair 0): a = σâ, u = σû with (â, û) a singular "
              "pair of W of value σ, the other singular values free; only σ moves (σ' = σ²), T* = 1/σ = E0^(-1/3)."]
    survived = 0
    if claims:
        lines += ["", "| conjecture | verdict | examples (skipped) | tightest margin / counterexample |",
                  "| --- | --- | --- | --- |"]
        for claim in claims:
            r = cj.inequality(claim, examples=examples if quick else 500, seed=seed)
            survived += r.status == "survived"
            if r.status == "refuted":
                info = (f"widths {tuple(r.counterexample.widths)}: {r.counterexample.describe()} "
                        f"(lhs {r.lhs:.10g}, rhs {r.rhs:.10g})")
            else:
                info = f"{r.tightest_margin:.3g}"
            lines.append(f"| `{_cell(claim)}` | {r.status} | {r.examples} ({r.skipped}) | {_cell(info)} |")
    verdict = f"{sum(sharp)}/{len(sharp)} bound searches sharp"
    if claims:
        verdict += f"; {survived}/{len(claims)} conjectures survived"
    return ConjectureSection("\n".join(lines), all(sharp), verdict)
