"""Differential checks of spbpe against the official sentencepiece."""

import spbpe


def compare(model_path, inputs, check_pieces=True, check_normalize=True, pieces_stride=1):
    """Return a list of (input, what, ours, theirs) differences (pieces on
    every pieces_stride-th input)."""
    import sentencepiece as spm

    ours = spbpe.SentencePieceProcessor(model_file=str(model_path))
    ref = spm.SentencePieceProcessor(model_file=str(model_path))
    diffs = []
    ids_o = ours.encode(inputs)
    ids_r = ref.encode(inputs)
    for x, a, b in zip(inputs, ids_o, ids_r):
        if a != b:
            diffs.append((x, "ids", a, b))
    if check_pieces:
        sample = inputs[::pieces_stride]
        for x, a, b in zip(sample, ours.encode(sample, out_type=str), ref.encode(sample, out_type=str)):
            if a != b:
                diffs.append((x, "pieces", a, b))
    for x, a, b in zip(inputs, ours.decode(ids_r), ref.decode(ids_r)):
        if a != b:
            diffs.append((x, "decode", a, b))
    if check_normalize:
        for x in inputs:
            a, b = ours.normalize(x), ref.normalize(x)
            if a != b:
                diffs.append((x, "normalize", a, b))
    return diffs


def describe(diffs, limit=5):
    return "\n".join(f"{what}: {x!r:.80}\n  spbpe: {a!r:.200}\n  spm:   {b!r:.200}" for x, what, a, b in diffs[:limit])


def train_each(tmp_path, **kw):
    """Train with sentencepiece and with spbpe, each in its own folder
    (tmp_path/spm, tmp_path/spbpe) under the same relative model_prefix "m",
    so the .model bytes can match; {"spm": ..., "spbpe": ...}, each the
    folder or the RuntimeError that trainer raised."""
    import os

    import sentencepiece as spm

    out = {}
    for who, trainer in (("spm", spm.SentencePieceTrainer), ("spbpe", spbpe.SentencePieceTrainer)):
        d = tmp_path / who
        d.mkdir()
        cwd = os.getcwd()
        os.chdir(d)
        try:
            trainer.train(model_prefix="m", minloglevel=2, **kw)
            out[who] = d
        except RuntimeError as e:
            out[who] = e
        finally:
            os.chdir(cwd)
    return out
