"""WordPress's wpautop (wp-includes/formatting.php), ported: the paragraphs and line breaks
WordPress adds on display to a post written in the classic editor, which stores them as
blank lines and newlines. A post of the block editor is stored with its <p> and gets none
(WordPress takes wpautop off `the_content` for a post with blocks): `autop(..., blocks=True)`.

Ported step by step, `<pre>` kept whole, newlines inside tags kept (wp_replace_in_html_tags),
<script>/<style>/<svg>/<math> left as they are; left out: the <option> and <object> rules
(forms and plugins, which the sanitizer drops anyway). `shortcode_unautop` takes the <p>
off a paragraph that is one shortcode, as WordPress does after wpautop.
"""

from __future__ import annotations

import re

from feeds.imports.shortcodes import Shortcodes

__all__ = ["autop", "shortcode_unautop"]

_ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form"
    r"|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article|aside"
    r"|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
_DOUBLE_BR = re.compile(r"<br\s*/?>\s*<br\s*/?>")
_BLOCK_OPEN = re.compile(rf"(<{_ALLBLOCKS}[\s/>])")
_BLOCK_CLOSE = re.compile(rf"(</{_ALLBLOCKS}>)")
_HR = re.compile(r"(<hr\s*?/?>)")
_TAG = re.compile(r"(<[^<>]*>)")
_NL = " <!-- wpnl --> "
_MEDIA_OPEN = re.compile(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*")
_MEDIA_CLOSE = re.compile(r"\s*([<\[]/(?:audio|video)[>\]])")
_SOURCE = re.compile(r"\s*(<(?:source|track)[^>]*>)\s*")
_FIGCAPTION_OPEN = re.compile(r"\s*(<figcaption[^>]*>)")
_FIGCAPTION_CLOSE = re.compile(r"</figcaption>\s*")
_MANY_NL = re.compile(r"\n\n+")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_EMPTY_P = re.compile(r"<p>\s*</p>")
_P_IN_DIV = re.compile(r"<p>([^<]+)</(div|address|form)>")
_P_AROUND_BLOCK = re.compile(rf"<p>\s*(</?{_ALLBLOCKS}[^>]*>)\s*</p>")
_P_LI = re.compile(r"<p>(<li.+?)</p>")
_P_BLOCKQUOTE = re.compile(r"<p><blockquote([^>]*)>", re.IGNORECASE)
_P_BEFORE_BLOCK = re.compile(rf"<p>\s*(</?{_ALLBLOCKS}[^>]*>)")
_P_AFTER_BLOCK = re.compile(rf"(</?{_ALLBLOCKS}[^>]*>)\s*</p>")
_KEEP_NEWLINES = re.compile(r"<(script|style|svg|math).*?</\1>", re.DOTALL)
_BR_AFTER_BLOCK = re.compile(rf"(</?{_ALLBLOCKS}[^>]*>)\s*<br />")
_BR_BEFORE_BLOCK = re.compile(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)")
_KEPT_NL = "<WPPreserveNewline />"
# What only the whole port handles: a block-level tag, <pre>, <br> pairs, media sources,
# <hr>, and the elements whose newlines are kept.
_NEEDS_ALL = re.compile(rf"<(?:/?{_ALLBLOCKS}[\s/>]|br|source|track|script|svg|math)",
                        re.IGNORECASE)
_LINE_BLOCK = re.compile(r"<(p|h[1-6]|figure|blockquote|div|table|ul|ol)[\s>]")
_BLOCK_START = re.compile(rf"<{_ALLBLOCKS}[\s/>]")
_NL_IN_TAG = re.compile(r"<[^<>]*\n")
_LAST_P = re.compile(r"\n</p>$")


def autop(text: str, *, blocks: bool = False) -> str:
    """`text` with WordPress's paragraphs (<p>) and line breaks (<br />); `blocks`: a post of
    the block editor, which WordPress shows as stored."""
    if blocks or not text.strip():
        return text.strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _NEEDS_ALL.search(text) is None:
        return _loose(text)  # the same, 6x sooner: no block, <pre>, <br>, <source>, ...
    if all(map(_whole_block, text.strip().split("\n"))):
        return text.strip()  # every line one whole block element: wpautop changes nothing
    return _full(text)


def _whole_block(line: str) -> bool:
    """Whether a line is one block element, opened at its start and closed at its end, with
    no other block-level tag in it (a blank line too: it separates such lines)."""
    line = line.strip()
    if not line:
        return True
    opened = _LINE_BLOCK.match(line)
    return (opened is not None and line.endswith(f"</{opened[1]}>")
            and len(_BLOCK_START.findall(line, 1)) == 0 and "<br" not in line
            and line.count(f"</{opened[1]}>") == 1)


def _loose(text: str) -> str:
    """wpautop of text with no block-level tag (nor anything else _NEEDS_ALL names): each
    run of lines between blank lines is a paragraph, each newline in it a <br />."""
    out = []
    for chunk in _PARAGRAPHS.split(text):
        chunk = chunk.strip("\n")
        if not chunk.strip():
            continue  # "<p> </p>" is dropped
        if "\n" in chunk and _NL_IN_TAG.search(chunk):
            chunk = _newlines_in_tags(chunk)
            out.append(f"<p>{_line_breaks(chunk)}</p>".replace(_NL, "\n"))
        else:
            out.append(f"<p>{_line_breaks(chunk)}</p>")
    return "\n".join(out)


def _newlines_in_tags(text: str) -> str:
    """wp_replace_in_html_tags: a tag spanning lines gets no <p> or <br /> inside it."""
    return "".join(p.replace("\n", _NL) if i % 2 else p for i, p in enumerate(_TAG.split(text)))


def _full(text: str) -> str:
    pres: dict[str, str] = {}
    text += "\n"  # "Just to make things a little easier, pad the end."
    if "<pre" in text:
        *parts, last = text.split("</pre>")
        text = ""
        for part in parts:
            start = part.find("<pre")
            if start == -1:
                text += part
                continue
            name = f"<pre wp-pre-tag-{len(pres)}></pre>"
            pres[name] = part[start:] + "</pre>"
            text += part[:start] + name
        text += last
    if "<br" in text:
        text = _DOUBLE_BR.sub("\n\n", text)
    text = _BLOCK_OPEN.sub("\n\n\\1", text)
    text = _BLOCK_CLOSE.sub("\\1\n\n", text)
    if "<hr" in text:
        text = _HR.sub("\\1\n\n", text)
    if _NL_IN_TAG.search(text):
        text = _newlines_in_tags(text)
    if "<source" in text or "<track" in text:
        text = _SOURCE.sub("\\1", _MEDIA_CLOSE.sub("\\1", _media_open(text)))
    if "<figcaption" in text:
        text = _FIGCAPTION_CLOSE.sub("</figcaption>", _FIGCAPTION_OPEN.sub("\\1", text))
    text = _MANY_NL.sub("\n\n", text)
    text = "".join(f"<p>{chunk.strip(chr(10))}</p>\n"
                   for chunk in _PARAGRAPHS.split(text) if chunk)  # fmt: skip
    text = _EMPTY_P.sub("", text)
    if "</div>" in text or "</address>" in text or "</form>" in text:
        text = _P_IN_DIV.sub("<p>\\1</p></\\2>", text)
    text = _P_AROUND_BLOCK.sub("\\1", text)
    if "<p><li" in text:
        text = _P_LI.sub("\\1", text)
    if "<p><blockquote" in text.lower():
        text = _P_BLOCKQUOTE.sub("<blockquote\\1><p>", text)
        text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _P_BEFORE_BLOCK.sub("\\1", text)
    text = _P_AFTER_BLOCK.sub("\\1", text)
    if "<s" in text or "<m" in text:
        text = _KEEP_NEWLINES.sub(lambda m: m.group(0).replace("\n", _KEPT_NL), text)
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = _line_breaks(text)
    text = text.replace(_KEPT_NL, "\n")
    text = _BR_AFTER_BLOCK.sub("\\1", text)
    text = _BR_BEFORE_BLOCK.sub("\\1", text)
    text = _LAST_P.sub("</p>", text)
    for name, pre in pres.items():
        text = text.replace(name, pre)
    if "<!-- wpnl -->" in text:
        text = text.replace(_NL, "\n").replace("<!-- wpnl -->", "\n")
    return text.strip()


def _media_open(text: str) -> str:
    """`_MEDIA_OPEN.sub`, run on the text up to its last ">" or "]" (and the white space
    after it): an [audio or <video opener with neither after it is no match, and the
    expression read on to the end of the text at each such opener (quadratic in a post of
    unclosed [video shortcodes: feeds/imports/shortcodes.py)."""
    after = text[max(text.rfind(">"), text.rfind("]")) + 1 :].lstrip()  # \s is isspace()
    cut = len(text) - len(after)
    return _MEDIA_OPEN.sub("\\1", text[:cut]) + text[cut:]


def _line_breaks(text: str) -> str:
    """Every newline left becomes "<br />\\n", the white space before it dropped, unless the
    line already ends with one: wpautop's `(?<!<br />)\\s*\\n` -> "<br />\\n". (As that regex,
    which re tries at every character, it was a third of the cost of the whole port.)"""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    out = []
    for line in lines[:-1]:
        kept = line.rstrip()
        out.append(kept if kept.endswith("<br />") else kept + "<br />")
    out.append(lines[-1])
    return "\n".join(out)


def shortcode_unautop(text: str, shortcodes: Shortcodes) -> str:
    """A paragraph that is one shortcode (of `shortcodes`) loses its <p>: the shortcode
    shows a block of its own (a caption, a gallery). WordPress's regex, read in linear time
    (feeds/imports/shortcodes.py)."""
    if "<p>[" not in text and "<p> [" not in text:
        return text
    return shortcodes.unautop(text)
