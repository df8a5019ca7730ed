"""theory.report and `condense derive`: the derivation document."""

from __future__ import annotations

import re
import time

import pytest

from condense.cli import main
from theory.report import derivation_latex, derivation_markdown, write_derivation


def _balanced_math(markdown: str) -> bool:
    blocks = markdown.count("$$")
    return blocks % 2 == 0 and all(b.count("{") == b.count("}") for b in markdown.split("$$")[1::2])


def test_default_derivation_is_complete_and_fast():
    start = time.perf_counter()
    text = derivation_markdown()
    assert time.perf_counter() - start < 10
    for heading in ["Expansion of the output", "Effective energy", "Time rescaling", "Reduction",
                    "Conservation laws", "Energy identity", "Projected", "Bounds", "Scalar case"]:
        assert heading in text
    assert "NOT PROVED" not in text
    assert text.count("proved (difference expands to 0)") >= 20
    assert "p=3" in text and r"\tau = \varepsilon\,\|v'\|\,t" in text
    assert _balanced_math(text)


@pytest.mark.parametrize(("depth", "activation"), [(2, "tanh"), (4, "tanh"), (3, "xtanh"), (3, "softplus_shifted")])
def test_other_depths_and_activations_are_handled(depth, activation):
    text = derivation_markdown(depth, activation)
    assert "NOT PROVED" not in text
    assert _balanced_math(text)
    if activation == "xtanh":
        assert "Not applicable" in text and "p=7" in text
    if activation == "softplus_shifted":
        assert "does not vanish" in text
    if depth == 2:
        assert "no finite-time" in text


def test_latex_document_is_standalone():
    tex = derivation_latex(3, "softplus_shifted")
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    body = tex.split(r"\begin{document}", 1)[1]
    # no Markdown leftovers and no unescaped underscores outside math
    assert "$$" not in body and "`" not in body and "##" not in body
    text_only = re.sub(r"\$[^$]*\$", "", re.sub(r"\\\[.*?\\\]", "", body, flags=re.S))
    assert "_" not in text_only.replace(r"\_", "")
    assert tex.count(r"\begin{itemize}") == tex.count(r"\end{itemize}")


def test_write_derivation_writes_both_files(tmp_path):
    md, tex = write_derivation(tmp_path / "sub" / "derivation.md", 2, "sin")
    assert md.read_text().startswith("# ") and tex.read_text().startswith(r"\documentclass")
    assert tex.name == "derivation.tex"
    assert not [p for p in md.parent.iterdir() if p.name.startswith(".")]


def test_cli_derive(tmp_path, capsys):
    out = tmp_path / "d.md"
    assert main(["derive", "--depth", "3", "--activation", "tanh", "--widths", "1", "2", "--out", str(out)]) == 0
    assert out.exists() and (tmp_path / "d.tex").exists()
    assert "widths $(1, 2)$" in out.read_text()


def test_cli_derive_bad_input(tmp_path, capsys):
    out = tmp_path / "d.md"
    assert main(["derive", "--activation", "relu", "--out", str(out)]) == 2
    assert "activation" in capsys.readouterr().err
    assert main(["derive", "--depth", "3", "--widths", "2", "--out", str(out)]) == 2
    assert "widths" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize(("depth", "activation"), [(3, "tanh"), (2, "sin"), (3, "xtanh")])
def test_latex_compiles(tmp_path, depth, activation):
    import subprocess

    _, tex = write_derivation(tmp_path / "d.md", depth, activation)
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.parametrize("name", ["Tanh", "tanhh", "RELU"])
def test_cli_derive_misspelt_activation_is_refused(tmp_path, capsys, name):
    """A misspelt name must not be read as a SymPy symbol, i.e. as the identity sigma(z) = z."""
    out = tmp_path / "d.md"
    assert main(["derive", "--activation", name, "--widths", "1", "1", "--out", str(out)]) == 2
    assert "activation" in capsys.readouterr().err
    assert not out.exists()


def test_negative_constant_is_not_absorbed_by_a_backward_time():
    """sigma = -tanh at depth 4: c = sigma'(0)^3 = -1, E = -E_red(a, ...) = E_red(-a, ...). The flow
    is the reduced flow of (-a, W3, W2, u) in tau_red = tau; tau_red = c tau would reverse time."""
    import sympy as sp

    from theory.activations import z

    md = derivation_markdown(4, -sp.tanh(z), (1, 1, 1), 1)
    assert r"\tau_{\rm red}=-1\,\tau" not in md
    assert r"\tau_{\rm red}=1\,\tau" in md and "b=-a" in md
