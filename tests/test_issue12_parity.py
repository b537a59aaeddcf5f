"""Parity holes of issue 12, each against the official sentencepiece 0.2.3.

Every test computes the expected result with sentencepiece itself (small
models are trained here, with sentencepiece), so none needs ../shared.
"""

import io

import pytest

spm = pytest.importorskip("sentencepiece")
from sentencepiece import sentencepiece_model_pb2 as pb  # noqa: E402

from spbpe.trainer import SentencePieceTrainer  # noqa: E402


def train_both(lines, **kw):
    """Model bytes from sentencepiece and from spbpe trained on `lines`."""
    out = []
    for trainer in (spm.SentencePieceTrainer, SentencePieceTrainer):
        buf = io.BytesIO()
        trainer.train(sentence_iterator=iter(lines), model_writer=buf, model_type="bpe", minloglevel=2,
                      num_threads=1, **kw)
        out.append(buf.getvalue())
    return out


def pieces(model_bytes):
    m = pb.ModelProto()
    m.ParseFromString(model_bytes)
    return [(p.piece, p.score, p.type) for p in m.pieces]


def assert_same_models(ref, ours):
    a, b = pieces(ref), pieces(ours)
    diff = [i for i in range(max(len(a), len(b))) if i >= min(len(a), len(b)) or a[i] != b[i]]
    assert not diff, f"{len(diff)} differing pieces, first #{diff[0]}: " \
                     f"{a[diff[0]] if diff[0] < len(a) else None} != {b[diff[0]] if diff[0] < len(b) else None}"
    assert ref == ours


# --- 1. Unicode script table ------------------------------------------------

def test_canadian_aboriginal_is_not_common():
    # The example: ᐃ (U+1403) must not merge with ".", so 7 pieces
    # is all there is and 8 is refused.
    assert_same_models(*train_both(["ᐃ."], vocab_size=7))
    for trainer in (spm.SentencePieceTrainer, SentencePieceTrainer):
        with pytest.raises(Exception, match=r"Vocabulary size too high \(8\)"):
            trainer.train(sentence_iterator=iter(["ᐃ."]), model_writer=io.BytesIO(), model_type="bpe",
                          vocab_size=8, minloglevel=2)


def _valid(c):
    # Code points a UTF-8 training line can hold and that are not special to the trainer.
    return c <= 0x10FFFF and not (0xD800 <= c <= 0xDFFF) and c not in (0x00, 0x0A, 0x0D, 0x20, 0x2581, 0x2047)


def _script_probe_lines(lo, hi):
    """Lines whose two-character pieces are valid exactly when the scripts allow.

    For each code point c: "c." and ".c" (valid only when c is Common or
    Inherited), "ac" (only when Latin or Inherited), and c next to c+1 (only
    when both are in one script), so every script boundary and every
    Common/Inherited code point shows in the vocabulary.
    """
    lines = []
    for c in range(lo, hi):
        if not _valid(c):
            continue
        ch = chr(c)
        lines += [ch + ".", "." + ch, "a" + ch]
        if _valid(c + 1):
            lines.append(ch + chr(c + 1))
    return lines


SCRIPT_SPANS = [(0x0, 0x10000), (0x10000, 0x20000), (0x20000, 0x32400), (0xE0000, 0xE0200)]


@pytest.mark.parametrize("lo, hi", SCRIPT_SPANS, ids=[f"{lo:X}" for lo, _ in SCRIPT_SPANS])
def test_script_of_every_code_point(lo, hi):
    # All assigned planes, every code point (sentencepiece's table ends at U+E01EF).
    lines = _script_probe_lines(lo, hi)
    assert_same_models(*train_both(lines, vocab_size=4 * len(lines), hard_vocab_limit=False,
                                   character_coverage=1.0, normalization_rule_name="identity",
                                   add_dummy_prefix=False))


def test_script_of_unassigned_planes_sample():
    lines = []
    for lo in (0x40000, 0x50000, 0x70000, 0xA0000, 0xF0000, 0x10FF00):
        lines += _script_probe_lines(lo, lo + 0x100)
    assert_same_models(*train_both(lines, vocab_size=4 * len(lines), hard_vocab_limit=False,
                                   character_coverage=1.0, normalization_rule_name="identity",
                                   add_dummy_prefix=False))
