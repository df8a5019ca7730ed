r"""The derivation report: every step from the network to the blow-up bounds, as Markdown (with
``$$`` blocks) or as a standalone LaTeX document. Every displayed identity is checked by
:mod:`theory` while the report is built; the text says for which widths.

Public: :func:`derivation_markdown`, :func:`derivation_latex`, :func:`write_derivation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sympy as sp

from theory.blowup import (blowup_lower_bound, blowup_upper_bound, bound_proofs, projected_flow,
                           sphere_fixed_point)
from theory.conservation import (conservation_laws, energy_identity, euler_identity, norm_growth_identities)
from theory.activations import z
from theory.effective import EffectiveModel, _short, derive_effective_model, estimated_terms
from theory.ground.io import check_output_file, write_text_atomic
from theory.ground.progress import Progress
from theory.identities import ProvedIdentity
from theory.latexing import tex
from theory.network import Network, network_conservation_laws
from theory.scalar import scalar_blowup_time

#: Expressions with more terms than this are summarized rather than printed in full.
MAX_DISPLAY_TERMS = 40
#: Largest number of terms of the leading coefficient for which the report (whose symbolic proofs
#: cost about the square of that number) is built: 256 is depth 8 at widths 2, d = 2, about 50 s on
#: the 2-core development machine; beyond it :func:`write_derivation` refuses before any work.
MAX_REPORT_TERMS = 256


def estimated_report_seconds(terms: int) -> float:
    """Rough time of the report for a leading coefficient of ``terms`` monomials, from measurements
    on the 2-core development machine (64 terms: 3.6 s, 256 terms: 49 s; growth about terms^1.9)."""
    return 3.6 * (terms / 64) ** 1.9


@dataclass
class _Doc:
    """A tiny document model rendered to Markdown or LaTeX. Text may contain inline ``$...$`` math
    and the markers ``<<code:...>>`` (rendered as code) ."""

    blocks: list

    def section(self, title: str) -> None:
        self.blocks.append(("section", title))

    def text(self, text: str) -> None:
        self.blocks.append(("text", text))

    def math(self, latex: str) -> None:
        self.blocks.append(("math", latex))

    def items(self, entries: list[str]) -> None:
        self.blocks.append(("items", entries))


def _code(text: str, target: str) -> str:
    if target == "md":
        return f"`{text}`"
    return r"\texttt{" + text.replace("_", r"\_") + "}"


def _render_text(text: str, target: str) -> str:
    out, rest = [], text
    while "<<code:" in rest:
        head, rest = rest.split("<<code:", 1)
        code, rest = rest.split(">>", 1)
        out.append(head)
        out.append(_code(code, target))
    out.append(rest)
    return "".join(out)


def _render_markdown(doc: _Doc, title: str) -> str:
    lines = [f"# {title}", ""]
    for kind, content in doc.blocks:
        if kind == "section":
            lines += [f"## {content}", ""]
        elif kind == "text":
            lines += [_render_text(content, "md"), ""]
        elif kind == "math":
            lines += ["$$", content, "$$", ""]
        elif kind == "items":
            lines += [f"- {_render_text(e, 'md')}" for e in content] + [""]
    return "\n".join(lines)


def _render_latex(doc: _Doc, title: str) -> str:
    lines = [
        r"\documentclass[11pt]{article}",
        r"\usepackage{amsmath,amssymb}",
        r"\usepackage[margin=2.2cm]{geometry}",
        r"\allowdisplaybreaks",
        rf"\title{{{title}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        "",
    ]
    for kind, content in doc.blocks:
        if kind == "section":
            lines += [rf"\section{{{content}}}", ""]
        elif kind == "text":
            lines += [_render_text(content, "tex"), ""]
        elif kind == "math":
            lines += [r"\[", content, r"\]", ""]
        elif kind == "items":
            lines += [r"\begin{itemize}"] + [rf"\item {_render_text(e, 'tex')}" for e in content]
            lines += [r"\end{itemize}", ""]
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def _power(base: str, exponent: int) -> str:
    return {0: "1", 1: base}.get(exponent, f"{base}^{{{exponent}}}")


def _verdict(proof) -> str:
    return "proved (difference expands to 0)" if proof.proved else "NOT PROVED (nonzero difference)"


def _widths_text(model: EffectiveModel) -> str:
    return (f"$d={model.input_dim}$, hidden widths $({', '.join(map(str, model.widths))})$")


# -- sections ------------------------------------------------------------------------------------

def _general(m: EffectiveModel) -> bool:
    return m.network is not None and not m.network.is_plain


def _network(doc: _Doc, m: EffectiveModel) -> None:
    doc.section("The network and the small-initialization scaling")
    net = m.network
    output = "scalar output" if m.output_dim == 1 else f"{m.output_dim} outputs"
    biases = [str(k + 1) for k, b in enumerate(net.biases) if b] if net is not None else []
    bias_text = f", biases in layer(s) {', '.join(biases)}" if biases else ", no biases"
    doc.text(f"Depth $L={m.depth}$ (weight layers), activation <<code:{m.activation}>>, {output}{bias_text}, "
             f"explicit sizes {_widths_text(m)} (docs/mathematics.md#model). Every parameter (biases included) is "
             "$\\varepsilon$ times an order-one parameter, $\\theta=\\varepsilon\\bar\\theta$; below the symbols "
             "$a_i$, $W^{(k)}_{ij}$, $b^{(k)}_i$, $A_{ji}$ stand for the normalized parameters $\\bar\\theta$.")
    doc.math(m.latex_network())
    doc.text("Gradient flow on the empirical risk $R(\\theta)=\\frac1{2n}\\sum_i\\|f_\\theta(x_i)-y_i\\|^2$: "
             "$\\dot\\theta=-\\nabla R(\\theta)$.")


def _expansion(doc: _Doc, m: EffectiveModel) -> None:
    p = m.leading_order
    doc.section("Expansion of the output in the initialization scale")
    doc.text("Every pre-activation is a power series in $\\varepsilon$ without constant term, because "
             "$\\sigma(0)=0$. Substituting the Taylor polynomial of $\\sigma$ at $0$ and discarding every power "
             "of $\\varepsilon$ above the order of interest after each operation yields the coefficients "
             "exactly (a discarded term can never return to a lower order). The Taylor coefficients used are")
    sigmas = list(dict.fromkeys(m.network.sigmas)) if m.network is not None else [m.sigma]
    for index, sigma in enumerate(sigmas):
        name = r"\sigma" if len(sigmas) == 1 else rf"\sigma_{{{m.network.sigmas.index(sigma) + 1}}}"
        doc.math(name + "(z) = " + tex(sp.series(sigma, z, 0, min(p + 2, m.multiplicity + 6))))
    doc.text(f"and the expansion $f_\\theta(x)=\\sum_k\\varepsilon^k f_k(\\bar\\theta,x)$ has, for {_widths_text(m)},")
    doc.math(m.latex_expansion(MAX_DISPLAY_TERMS))
    if m.reduction is not None:
        chain = m.weights[-1].T
        for matrix in reversed(m.weights[:-1]):
            chain = chain * matrix
        difference = sp.expand(m.leading_coefficient - m.reduction.factor * (chain * m.x)[0, 0])
        layers = r"\,".join(f"W^{{({k})}}" for k in range(m.depth - 1, 0, -1))
        c = "" if m.reduction.factor == 1 else tex(m.reduction.factor) + r"\,"  # sigma'(0)^(L-1)
        doc.text("In matrix form (the difference of the two sides expands to "
                 f"${tex(difference)}$):")
        doc.math(rf"f_{{{p}}}(\bar\theta,x) = \sigma'(0)^{{{m.depth - 1}}}\,a^\top {layers}\,x = {c}a^\top {layers}\,x")
    doc.text(f"so the leading order is $p={p}$ (multiplicity of $\\sigma$: ${m.multiplicity}$, docs/mathematics.md#multiplicity). "
             "All lower orders vanish identically, not just at random weights.")
    if m.next_order_vanishes:
        doc.text(f"The next order $\\varepsilon^{{{p + 1}}}$ vanishes identically, so "
                 f"$f_\\theta=\\varepsilon^{{{p}}}f_{{{p}}}+O(\\varepsilon^{{{p + 2}}})$: the effective model is "
                 "accurate to relative order $\\varepsilon^2$.")
    else:
        doc.text(f"The next order $\\varepsilon^{{{p + 1}}}$ does not vanish ($f_{{{p + 1}}}$ has "
                 f"{len(m.series_polys[p + 1])} terms): "
                 f"$f_\\theta=\\varepsilon^{{{p}}}f_{{{p}}}+\\varepsilon^{{{p + 1}}}f_{{{p + 1}}}+O(\\varepsilon^{{{p + 2}}})$ "
                 "and the effective model is accurate only to relative order $\\varepsilon$.")


def _leading(doc: _Doc, m: EffectiveModel) -> None:
    p = m.leading_order
    doc.section("Which term leads, and why")
    doc.text("Every parameter carries one factor $\\varepsilon$, and an activation of multiplicity $\\mu$ turns a "
             "pre-activation of order $\\ell$ into order $\\mu\\ell$; a term of $f$ is a path through the network "
             "from the input (or from a bias) to the output, and its order counts the parameters on the path, "
             "multiplied through the activations. The expansion above found, in $f_{%d}$:" % p)
    items = []
    for group in m.leading_terms:
        source = (f"the bias $b^{{({group['biases'][0]})}}$" if group["biases"] else "the input $x$")
        pairs = group["pairs_with"].replace("y-bar", "$\\bar y$")
        items.append(f"{group['terms']} term(s) from {source}, of degree {group['x_degree']} in $x$, pairing with "
                     f"{pairs}")
    doc.items(items)
    if all(g["x_degree"] == 0 for g in m.leading_terms):
        q = m.centred_order
        doc.text(f"The leading terms do not depend on $x$: they fit the mean target $\\bar y$. "
                 + ("With $p=1$ (an output bias) the gradient of the risk in that bias is constant to leading order, "
                    "so it reaches $\\bar y$ within $O(1/\\eta)$ steps; " if p == 1 else
                    "With $p=2$ the effective flow is linear: the plateau grows like $\\log(1/\\varepsilon)$ "
                    "(exponential escape at the top eigenvalue of the linear flow); " if p == 2 else
                    f"With $p={p}$ the effective flow is homogeneous of degree {p - 1} and blows up in finite time from states of positive energy: "
                    f"the plateau grows like $\\varepsilon^{{-{p - 2}}}$; ")
                 + "after the mean is fitted (or from the start when $\\bar y=0$) the residual is $y-\\bar y$ and "
                 + (f"the $x$-dependent part, of order $\\varepsilon^{{{q}}}$, governs with the centred target."
                    if q is not None else "no $x$-dependent part was found."))
    elif any(g["x_degree"] == 0 for g in m.leading_terms):
        doc.text("The $x$-independent terms come with the $x$-dependent ones at the same order: the input is "
                 "effectively $(x,1)$, and the direction $v'$ gains the component $\\bar y$.")


def _energy(doc: _Doc, m: EffectiveModel) -> None:
    p = m.leading_order
    doc.section("Effective energy and effective flow")
    doc.text("While $f_\\theta=O(\\varepsilon^{p})$ is small the residual is $f_\\theta(x_i)-y_i=-y_i+O(\\varepsilon^p)$, so "
             f"$-\\nabla_\\theta R=\\nabla_\\theta\\,\\mathbb E_{{\\rm data}}[y\\,f_\\theta(x)]+\\dots$ and, with "
             f"$f_\\theta=\\varepsilon^{{{p}}}f_{{{p}}}(\\bar\\theta,x)+\\dots$, the normalized parameters follow the gradient "
             "flow of the effective energy")
    if _general(m):
        doc.math(r"E(\bar\theta) = \frac{1}{N}\,\mathbb E_{\rm data}\big[y^\top f_p(\bar\theta,x)\big],\qquad "
                 r"N=\big\|\big(\mathbb E[y_j x^\alpha]\big)_{j,\,|\alpha|\le1}\big\|_2,")
        doc.text("$N$ the spectral norm of the matrix of the first moments that appear in $f_p$ "
                 "($M'=\\frac1n\\sum_iy_ix_i^\\top$ without biases, $\\|v'\\|$ for one output); the symbols "
                 "$\\bar M_{ji}$ (several outputs) or $v_i$ stand for $\\mathbb E[y_jx_i]/N$, and index $0$ for "
                 "$\\mathbb E[y_j]/N$ (the constant input). With multiplicity one and no biases this is the deep "
                 "matrix factorization energy $E=\\langle\\bar M, A\\,W^{(L-1)}\\cdots W^{(1)}\\rangle$ "
                 "(times $\\prod_k\\sigma_k'(0)$):")
    else:
        doc.math(r"E(\bar\theta) = \frac{1}{\|v'\|}\,\mathbb E_{\rm data}\big[y\,f_p(\bar\theta,x)\big],\qquad "
                 r"v'=\frac1n\sum_i y_ix_i,\quad v=\frac{v'}{\|v'\|}.")
    if _general(m):
        pass
    elif m.is_linear_in_x:
        doc.text("Here $f_p$ is linear in $x$ (multiplicity one), so $E(\\bar\\theta)=f_p(\\bar\\theta,v)$:")
    else:
        doc.text("Here $f_p$ is a polynomial of degree "
                 f"{max(sum(a) for a in m.moments)} in $x$, so $E$ depends on the data through the normalized "
                 "moments $\\mu_\\alpha=\\mathbb E[y\\,x^\\alpha]/\\|v'\\|$ (symbols $\\mu_{\\alpha}$ below; $v_j$ "
                 "for $\\alpha=e_j$):")
    if m.energy_term_count <= MAX_DISPLAY_TERMS:
        doc.math(m.latex_energy())
    else:
        doc.text(f"($E$ has {m.energy_term_count} terms; not printed.)")
    doc.text("The effective flow is $d\\bar\\theta/d\\tau=\\nabla E(\\bar\\theta)$, componentwise")
    if m.depth <= 3 and len(m.state_symbols) <= 16 and m.energy_term_count <= MAX_DISPLAY_TERMS:
        doc.math(m.latex_vector_field())
    else:
        doc.text(f"(the {len(m.state_symbols)} components are available as <<code:EffectiveModel.vector_field>>.)")


def _time(doc: _Doc, m: EffectiveModel) -> None:
    p = m.leading_order
    doc.section("Time rescaling")
    eps_grad, eps_time = _power(r"\varepsilon", p - 1), _power(r"\varepsilon", p - 2)
    doc.text(f"Since $f_{{{p}}}$ is homogeneous of degree {p} in the weights, "
             f"$\\nabla_\\theta[\\varepsilon^{{{p}}}f_{{{p}}}(\\bar\\theta)]={eps_grad}\\,\\nabla f_{{{p}}}(\\bar\\theta)$ and "
             f"$\\dot{{\\bar\\theta}}=\\varepsilon^{{-1}}\\dot\\theta={eps_time}\\,{'N' if _general(m) else chr(92) + '|v' + chr(39) + chr(92) + '|'}\\,\\nabla E(\\bar\\theta)+\\dots$; "
             "in the rescaled time")
    doc.math(m.latex_time_rescaling())
    doc.text("the effective flow is $d\\bar\\theta/d\\tau=\\nabla E(\\bar\\theta)$. "
             + ("For $p=2$ the time is not rescaled by $\\varepsilon$: the escape takes "
                "$\\tau\\sim\\log(1/\\varepsilon)$ (linear flow)." if p == 2 else
                f"An $O(1)$ effective time is a training time $t\\sim\\varepsilon^{{-{p - 2}}}$: the plateau length."))


def _constant_text(factor) -> str:
    r"""How :math:`c=\sigma'(0)^{L-1}` is absorbed. For :math:`c<0`, :math:`\tau_{\rm red}=c\,\tau` would
    run time backwards; instead :math:`a\mapsto-a` turns :math:`cE_{\rm red}` into :math:`|c|E_{\rm red}`."""
    if factor == 1:
        return ""
    c = tex(factor)
    if factor.is_negative:
        return (f"The constant ${c}=\\sigma'(0)^{{L-1}}<0$ is absorbed by replacing $a$ by $b=-a$: since "
                f"$E={c}\\,E_{{\\rm red}}(a,\\dots)={tex(-factor)}\\,E_{{\\rm red}}(b,\\dots)$ and $\\dot b=-\\dot a=\\partial E/\\partial b$, "
                f"$(b,\\dots)$ follows the reduced flow in the time $\\tau_{{\\rm red}}={tex(-factor)}\\,\\tau$ "
                "(not $c\\,\\tau$, which would run backwards). ")
    return f"The constant ${c}=\\sigma'(0)^{{L-1}}$ is absorbed by the time $\\tau_{{\\rm red}}={c}\\,\\tau$. "


def _reduction(doc: _Doc, m: EffectiveModel) -> None:
    doc.section("Reduction to the variables $(a, W, u)$" if m.depth == 3 else "Reduction to $u=W^1v$")
    red = m.reduction
    if red is None and _general(m):
        doc.text("Not applicable: the reduced model of <<code:theory.reduced_model>> is stated for one output, no "
                 "biases and one activation. The effective energy derived above is itself a chain of matrix "
                 "products (a deep matrix factorization energy with the data moments as target), and its "
                 "conservation laws are proved below directly on the derived flow.")
        return
    if red is None:
        doc.text(f"Not applicable: <<code:{m.activation}>> has multiplicity {m.multiplicity}, so $f_p$ is not linear "
                 "in $x$ and $E$ is not a function of $W^1v$ alone. The conservation laws, the Euler identity and the "
                 "blow-up analysis below are stated for the multiplicity-one energy "
                 "$E=a^\\top W^{L-1}\\cdots W^2u$; they are not derived here for this activation.")
        return
    c = tex(red.factor)
    times = "" if red.factor == 1 else f"${c}$ times "
    c_mul = "" if red.factor == 1 else c + r"\,"
    doc.text(f"With $u=W^1v$ the derived energy equals {times}the reduced energy "
             "$E_{\\rm red}=a^\\top W^{L-1}\\cdots W^2u$ of <<code:theory.reduced_model>>, and $W^1$ moves only "
             f"along $v$ (checked for {_widths_text(m)}):")
    doc.math(red.latex())
    doc.text(f"Hence $W^1(\\tau)=W^1(0)(I-vv^\\top)+u(\\tau)v^\\top$ and $\\dot u=\\dot W^1v={c_mul}\\partial E_{{\\rm red}}/\\partial u$ "
             "(using $\\|v\\|=1$): the reduced system is closed. "
             + _constant_text(red.factor)
             + f"Verdict: {_verdict(red)}.")
    red_model = red.reduced
    if red_model.depth == 3:
        doc.text("For depth 3, writing $W=W^{(2)}$:")
        doc.math(r"\dot a = Wu,\qquad \dot W = a u^\top,\qquad \dot u = W^\top a,\qquad E = a^\top W u .")


def _reduced_section(doc: _Doc, m: EffectiveModel, title: str):
    """Start a section on the reduced model; ``None`` (with a note) when there is none."""
    doc.section(title)
    if m.reduction is None and _general(m):
        doc.text("Stated in this document for the reduced (scalar, bias-free) model only; for this network the "
                 "effective flow is integrated and its blow-up computed numerically from the derived energy "
                 "(<<code:numerics.predict_escape>>, deep matrix factorization code).")
        return None
    if m.reduction is None:
        doc.text("Not derived for this activation (see the reduction section): the results of this section "
                 "are stated for multiplicity-one activations.")
        return None
    return m.reduction.reduced


def _proof_list(doc: _Doc, proofs: list[ProvedIdentity]) -> None:
    doc.items([f"${p.statement}$: {_verdict(p)}" for p in proofs])


def _conservation(doc: _Doc, m: EffectiveModel) -> None:
    if _general(m) and all(k == 1 for k in m.network.multiplicities):
        doc.section("Conservation laws")
        doc.text("The leading-order energy is multilinear in the layers $\\tilde W^{(k)}=[W^{(k)}\\,|\\,b^{(k)}]$ "
                 "(bias column only where the layer has one) and unchanged under $\\tilde W^{(k)}\\mapsto G\\tilde W^{(k)}$, "
                 "$W^{(k+1)}\\mapsto W^{(k+1)}G^{-1}$; the balancedness laws below were proved by computing "
                 "$\\dot Q=\\sum_s(\\partial Q/\\partial\\bar\\theta_s)\\,\\partial_sE$ from the derived vector field and "
                 f"expanding it to the zero matrix, for {_widths_text(m)}:")
        _proof_list(doc, network_conservation_laws(m))
        return
    red = _reduced_section(doc, m, "Conservation laws")
    if red is None:
        return
    doc.text("Write $E=F_LF_{L-1}\\cdots F_1$ with $F_L=a^\\top$, $F_k=W^k$, $F_1=u$, and $P_k=(F_L\\cdots F_{k+1})^\\top$, "
             "$Q_k=F_k\\cdots F_1$. The flow is $\\dot F_k=P_kQ_{k-1}^\\top$, and $F_{k+1}^\\top P_{k+1}=P_k$, "
             "$F_kQ_{k-1}=Q_k$ give $F_{k+1}^\\top\\dot F_{k+1}=P_kQ_k^\\top=\\dot F_kF_k^\\top$. Hence "
             "$\\frac{d}{d\\tau}(F_{k+1}^\\top F_{k+1})=\\frac{d}{d\\tau}(F_kF_k^\\top)$: consecutive layers stay balanced "
             "for every depth $L$. Independently of this argument, each law below was proved by computing "
             "$\\dot Q=\\sum_s(\\partial Q/\\partial y_s)F_s(y)$ from the vector field and expanding it to the zero matrix, "
             f"for the reduced model with widths $({', '.join(map(str, red.widths))})$:")
    _proof_list(doc, conservation_laws(red))
    doc.text("and for the unreduced effective model derived above (state $(a,\\dots,W^1)$, data direction $v$):")
    _proof_list(doc, conservation_laws(m))
    doc.text("Consequently $\\frac{d}{d\\tau}\\|F_k\\|_F^2=2E$ for every factor:")
    _proof_list(doc, norm_growth_identities(red))


def _energy_identities(doc: _Doc, m: EffectiveModel) -> None:
    if _general(m):
        from theory.identities import prove

        doc.section("Energy identity and Euler identity")
        p = m.leading_order
        euler = prove("Euler", rf"\bar\theta\cdot\nabla E(\bar\theta) = {p}\,E(\bar\theta)",
                      sum((s * f for s, f in zip(m.state_symbols, m.vector_field)), sp.Integer(0)), p * m.energy)
        doc.text(f"Along the flow $\\dot E=\\|\\nabla E\\|^2\\ge0$. $E$ is homogeneous of degree $p={p}$ in "
                 "$\\bar\\theta$ (every parameter carries exactly one factor $\\varepsilon$, so the coefficient of $\\varepsilon^p$ has degree $p$), so Euler's identity "
                 f"holds; proved for {_widths_text(m)}:")
        _proof_list(doc, [euler])
        return
    red = _reduced_section(doc, m, "Energy identity and Euler identity")
    if red is None:
        return
    doc.text("Along the flow $\\dot E=\\nabla E\\cdot\\dot y=\\|\\nabla E\\|^2\\ge0$; with the gradients written as "
             "matrix products:")
    _proof_list(doc, [energy_identity(red), euler_identity(red)])


def _projected(doc: _Doc, m: EffectiveModel) -> None:
    red = _reduced_section(doc, m, "Projected (sphere) flow and its fixed point")
    if red is None:
        return
    L = red.depth
    flow = projected_flow(red)
    fixed = sphere_fixed_point(red)
    clock = "ds=d\\tau" if L == 2 else f"ds={_power('r', L - 2)}\\,d\\tau"
    doc.text(f"With $r=\\|y\\|$, $\\theta=y/r$ and ${clock}$ (Stuart and Floater's rescaling; docs/mathematics.md#blow-up), "
             "Euler's identity gives")
    doc.math(flow.latex() + ("" if L == 2 else r",\qquad T^*=\int_0^\infty \frac{ds}{%s}." % _power("r(s)", L - 2)))
    doc.text(f"The sphere is invariant: ${flow.sphere_invariance.statement}$, {_verdict(flow.sphere_invariance)}. "
             "The rank-one point")
    doc.math(fixed.latex())
    doc.text(f"is a fixed point: $F(\\theta^*)-\\lambda\\theta^*$, $\\|\\theta^*\\|^2-1$ and $L E(\\theta^*)-\\lambda$ all reduce to "
             f"$0$ modulo the unit-norm constraints on the direction vectors (Gröbner reduction): {'proved' if fixed.proved else 'NOT PROVED'}. "
             f"By $|E|\\le\\prod_k\\|F_k\\|_F$ and AM–GM, $\\lambda={tex(fixed.eigenvalue)}$ is also the maximum of $L E$ "
             "on the unit sphere. "
             + ("For $L=2$ the flow is linear ($\\dot a=u$, $\\dot u=a$): growth is exponential, with no finite-time "
                "blow-up." if L == 2 else
                "For generic data with $E_0>0$ the projected flow converges to such a $\\theta^*$ (docs/mathematics.md#blow-up; "
                "observed numerically, not proved here); then every matrix factor becomes rank one and "
                f"$\\|y(\\tau)\\|^{{{L - 2}}}\\approx 1/({L - 2}\\,\\lambda\\,(T^*-\\tau))$"
                + (" (for $L=3$: $\\|y\\|\\approx\\sqrt3/(T^*-\\tau)$)." if L == 3 else ".")))


def _bounds(doc: _Doc, m: EffectiveModel) -> None:
    red = _reduced_section(doc, m, "Bounds on the blow-up time")
    if red is None:
        return
    L = red.depth
    if L == 2:
        doc.text("For $L=2$ there is no finite-time blow-up (<<code:blowup_lower_bound>> returns $\\infty$, "
                 "<<code:blowup_upper_bound>> returns <<code:None>>); the escape time grows like $\\log(1/\\varepsilon)$.")
        return
    doc.text("Theorem (implemented constants). For $y_0\\ne0$ with $r_0=\\|y_0\\|$, and for the upper bound "
             "$E_0=E(y_0)>0$,")
    r0, E0 = sp.Symbol("r_0", positive=True), sp.Symbol("E_0", positive=True)
    lower = sp.Integer(L) ** (sp.Rational(L, 2) - 1) / ((L - 2) * r0 ** (L - 2))
    upper = E0 ** (-sp.Rational(L - 2, L)) / (L - 2)
    doc.math(rf"{tex(lower)}\;\le\;T^*\;\le\;{tex(upper)}")
    doc.text("Proof of the lower bound. By Euler $r\\dot r=y\\cdot F(y)=L\\,E(y)=L\\,r^L E(\\theta)\\le L^{1-L/2}r^L$, so "
             "$\\frac{d}{d\\tau}r^{-(L-2)}\\ge-(L-2)L^{1-L/2}$ and $r$ stays finite while "
             "$\\tau<r_0^{-(L-2)}/((L-2)L^{1-L/2})$.")
    doc.text("Proof of the upper bound. Let $P_j=(F_L\\cdots F_{j+1})^\\top$, $Q_j=F_j\\cdots F_1$ ($P_L=Q_0=1$), so that "
             "$E=\\langle P_j,Q_j\\rangle$ for each $j$ and $\\partial E/\\partial F_j=P_jQ_{j-1}^\\top$ has rank one. Then "
             "$\\prod_j\\|\\partial_jE\\|_F^2=\\prod_{j=1}^{L-1}\\|P_j\\|^2\\|Q_j\\|^2\\ge E^{2(L-1)}$ (Cauchy–Schwarz via "
             "Lagrange's identity), and by the energy identity and AM–GM "
             "$\\dot E=\\sum_j\\|\\partial_jE\\|^2\\ge L\\,E^{2-2/L}$. Hence $\\frac{d}{d\\tau}E^{-(L-2)/L}\\le-(L-2)$ while "
             "$E>0$ ($E$ never decreases), so $E$, and with it $y$, blows up before $E_0^{-(L-2)/L}/(L-2)$. "
             "For depth 3 these are the three terms $X=\\|Wu\\|^2$, $Y=\\|a\\|^2\\|u\\|^2$, $Z=\\|W^\\top a\\|^2$ with "
             "$XYZ\\ge E^4$ of docs/mathematics.md#blow-up. The identities used, proved for widths "
             f"$({', '.join(map(str, red.widths))})$:")
    _proof_list(doc, bound_proofs(red))
    doc.text("Both bounds are equalities for balanced rank-one data (all factors scalar and equal to $x_0>0$: "
             f"$T^*=1/((L-2)x_0^{{L-2}})$), e.g. for $L={L}$, $x_0=1$: lower "
             f"${blowup_lower_bound(L ** 0.5, L):.12g}$, upper ${blowup_upper_bound(1.0, L):.12g}$. "
             "The paper's own constant may differ; the ones above are those implemented in "
             "<<code:theory.blowup>>.")


def _scalar(doc: _Doc, m: EffectiveModel) -> None:
    if m.reduction is None or m.reduction.reduced.depth != 3:
        return
    doc.section("Scalar case: closed form of the blow-up time")
    doc.text("For $m_1=m_2=1$: $\\dot a=wu$, $\\dot w=au$, $\\dot u=aw$ with $c_1=a^2-w^2$, $c_2=w^2-u^2$ conserved "
             "(the balancedness laws). Let $x$ be the coordinate of smallest modulus and $p,q$ the others, "
             "$p^2=x^2+k_1$, $q^2=x^2+k_2$ ($0\\le k_1\\le k_2$ constant), $s=\\mathrm{sign}(pq)$, $y=sx$. Then "
             "$\\dot y=\\sqrt{(y^2+k_1)(y^2+k_2)}$ and")
    doc.math(r"T^*=\int_{y_0}^{\infty}\frac{dy}{\sqrt{(y^2+k_1)(y^2+k_2)}}"
             r"\;\overset{\text{positive data}}{=}\;\int_{a_0}^\infty\frac{da}{\sqrt{(a^2-c_1)(a^2-c_1-c_2)}},")
    doc.text("an elliptic integral of the first kind. $T^*=\\infty$ exactly when the two smallest moduli are equal and "
             "$E_0\\le0$; otherwise the solution blows up, even when $E_0<0$ ($y$ crosses $0$ and $E$ turns positive). "
             "Values (mpmath, 30 digits):")
    rows = []
    for data in [(1, 1, 1), (0.5, 0.3, 0.2), (0.1, 0.2, -0.3)]:
        value = scalar_blowup_time(*data)
        E0 = data[0] * data[1] * data[2]
        r0 = sum(c * c for c in data) ** 0.5
        upper = blowup_upper_bound(E0, 3)
        rows.append(f"$(a_0,w_0,u_0)={data}$: $T^*={sp.Float(value, 15)}$, lower bound "
                    f"${blowup_lower_bound(r0, 3):.10g}$, upper bound "
                    + (f"${upper:.10g}$" if upper is not None else "none ($E_0\\le0$)"))
    doc.items(rows)


def _model(depth, activation, widths, input_dim, network) -> EffectiveModel:
    if network is not None:
        return derive_effective_model(network=network)
    return derive_effective_model(depth, activation, widths, input_dim)


def check_report_size(depth=None, activation=None, widths=None, input_dim=None, network=None) -> int:
    """Refuse (``ValueError`` naming ``depth``, with the estimated time) a report whose leading
    coefficient would have more than :data:`MAX_REPORT_TERMS` terms; returns the estimate."""
    if network is None:
        depth = 3 if depth is None else depth
        widths = (2,) * (depth - 1) if widths is None and isinstance(depth, int) and depth >= 2 else widths
        try:
            network = Network(2 if input_dim is None else input_dim, widths, 1,
                              "tanh" if activation is None else activation)
        except (TypeError, ValueError):
            return 0  # derive_effective_model reports the bad argument
    terms = estimated_terms(network)
    if terms > MAX_REPORT_TERMS:
        raise ValueError(
            f"depth: the derivation of this network ({_short(network)}) has about {terms:.4g} terms in its leading "
            f"coefficient, more than the report's limit {MAX_REPORT_TERMS} (theory.report.MAX_REPORT_TERMS); its "
            f"proofs would take about {estimated_report_seconds(terms):.3g} s here. Use smaller widths, input_dim or "
            "depth (the leading order does not depend on the widths)")
    return terms


_SECTIONS = ("_network", "_expansion", "_leading", "_energy", "_time", "_reduction", "_conservation",
             "_energy_identities", "_projected", "_bounds", "_scalar")


def _build(depth, activation, widths, input_dim, network=None, progress: bool = False) -> tuple[_Doc, str]:
    check_report_size(depth, activation, widths, input_dim, network)
    model = _model(depth, activation, widths, input_dim, network)
    doc = _Doc([])
    doc.text("Every identity shown as proved was checked symbolically by <<code:theory>> while this document was "
             "generated: the difference of its two sides was expanded to the zero polynomial, for the explicit sizes "
             "stated. Generated by <<code:condense derive>>.")
    with Progress(len(_SECTIONS), "derivation sections", enabled=progress) as bar:
        for name in _SECTIONS:
            globals()[name](doc, model)
            bar.advance()
    title = f"Effective dynamics of a depth-{model.depth} network with activation {model.activation}"
    if _general(model):
        title += f" ({model.network.describe().split(',')[0]})"
    return doc, title


def derivation_markdown(depth: int | None = None, activation=None, widths=None, input_dim=None, *,
                        network: Network | None = None) -> str:
    """The derivation report as Markdown with ``$$`` blocks (arguments as in
    :func:`theory.derive_effective_model`)."""
    doc, title = _build(depth, activation, widths, input_dim, network)
    return _render_markdown(doc, title)


def derivation_latex(depth: int | None = None, activation=None, widths=None, input_dim=None, *,
                     network: Network | None = None) -> str:
    """The derivation report as a standalone LaTeX document."""
    doc, title = _build(depth, activation, widths, input_dim, network)
    return _render_latex(doc, title.replace("_", r"\_"))


def write_derivation(out, depth: int | None = None, activation=None, widths=None, input_dim=None, *,
                     network: Network | None = None, progress: bool = False) -> tuple[Path, Path]:
    """Write ``out`` (Markdown) and the standalone ``.tex`` with the same stem; both atomically.
    The output path and the size (:func:`check_report_size`) are checked before any work;
    ``progress`` reports the sections on stderr. Returns the two paths."""
    md_path = Path(out)
    if md_path.suffix.lower() in (".tex",):
        raise ValueError(f"out: give the Markdown path (e.g. derivation.md), got {out!r}")
    check_output_file(md_path, argument="out")
    check_output_file(md_path.with_suffix(".tex"), argument="out")
    doc, title = _build(depth, activation, widths, input_dim, network, progress)
    tex_path = md_path.with_suffix(".tex")
    markdown, latex = _render_markdown(doc, title), _render_latex(doc, title.replace("_", r"\_"))
    md_path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(md_path, markdown)
    write_text_atomic(tex_path, latex)
    return md_path, tex_path
