"""``spbpe convert --check FILES``: the ids of a converted tokenizer.json,
loaded by HF ``tokenizers``, against spbpe's on every line of FILES.

Both converters (SentencePiece ``.model`` in convert.py, byte-level rank
files in convert_bytelevel.py) check the same way and differ only in how
spbpe encodes a line and spells its tokens, which they pass in.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List

__all__ = ["check_against_tokenizers"]


def check_against_tokenizers(
    tokenizer_json: str,
    files: List[str],
    encode: Callable[[str], List[int]],
    pieces: Callable[[str, List[int]], List[str]],
    max_examples: int = 5,
) -> Dict[str, Any]:
    """Encode every line of ``files`` with ``encode`` (spbpe) and with the
    tokenizer.json (HF); count equal ids.  Lines that are not valid UTF-8
    are skipped (HF takes str only).  ``pieces(text, ids)`` spells spbpe's
    tokens for the first ``max_examples`` differences."""
    from .optional import require
    from .verify_corpus import _files as walk
    from .verify_corpus import read_corpus

    hf = require(
        "tokenizers", "convert --check (HuggingFace tokenizers, to load the tokenizer.json)"
    ).Tokenizer.from_str(tokenizer_json)
    paths = walk(files)
    for p in paths:
        if not os.path.isfile(p):
            raise FileNotFoundError(2, "No such file or directory", p)
    total = same = 0
    examples: List[Dict[str, Any]] = []
    for src, no, text in read_corpus(paths):
        if not isinstance(text, str):
            continue
        total += 1
        a, b = encode(text), hf.encode(text, add_special_tokens=False).ids
        if a == b:
            same += 1
        elif len(examples) < max_examples:
            examples.append(
                {
                    "source": src,
                    "line_no": no,
                    "text": text[:200],
                    "spbpe": pieces(text, a)[:40],
                    "tokenizers": [hf.id_to_token(i) for i in b][:40],
                }
            )
    return {"lines": total, "identical": same, "rate": same / total if total else 1.0, "examples": examples}
