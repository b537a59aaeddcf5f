"""The token visualizer: ``spbpe show``.

    >>> toks = load_tokenizer("tokenizer.model")                  # doctest: +SKIP
    >>> [s.text for s in toks.segments("Hello world")]             # doctest: +SKIP
    ['Hello', ' world']

In the terminal the text is printed with alternating background colours, one
per token (byte-fallback tokens underlined).  ``--html`` writes one
self-contained page with several tokenizers side by side: any mix of
``.model`` files and tiktoken encodings (``tiktoken:cl100k_base`` or
``tiktoken:/path/to/file.tiktoken``), each with its token count, characters
per token and byte-fallback tokens marked.
"""

from __future__ import annotations

import html
import os
import sys
from dataclasses import dataclass
from typing import List, Sequence

from ..errors import CliError
from .encodings import load_encoding
from .model_info import load_processor

__all__ = ["Segment", "Tokenizer", "load_tokenizer", "render_terminal", "render_html", "plural"]

SAMPLE_TEXT = "Tokenizers split text into pieces: 日本語, emoji 😀, and    runs of spaces."
_COLOURS = [153, 223, 194, 218, 230, 189]  # xterm-256 pastel backgrounds
_HTML_COLOURS = ["#cfe8ff", "#ffe4c4", "#d4f7d4", "#ffd6e7", "#fff6bf", "#e3dcff"]


@dataclass
class Segment:
    """Consecutive tokens shown as one span: one token, or the byte-fallback tokens of one character."""

    ids: List[int]
    pieces: List[str]
    text: str  # the part of the input this span covers
    byte: bool  # byte-fallback tokens (or, for tiktoken, tokens that split a character)


class Tokenizer:
    """A name and a function from text to segments."""

    def __init__(self, name: str, kind: str, impl) -> None:
        self.name, self.kind, self.impl = name, kind, impl

    def segments(self, text: str) -> List[Segment]:
        return _spm_segments(self.impl, text) if self.kind == "sentencepiece" else _tiktoken_segments(self.impl, text)


def load_tokenizer(spec: str) -> Tokenizer:
    """A ``.model`` path, ``tiktoken:NAME`` or ``tiktoken:PATH.tiktoken`` (see :mod:`spbpe.cli.encodings`)."""
    if spec.startswith("tiktoken:"):
        enc = load_encoding(spec[len("tiktoken:") :])
        return Tokenizer(f"tiktoken {enc.name}", "tiktoken", enc)
    return Tokenizer(os.path.basename(spec), "sentencepiece", load_processor(spec))


def _spm_segments(sp, text: str) -> List[Segment]:
    m = sp.encode(text, out_type="offset_mapping")
    out: List[Segment] = []
    pending: List[int] = []  # byte tokens waiting for the one that carries the character
    prev = 0
    for i, (b, e) in zip(m["ids"], m["offsets"]):
        if sp.is_byte(i) and e == b:
            pending.append(i)
            continue
        ids = pending + [i]
        pending = []
        end = max(e, prev)
        out.append(Segment(ids, [sp.id_to_piece(x) for x in ids], text[prev:end], sp.is_byte(i)))
        prev = end
    if pending:
        out.append(Segment(pending, [sp.id_to_piece(x) for x in pending], "", True))
    if prev < len(text):  # text the normalizer dropped (e.g. trailing spaces)
        if out:
            out[-1].text += text[prev:]
        else:
            out.append(Segment([], [], text[prev:], False))
    return out


def _tiktoken_segments(enc, text: str) -> List[Segment]:
    out: List[Segment] = []
    buf, ids = b"", []
    for i in enc.encode(text, disallowed_special=()):
        buf += enc.decode_single_token_bytes(i)
        ids.append(i)
        try:
            s = buf.decode("utf-8")
        except UnicodeDecodeError:
            continue
        out.append(Segment(ids, [repr(enc.decode_single_token_bytes(x))[2:-1] for x in ids], s, len(ids) > 1))
        buf, ids = b"", []
    if ids:
        out.append(
            Segment(
                ids, [repr(enc.decode_single_token_bytes(x))[2:-1] for x in ids], buf.decode("utf-8", "replace"), True
            )
        )
    return out


def _stats(segs: Sequence[Segment], text: str):
    n = sum(len(s.ids) for s in segs)
    nbyte = sum(len(s.ids) for s in segs if s.byte)
    return n, nbyte, (len(text) / n if n else 0.0)


def plural(n: int, word: str) -> str:
    """``1 token``, ``2 tokens``, ``1,024 chars``.

    >>> plural(1, "token"), plural(0, "token"), plural(2, "byte-fallback token")
    ('1 token', '0 tokens', '2 byte-fallback tokens')
    """
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def summary(tok: Tokenizer, n: int, nbyte: int, chars: int, cpt: float) -> str:
    return (
        f"{tok.name}: {plural(n, 'token')}, {plural(chars, 'char')}, {cpt:.2f} chars/token, "
        f"{plural(nbyte, 'byte-fallback token')}"
    )


def render_terminal(tok: Tokenizer, text: str, show_ids: bool = False, colour: bool = True) -> str:
    """The text with one background colour per token; ``show_ids`` adds the ids underneath."""
    segs = tok.segments(text)
    parts = []
    for k, s in enumerate(segs):
        if colour:
            style = f"\x1b[30;48;5;{_COLOURS[k % len(_COLOURS)]}m" + ("\x1b[4m" if s.byte else "")
            parts.append(style + s.text.replace("\n", "↵\n") + "\x1b[0m")
        else:
            parts.append(s.text)
    body = "".join(parts) if colour else "|".join(parts)
    n, nbyte, cpt = _stats(segs, text)
    lines = [body, summary(tok, n, nbyte, len(text), cpt)]
    if show_ids:
        lines.append(" ".join(str(i) for s in segs for i in s.ids))
    return "\n".join(lines)


