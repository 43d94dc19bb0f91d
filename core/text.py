"""Strings from data (dataset tasks, names) made inert where they are shown or exported.

`markdown_literal` makes a string render as itself in markdown (no links, images, HTML, Streamlit
colour or icon directives); `csv_cell` keeps a spreadsheet from reading a cell as a formula.
Why: docs/security.md.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_AUTOLINKED = re.compile(r"(?i)(?=https?://|www\.|@)")  # where GFM links bare text, escaped or not
WORD_JOINER = "\u2060"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def markdown_literal(text: str) -> str:
    """`text` with every ASCII punctuation character backslash-escaped (CommonMark shows each as itself) and line
    breaks shown as ⏎, so it stays one line of literal text, also inside a table cell; an invisible word joiner
    before `http://`, `https://`, `www.` and `@` keeps GFM (Streamlit's markdown) from linking them."""
    joined = _AUTOLINKED.sub(WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", joined).replace("\r", "␍").replace("\n", "⏎")


def csv_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: one that begins like a formula (=, +, -, @, tab, CR) gets a leading '."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
