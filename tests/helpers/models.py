"""Where the tests' models and text come from.

Models come from three places, so the suite runs on a fresh clone:
  * ../shared/models (Llama 2) when the workspace has it;
  * the mistral-common package (Mistral's SentencePiece models);
  * small models trained here with the official sentencepiece.
Text comes from ../shared/corpora when present, else from the bundled
public-domain text and the hand-written hard cases in tests/helpers/hard_cases.py.
"""

import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
# ../shared next to the checkout, or $SPBPE_SHARED (a git worktree elsewhere has none next to it)
SHARED = pathlib.Path(os.environ.get("SPBPE_SHARED", ROOT.parent / "shared"))
BUNDLED_TEXT = ROOT / "spbpe" / "data" / "botchan.txt"


def shared_path(*parts):
    p = SHARED.joinpath(*parts)
    return p if p.exists() else None


def mistral_models():
    try:
        import mistral_common
    except ImportError:
        return {}
    data = pathlib.Path(mistral_common.__file__).parent / "data"
    names = [
        "tokenizer.model.v1",
        "mistral_instruct_tokenizer_240216.model.v2",
        "mistral_instruct_tokenizer_240323.model.v3",
        "mistral_instruct_tokenizer_241114.model.v7",
    ]
    return {n: data / n for n in names if (data / n).exists()}


def real_model_paths():
    """name -> path of every real model available on this machine."""
    out = {}
    llama = shared_path("models", "llama2.model")
    if llama:
        out["llama2.model"] = llama
    out.update(mistral_models())
    return out


# Small models trained with the official sentencepiece, covering the flags
# the real models do not: byte fallback off, user-defined and control
# symbols, no dummy prefix, whitespace as suffix, extra-whitespace removal.
TRAINED_CONFIGS = {
    "bf_identity": dict(
        vocab_size=800, byte_fallback=True, normalization_rule_name="identity", remove_extra_whitespaces=False
    ),
    "nobf_identity": dict(vocab_size=800, normalization_rule_name="identity"),
    "udef_control": dict(
        vocab_size=800,
        normalization_rule_name="identity",
        byte_fallback=True,
        user_defined_symbols=["<sep>", "[REF]", "▁the", "ab c"],
        control_symbols=["<cls>", "[INST]"],
    ),
    "no_dummy_prefix": dict(
        vocab_size=800, normalization_rule_name="identity", add_dummy_prefix=False, byte_fallback=True
    ),
    "suffix": dict(vocab_size=800, normalization_rule_name="identity", treat_whitespace_as_suffix=True),
    "nfkc_default": dict(vocab_size=1000),
    "nfkc_bf_suffix": dict(
        vocab_size=900,
        byte_fallback=True,
        treat_whitespace_as_suffix=True,
        remove_extra_whitespaces=False,
        normalization_rule_name="nmt_nfkc_cf",
    ),
}


def corpus_lines(max_lines_per_file=None):
    """(source, line) pairs: every line of ../shared/corpora when present."""
    base = shared_path("corpora")
    files = []
    if base:
        for sub in ("english", "multilingual", "special", "adversarial"):
            d = base / sub
            if d.exists():
                files += sorted(p for p in d.iterdir() if p.suffix in (".txt", ".tsv"))
    else:
        files = [BUNDLED_TEXT]
    for f in files:
        with open(f, encoding="utf-8", errors="surrogateescape", newline="") as fh:
            for i, line in enumerate(fh):
                if max_lines_per_file is not None and i >= max_lines_per_file:
                    break
                yield f.name, line.rstrip("\n")