# Tokens are atomic boxes (inline-block, white-space: pre): a line breaks
# between tokens, never inside one.  Whitespace is drawn as symbols
# (space ·, tab →, newline ↵ followed by a real line break), so a token of
# spaces or newlines has the width of its symbols.
_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(22em, 1fr)); gap: 1em; }
section { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 0.9em; }
h2 { font-size: 1.05em; margin: 0 0 0.3em 0; }
.stats { font-size: 0.85em; color: #555; margin: 0 0 0.6em 0; }
.tokens { font-family: ui-monospace, monospace; line-height: 2.1; overflow-wrap: normal; word-break: normal; }
.tok { display: inline-block; white-space: pre; border-radius: 3px; padding: 0 1px; margin: 0 1px 2px 0;
       line-height: 1.5; }
.ws { color: #888; }
.byte { outline: 2px dashed #c0392b; outline-offset: -1px; }
.legend { font-size: 0.85em; color: #555; }
""" + "".join(f".c{k} {{ background: {c}; }}\n" for k, c in enumerate(_HTML_COLOURS))
_SYMBOLS = {" ": "·", "\t": "→", "\n": "↵", "\r": "␍", "\u3000": "□"}


def _visible(text: str) -> str:
    """A token's text for the page: whitespace-only tokens as symbols; newlines and tabs as symbols in any token."""
    if text and not text.strip():
        return "".join(_SYMBOLS.get(c, "·") for c in text)
    return text.replace("\r", "␍").replace("\n", "↵").replace("\t", "→")


def _span(k: int, s: Segment) -> str:
    ws = bool(s.text) and not s.text.strip()
    cls = f"tok c{k % len(_HTML_COLOURS)}" + (" byte" if s.byte else "") + (" ws" if ws else "")
    tip = " ".join(f"{p} ({i})" for p, i in zip(s.pieces, s.ids))
    breaks = "<br>" * s.text.count("\n")
    return (
        f'<span class="{cls}" data-ids="{" ".join(map(str, s.ids))}" data-text="{html.escape(s.text)}" '
        f'title="{html.escape(tip)}">{html.escape(_visible(s.text))}</span>{breaks}'
    )


def render_html(tokenizers: Sequence[Tokenizer], text: str, title: str = "spbpe show") -> str:
    """One self-contained HTML page (no scripts, no external files) comparing the tokenizers."""
    sections = []
    for tok in tokenizers:
        segs = tok.segments(text)
        n, nbyte, cpt = _stats(segs, text)
        spans = [_span(k, s) for k, s in enumerate(segs)]
        sections.append(
            f'<section class="tokenizer" data-name="{html.escape(tok.name)}" data-tokens="{n}" '
            f'data-chars="{len(text)}" data-byte-tokens="{nbyte}">\n'
            f"<h2>{html.escape(tok.name)}</h2>\n"
            f'<p class="stats"><b>{plural(n, "token")}</b> · {plural(len(text), "char")} · '
            f"<b>{cpt:.2f}</b> chars/token · {plural(nbyte, 'byte-fallback token')}</p>\n"
            f'<div class="tokens">{"".join(spans)}</div>\n</section>'
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        '<p class="legend">One colour per token; hover for pieces and ids; '
        '<span class="tok byte">dashed</span> = byte-fallback tokens; '
        '<span class="tok c0 ws">·</span> space, <span class="tok c1 ws">↵</span> newline, '
        '<span class="tok c2 ws">→</span> tab.</p>\n'
        f'<div class="grid">\n' + "\n".join(sections) + "\n</div>\n</body>\n</html>\n"
    )


def _cmd_show(args) -> int:
    specs = list(args.model) + [f"tiktoken:{t}" for t in args.tiktoken + args.encoding]
    if not specs:
        raise CliError("show: give at least one --model FILE or --tiktoken NAME (see 'spbpe show --help')")
    if args.input:
        with open(args.input, encoding="utf-8") as f:
            text = f.read()
    else:
        text = " ".join(args.text) if args.text else SAMPLE_TEXT
    toks = [load_tokenizer(s) for s in specs]
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(render_html(toks, text))
        counts = ", ".join(f"{t.name} {plural(_stats(t.segments(text), text)[0], 'token')}" for t in toks)
        print(f"wrote {args.html}: {counts}")
        return 0
    colour = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print("\n\n".join(render_terminal(t, text, args.ids, colour) for t in toks))
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("show", help="show how text splits into tokens (terminal colours or --html)", allow_abbrev=False)
    p.add_argument("--model", action="append", default=[], help=".model file or tiktoken:NAME (repeatable)")
    p.add_argument(
        "--tiktoken",
        action="append",
        default=[],
        help="a byte-level encoding by name (cl100k_base, o200k_base, ...) or rank file path (repeatable)",
    )
    p.add_argument("--encoding", action="append", default=[], help="the same as --tiktoken NAME")
    p.add_argument("--html", default="", help="write a side-by-side HTML page here")
    p.add_argument("--input", default="", help="read the text from this file")
    p.add_argument("--ids", action="store_true", help="print the ids too")
    p.add_argument(
        "--color",
        "--colour",
        choices=["auto", "always", "never"],
        default="auto",
        help="colours in the terminal (auto: when stdout is a terminal; never: tokens separated by |)",
    )
    p.add_argument("text", nargs="*", help="text to show (default: a sample sentence)")
    p.set_defaults(func=_cmd_show)
