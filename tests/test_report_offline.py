"""The report's HTML renders its formulas with no network: MathJax is inlined, checked in a real
headless browser (Debian's chromium; the test skips with the reason when it is not installed)."""

import re
import shutil
import subprocess

import pytest

from condense.report.html import markdown_to_html

MARKDOWN = r"""# Offline

Inline $E = a^\top W u$ and $\|y\|$, then a display:

$$\frac{d}{d\tau}\|y\|^2 = 6E, \qquad \mathbb{R}^{m}$$

| law | value |
| --- | --- |
| $a_i^2 - \|W_{i,:}\|^2$ | conserved |

![figure](fig.png)
"""
N_FORMULAS = 4

_RESOURCE = re.compile(r"<(script|link|img|iframe|source|video|audio)\b[^>]*\b(src|href)\s*=\s*\"([^\"]*)\"", re.I)


def _page(tmp_path):
    (tmp_path / "fig.png").write_bytes(
        bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"))
    page = tmp_path / "page.html"
    page.write_text(markdown_to_html(MARKDOWN, title="offline", base_dir=tmp_path), encoding="utf-8")
    return page


def test_page_loads_nothing_from_outside(tmp_path):
    text = _page(tmp_path).read_text(encoding="utf-8")
    targets = [m.group(3) for m in _RESOURCE.finditer(text)]
    assert targets, "the test page should embed its image"
    assert all(t.startswith("data:") for t in targets), targets
    assert "cdn." not in re.sub(r"<script>.*?</script>", "", text, flags=re.S)
    assert 'src="http' not in text and 'href="http' not in text  # not even inside the inlined MathJax


def _visible_text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S | re.I)
    dom = re.sub(r"<mjx-assistive-mml\b.*?</mjx-assistive-mml>", "", dom, flags=re.S)
    return re.sub(r"<[^>]+>", " ", dom)


def test_formulas_are_typeset_offline_in_a_headless_browser(tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no chromium on this machine (.ci/run installs Debian's chromium when it can)")
    page = _page(tmp_path)
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        f"--user-data-dir={tmp_path / 'profile'}", "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=20000", "--dump-dom", page.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    containers = re.findall(r"<mjx-container\b[^>]*jax=\"SVG\"", dom)
    assert len(containers) == N_FORMULAS, f"{len(containers)} typeset formulas, expected {N_FORMULAS}"
    assert len(re.findall(r"<mjx-container\b[^>]*display=\"true\"", dom)) == 1
    text = _visible_text(dom)
    assert "$$" not in text and "\\(" not in text and "\\[" not in text and "\\frac" not in text
    body = re.sub(r"<(script|style)\b.*?</\1>", "", dom, flags=re.S | re.I)
    assert 'data-mml-node="merror"' not in body  # MathJax typesets an unknown macro as an merror node
    assert 'data-mml-node="mfrac"' in body
