"""Train every parity config with sentencepiece 0.2.3 and with spbpe; compare.

For each config prints: identical pieces (piece, score, type) yes/no, the
first differing piece, whether the .model/.vocab bytes are identical, and
both wall times.  Corpora come from ../shared/corpora (configs whose corpus
is missing are reported as skipped).

    python scripts/train_parity.py [NAME_SUBSTRING ...]

Config h of ../shared/notes/spm_train_configs.json (input_sentence_size with
shuffling) is left out: sentencepiece 0.2.3 samples differently on every run.
"""

import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPORA = ROOT.parent / "shared" / "corpora"
BOTCHAN = CORPORA / "english" / "botchan.txt"
WAGAHAI = CORPORA / "multilingual" / "ja_wagahaiwa_nekodearu.txt"
MIXED = CORPORA / "multilingual" / "mixed_shuffled.txt"
GUTENBERG = CORPORA / "english" / "gutenberg_en.txt"

LLAMA = dict(
    model_type="bpe",
    vocab_size=16000,
    byte_fallback=True,
    split_digits=True,
    allow_whitespace_only_pieces=True,
    normalization_rule_name="identity",
    remove_extra_whitespaces=False,
    character_coverage=0.99995,
    unk_id=0,
    bos_id=1,
    eos_id=2,
    pad_id=-1,
    max_sentencepiece_length=16,
)
CONFIGS = [
    ("a_botchan_bpe2000", ["botchan"], dict(model_type="bpe", vocab_size=2000)),
    ("b_botchan_bpe8000", ["botchan"], dict(model_type="bpe", vocab_size=8000)),
    ("c_wagahai_bpe8000", ["wagahai"], dict(model_type="bpe", vocab_size=8000, character_coverage=0.9995)),
    ("d_llama_style16000", ["botchan", "wagahai"], LLAMA),
    (
        "e_llama_style16000_symbols",
        ["botchan", "wagahai"],
        dict(LLAMA, user_defined_symbols=["<sep>", "<cls>", "吾輩", "the"], control_symbols=["<ctrl0>", "<ctrl1>"]),
    ),
    (
        "f_botchan_bpe2000_ws_suffix",
        ["botchan"],
        dict(model_type="bpe", vocab_size=2000, treat_whitespace_as_suffix=True),
    ),
    ("g_botchan_bpe2000_no_ws_split", ["botchan"], dict(model_type="bpe", vocab_size=2000, split_by_whitespace=False)),
    ("i_botchan_tsv_bpe2000", ["botchan_tsv"], dict(model_type="bpe", vocab_size=2000, input_format="tsv")),
    (
        "j_wagahai_bpe8000_noscript_nonum",
        ["wagahai"],
        dict(
            model_type="bpe",
            vocab_size=8000,
            split_by_unicode_script=False,
            split_by_number=False,
            max_sentencepiece_length=8,
        ),
    ),
    (
        "k_botchan_bpe1000_required_chars",
        ["botchan"],
        dict(model_type="bpe", vocab_size=1000, required_chars="XYZ☃é", character_coverage=0.98),
    ),
    ("l_botchan_bpe30000_soft_limit", ["botchan"], dict(model_type="bpe", vocab_size=30000, hard_vocab_limit=False)),
    (
        "m_botchan_bpe2000_first1000",
        ["botchan"],
        dict(model_type="bpe", vocab_size=2000, input_sentence_size=1000, shuffle_input_sentence=False),
    ),
    (
        "n_botchan_bpe2000_pretok_delim",
        ["botchan"],
        dict(model_type="bpe", vocab_size=2000, pretokenization_delimiter="e"),
    ),
    (
        "o_mixed_bpe12000_nfkc_cf",
        ["mixed"],
        dict(model_type="bpe", vocab_size=12000, normalization_rule_name="nmt_nfkc_cf"),
    ),
    ("p_mixed_bpe32000", ["mixed"], dict(model_type="bpe", vocab_size=32000)),
    ("q_gutenberg_bpe32000", ["gutenberg"], dict(model_type="bpe", vocab_size=32000)),
    ("r_gutenberg_llama_style16000", ["gutenberg"], LLAMA),
    (
        "s_mixed_bpe8000_nfkc_digits",
        ["mixed"],
        dict(model_type="bpe", vocab_size=8000, normalization_rule_name="nfkc", split_digits=True, byte_fallback=True),
    ),
]


