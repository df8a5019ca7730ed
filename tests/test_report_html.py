"""The Markdown-to-HTML renderer of the report."""

import base64
import re

from hypothesis import given, strategies as st

from condense.report.html import markdown_to_html, shift_headings


def test_blocks_and_inline_elements():
    md = "\n".join([
        "# Title", "", "Some *em* and **strong** text with `a<b` and $x_1^2$.", "",
        "| a | b |", "| --- | --- |", "| 1 | x \\| y |", "",
        "- one", "- two", "  continued", "", "1. first", "2. second", "",
        "```", "<script>alert(1)</script>", "```", "", "$$", "E = a^T W u", "$$", "",
        "[link](https://example.org)",
    ])
    page = markdown_to_html(md, title="t<>")
    assert "<title>t&lt;&gt;</title>" in page
    assert '<h1 id="title">Title</h1>' in page
    assert "<em>em</em>" in page and "<strong>strong</strong>" in page
    assert "<code>a&lt;b</code>" in page and "\\(x_1^2\\)" in page
    assert "<td>x | y</td>" in page and page.count("<tr>") == 2
    assert "<li>two continued</li>" in page and "<ol><li>first</li>" in page
    assert "&lt;script&gt;" in page and "<script>alert" not in page
    assert "\\[E = a^T W u\\]" in page
    assert '<a href="https://example.org">link</a>' in page


def test_images_are_embedded(tmp_path):
    png = bytes(range(256)) * 3
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "f.png").write_bytes(png)
    page = markdown_to_html("![a figure](figs/f.png)\n\n![missing](figs/g.png)", title="t", base_dir=tmp_path)
    data = re.search(r'src="data:image/png;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(data) == png
    assert 'src="figs/g.png"' in page  # a missing file stays a link


def test_math_is_not_formatted_as_emphasis():
    page = markdown_to_html("$a*b*c$ and $$x*y*z$$", title="t")
    assert "<em>" not in page and "\\(a*b*c\\)" in page and "\\[x*y*z\\]" in page


@given(st.integers(0, 5), st.integers(1, 6))
def test_shift_headings(by, level):
    md = f"{'#' * level} Head\n\ntext # not a heading\n```\n# code\n```"
    shifted = shift_headings(md, by).splitlines()
    assert shifted[0] == "#" * min(6, level + by) + " Head"
    assert shifted[2] == "text # not a heading" and shifted[4] == "# code"
