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