def make_inputs(tmp: pathlib.Path) -> dict:
    files = {"botchan": BOTCHAN, "wagahai": WAGAHAI, "mixed": MIXED, "gutenberg": GUTENBERG}
    if BOTCHAN.exists():
        counts: dict = {}
        for line in BOTCHAN.read_text(encoding="utf-8").split():
            counts[line] = counts.get(line, 0) + 1
        tsv = tmp / "botchan_words.tsv"
        tsv.write_text("".join(f"{w}\t{c}\n" for w, c in sorted(counts.items())), encoding="utf-8")
        files["botchan_tsv"] = tsv
    return files


def pieces(path: pathlib.Path) -> list:
    from sentencepiece import sentencepiece_model_pb2 as pb

    m = pb.ModelProto()
    m.ParseFromString(path.read_bytes())
    return [(p.piece, p.score, p.type) for p in m.pieces]


def run_one(name: str, inputs: list, kw: dict, tmp: pathlib.Path) -> None:
    import sentencepiece as spm

    from spbpe.trainer import SentencePieceTrainer

    paths = [str(p) for p in inputs]
    out = {}
    for who, trainer in (("spm", spm.SentencePieceTrainer), ("spbpe", SentencePieceTrainer)):
        d = tmp / who
        d.mkdir(exist_ok=True)
        cwd = os.getcwd()
        os.chdir(d)  # same relative model_prefix so the model bytes are comparable
        try:
            t = time.perf_counter()
            trainer.train(input=paths, model_prefix=name, minloglevel=2, num_threads=2, **kw)
            out[who] = time.perf_counter() - t
        finally:
            os.chdir(cwd)
    a, b = pieces(tmp / "spm" / f"{name}.model"), pieces(tmp / "spbpe" / f"{name}.model")
    diff = [i for i in range(max(len(a), len(b))) if i >= len(a) or i >= len(b) or a[i] != b[i]]
    same_model = (tmp / "spm" / f"{name}.model").read_bytes() == (tmp / "spbpe" / f"{name}.model").read_bytes()
    same_vocab = (tmp / "spm" / f"{name}.vocab").read_bytes() == (tmp / "spbpe" / f"{name}.vocab").read_bytes()
    first = "-"
    if diff:
        i = diff[0]
        first = f"#{i} spm={a[i] if i < len(a) else None} spbpe={b[i] if i < len(b) else None}"
    print(
        f"{name:34s} identical={'yes' if not diff else 'NO'} pieces={len(a)}/{len(b)} differing={len(diff)} "
        f"model_bytes={'same' if same_model else 'DIFF'} vocab_bytes={'same' if same_vocab else 'DIFF'} "
        f"spm={out['spm']:.3f}s spbpe={out['spbpe']:.3f}s ratio={out['spm'] / out['spbpe']:.1f}x first_diff={first}",
        flush=True,
    )


def main() -> None:
    wanted = sys.argv[1:]
    with tempfile.TemporaryDirectory() as t:
        tmp = pathlib.Path(t)
        files = make_inputs(tmp)
        for name, srcs, kw in CONFIGS:
            if wanted and not any(w in name for w in wanted):
                continue
            inputs = [files.get(s) for s in srcs]
            if any(p is None or not pathlib.Path(p).exists() for p in inputs):
                print(f"{name:34s} skipped (corpus missing)")
                continue
            run_one(name, inputs, kw, tmp)


if __name__ == "__main__":
    main()
