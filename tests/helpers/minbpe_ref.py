"""A plain-Python reference of minbpe's semantics, written for the tests.

Two trainers: ``train_literal`` is minbpe's loop as it reads (every chunk of
the text, every pair recounted each step, ``max(stats, key=stats.get)``),
for small texts; ``train_distinct`` recounts over each distinct chunk once
with its multiplicity, in order of first appearance (the same dict
insertion order, so the same ties), fast enough for real corpora.  Plus
minbpe's encode of one chunk and its save/load file format, used to check
that files move both ways between minbpe and spbpe.
"""

import unicodedata


def pair_counts(ids, counts, weight=1):
    """Add each adjacent pair of ids (weighted) to counts, inserting new pairs in order."""
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + weight
    return counts


def merge_pair(ids, pair, idx):
    """Replace each occurrence of pair in ids by idx, left to right."""
    out, i, n = [], 0, len(ids)
    while i < n:
        if i + 1 < n and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def train_literal(chunks, num_merges):
    """[(left, right, count)] per merge: minbpe's RegexTokenizer.train on
    chunks (bytes, in text order).  Stops early when no pair is left."""
    ids = [list(c) for c in chunks]
    out = []
    for i in range(num_merges):
        stats = {}
        for c in ids:
            pair_counts(c, stats)
        if not stats:
            break
        pair = max(stats, key=stats.get)
        ids = [merge_pair(c, pair, 256 + i) for c in ids]
        out.append((pair[0], pair[1], stats[pair]))
    return out


def train_distinct(chunks, num_merges):
    """As train_literal, over distinct chunks with their counts."""
    counts = {}
    for c in chunks:
        counts[c] = counts.get(c, 0) + 1
    words = [[list(c), n] for c, n in counts.items() if len(c) > 1]
    out = []
    for i in range(num_merges):
        stats = {}
        for ids, n in words:
            pair_counts(ids, stats, n)
        if not stats:
            break
        pair = max(stats, key=stats.get)
        a, b = pair
        for w in words:
            ids = w[0]
            if a in ids:
                w[0] = merge_pair(ids, pair, 256 + i)
        words = [w for w in words if len(w[0]) > 1]
        out.append((a, b, stats[pair]))
    return out


def encode_chunk(chunk_ids, merges):
    """minbpe's _encode_chunk: merge the pair with the lowest merge index until none is left."""
    ids = list(chunk_ids)
    while len(ids) >= 2:
        stats = pair_counts(ids, {})
        pair = min(stats, key=lambda p: merges.get(p, float("inf")))
        if pair not in merges:
            break
        ids = merge_pair(ids, pair, merges[pair])
    return ids


def render(t):
    """minbpe's render_token."""
    s = t.decode("utf-8", errors="replace")
    return "".join(ch if unicodedata.category(ch)[0] != "C" else f"\\u{ord(ch):04x}" for ch in s)


def save(prefix, pattern, special_tokens, merges, vocab):
    """minbpe's Tokenizer.save."""
    with open(prefix + ".model", "w", encoding="utf-8") as f:
        f.write("minbpe v1\n")
        f.write(f"{pattern}\n")
        f.write(f"{len(special_tokens)}\n")
        for special, idx in special_tokens.items():
            f.write(f"{special} {idx}\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    inverted = {idx: pair for pair, idx in merges.items()}
    with open(prefix + ".vocab", "w", encoding="utf-8") as f:
        for idx, token in vocab.items():
            s = render(token)
            if idx in inverted:
                a, b = inverted[idx]
                f.write(f"[{render(vocab[a])}][{render(vocab[b])}] -> [{s}] {idx}\n")
            else:
                f.write(f"[{s}] {idx}\n")


def load(model_file):
    """minbpe's Tokenizer.load: (pattern, special_tokens, merges, vocab)."""
    assert model_file.endswith(".model")
    merges, special_tokens, idx = {}, {}, 256
    with open(model_file, encoding="utf-8") as f:
        assert f.readline().strip() == "minbpe v1"
        pattern = f.readline().strip()
        for _ in range(int(f.readline().strip())):
            special, special_idx = f.readline().strip().split()
            special_tokens[special] = int(special_idx)
        for line in f:
            a, b = map(int, line.split())
            merges[(a, b)] = idx
            idx += 1
    vocab = {i: bytes([i]) for i in range(256)}
    for (a, b), i in merges.items():
        vocab[i] = vocab[a] + vocab[b]
    for special, i in special_tokens.items():
        vocab[i] = special.encode("utf-8")
    return pattern, special_tokens, merges, vocab
