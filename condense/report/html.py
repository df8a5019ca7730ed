r"""Markdown to self-contained HTML for the report (no third-party Markdown package).

Handles the subset the report and the derivation use: ATX headings, paragraphs, fenced code,
display math (``$$ ... $$`` blocks), pipe tables, flat bullet/numbered lists, horizontal rules,
and inline code, ``$math$``, ``**bold**``, ``*italic*``, links and images.  Images with a relative
path are embedded as ``data:`` URIs (base64), so the HTML file stands alone.  Mathematics is left as
TeX between ``\( \)`` / ``\[ \]`` and typeset in the browser by MathJax 3, whose single-file
build ``es5/tex-svg-full.js`` (all TeX extensions, SVG output: no web fonts to fetch) is inlined
into the page from the ``django-static-mathjax`` package (Apache-2.0, MathJax 3.2; its import
name is ``mathjax``): the page loads nothing from the network and its formulas render offline.
"""

from __future__ import annotations

import base64
import functools
import html
import mimetypes
import re
from pathlib import Path

#: MathJax configuration: the report's delimiters, SVG output, no context menu (its optional
#: accessibility components would be fetched from the network).
_MATHJAX_CONFIG = (
    "window.MathJax={tex:{inlineMath:[['\\\\(','\\\\)']],displayMath:[['\\\\[','\\\\]']]},"
    "svg:{fontCache:'global'},options:{enableMenu:false}};"
)
#: Path of the MathJax build inside the ``mathjax`` package (django-static-mathjax).
MATHJAX_BUILD = "static/mathjax/es5/tex-svg-full.js"


@functools.lru_cache(maxsize=1)
def mathjax_script() -> str:
    """The ``<script>`` elements that typeset the page: configuration and the inlined MathJax build."""
    from importlib import resources

    try:
        source = (resources.files("mathjax") / MATHJAX_BUILD).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise RuntimeError(
            "report.html needs the MathJax build of the django-static-mathjax package "
            f"(pip install django-static-mathjax): {exc}"
        ) from None
    source = source.replace("</script", "<\\/script")  # cannot close the inline element early
    # the (disabled) menu's About box links to mathjax.org: keep its text, drop the link, so that the
    # page holds no external href/src at all
    source = source.replace('<a href="https://www.mathjax.org">www.mathjax.org</a>', "www.mathjax.org")
    return f"<script>{_MATHJAX_CONFIG}</script>\n<script>{source}</script>"


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}
h1,h2,h3,h4{line-height:1.2}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #bbb;padding:0.25em 0.5em;vertical-align:top;text-align:left}
th{background:#f0f0f0}
pre{background:#f6f6f6;padding:0.6em;overflow-x:auto;font-size:0.85em}
code{background:#f6f6f6;padding:0 0.15em}
img{max-width:100%;height:auto;border:1px solid #ddd}
.math{overflow-x:auto}
""".strip()

_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_RULE = re.compile(r"^\s*(-{3,}|\*{3,}|_{3,})\s*$")
_INLINE_TOKEN = re.compile(r"(`+)(.+?)\1|\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)(.+?)(?<![\s\\])\$")


def markdown_to_html(markdown: str, *, title: str, base_dir: Path | str | None = None) -> str:
    """A complete HTML page for ``markdown``; relative images are read from ``base_dir`` and embedded."""
    body = "\n".join(_blocks(markdown.splitlines(), Path(base_dir) if base_dir else None))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n<style>\n{_CSS}\n</style>\n{mathjax_script()}\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def shift_headings(markdown: str, by: int) -> str:
    """Demote every ATX heading of ``markdown`` by ``by`` levels (outside code fences), capped at 6."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and _HEADING.match(line):
            hashes = len(line) - len(line.lstrip("#"))
            line = "#" * min(6, hashes + by) + line[hashes:]
        out.append(line)
    return "\n".join(out)


def _blocks(lines: list[str], base_dir: Path | None) -> list[str]:
    out: list[str] = []
    i, n = 0, len(lines)
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph), base_dir)}</p>")
            paragraph.clear()

    while i < n:
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            j = i + 1
            while j < n and not lines[j].strip().startswith("```"):
                j += 1
            out.append("<pre><code>" + html.escape("\n".join(lines[i + 1 : j])) + "</code></pre>")
            i = j + 1
        elif stripped.startswith("$$") and not (stripped.endswith("$$") and len(stripped) > 4):
            flush()
            j = i + 1
            while j < n and not lines[j].strip().endswith("$$"):
                j += 1
            body = "\n".join([stripped[2:], *lines[i + 1 : j], lines[j].strip()[:-2] if j < n else ""])
            out.append(f'<div class="math">\\[{html.escape(body.strip())}\\]</div>')
            i = j + 1
        elif stripped.startswith("$$"):
            flush()
            out.append(f'<div class="math">\\[{html.escape(stripped[2:-2].strip())}\\]</div>')
            i += 1
        elif not stripped:
            flush()
            i += 1
        elif m := _HEADING.match(line):
            flush()
            level = len(m.group(1))
            text = m.group(2)
            anchor = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
            out.append(f'<h{level} id="{anchor}">{_inline(text, base_dir)}</h{level}>')
            i += 1
        elif _RULE.match(line):
            flush()
            out.append("<hr>")
            i += 1
        elif stripped.startswith("|") and i + 1 < n and _TABLE_SEP.match(lines[i + 1]):
            flush()
            j = i + 2
            while j < n and lines[j].strip().startswith("|"):
                j += 1
            out.append(_table(lines[i], lines[i + 2 : j], base_dir))
            i = j
        elif _BULLET.match(line) or _NUMBERED.match(line):
            flush()
            pattern, tag = (_BULLET, "ul") if _BULLET.match(line) else (_NUMBERED, "ol")
            items: list[str] = []
            while i < n and lines[i].strip():
                if m := pattern.match(lines[i]):
                    items.append(m.group(1))
                elif items:  # continuation line of the previous item
                    items[-1] += " " + lines[i].strip()
                i += 1
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(t, base_dir)}</li>" for t in items) + f"</{tag}>")
        else:
            paragraph.append(stripped)
            i += 1
    flush()
    return out


def _cells(row: str) -> list[str]:
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]


def _table(header: str, rows: list[str], base_dir: Path | None) -> str:
    head = "".join(f"<th>{_inline(c, base_dir)}</th>" for c in _cells(header))
    body = "".join(
        "<tr>" + "".join(f"<td>{_inline(c, base_dir)}</td>" for c in _cells(r)) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _inline(text: str, base_dir: Path | None) -> str:
    """Inline Markdown: code and math spans are protected first, the rest escaped then formatted."""
    pieces: list[str] = []
    last = 0
    for m in _INLINE_TOKEN.finditer(text):
        pieces.append(_format(text[last : m.start()], base_dir))
        if m.group(1):
            pieces.append(f"<code>{html.escape(m.group(2).strip())}</code>")
        elif m.group(3) is not None:
            pieces.append(f"\\[{html.escape(m.group(3))}\\]")
        else:
            pieces.append(f"\\({html.escape(m.group(4))}\\)")
        last = m.end()
    pieces.append(_format(text[last:], base_dir))
    return "".join(pieces)


def _format(text: str, base_dir: Path | None) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", lambda m: _image(m.group(1), m.group(2), base_dir), text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    return text


def _image(alt: str, src: str, base_dir: Path | None) -> str:
    if base_dir is not None and not re.match(r"^[a-z]+:", src):
        path = base_dir / html.unescape(src)
        if path.is_file():
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            src = f"data:{mime};base64,{data}"
    return f'<img alt="{alt}" src="{src}">'
