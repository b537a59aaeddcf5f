"""``spbpe show``: terminal output and the side-by-side HTML page (parsed; screenshotted when Chromium exists)."""

import base64
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from tests.helpers.cli_helpers import real_model, run_spbpe

# U+E000 (private use) is in no real vocabulary: always three byte-fallback pieces.
TEXT = "Hello  wörld \ue000 日本語 ▁x  "


class _Page(HTMLParser):
    """Sections with their data-* attributes and the spans inside them."""

    def __init__(self):
        super().__init__()
        self.sections, self.span, self.depth = [], None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append({"attrs": a, "spans": [], "text": ""})
        elif tag == "span" and "data-ids" in a:
            self.span = {
                "cls": a["class"].split(),
                "ids": [int(x) for x in a["data-ids"].split()],
                "title": a["title"],
                "text": "",
            }
            self.sections[-1]["spans"].append(self.span)
        elif tag == "h2":
            self.sections[-1]["in_h2"] = True

    def handle_endtag(self, tag):
        if tag == "span":
            self.span = None
        if tag == "h2" and self.sections:
            self.sections[-1]["in_h2"] = False

    def handle_data(self, data):
        if self.span is not None:
            self.span["text"] += data
        elif self.sections and self.sections[-1].get("in_h2"):
            self.sections[-1]["text"] += data


@pytest.fixture(scope="module")
def tiktoken_file(tmp_path_factory):
    """A tiny byte-level tiktoken file: the 256 bytes plus a few merges."""
    pytest.importorskip("tiktoken")
    ranks = [bytes([i]) for i in range(256)] + [b"He", b"ll", b"Hell", b"Hello", b" w", b"\xc3\xb6"]
    path = tmp_path_factory.mktemp("tk") / "tiny.tiktoken"
    path.write_text("".join(f"{base64.b64encode(t).decode()} {i}\n" for i, t in enumerate(ranks)))
    return path


def test_terminal_colours_and_ids():
    model = real_model()
    import spbpe

    sp = spbpe.SentencePieceProcessor(model_file=str(model))
    out = run_spbpe("show", f"--model={model}", "--color=never", "--ids", TEXT).stdout.decode()
    body, stats, ids = out.rstrip("\n").split("\n")
    assert body.replace("|", "") == TEXT.replace("|", "")
    assert ids == " ".join(map(str, sp.encode(TEXT)))
    n_bytes = sum(sp.is_byte(i) for i in sp.encode(TEXT))
    assert n_bytes >= 3
    assert f"{len(sp.encode(TEXT))} tokens" in stats and f"{n_bytes} byte-fallback" in stats
    coloured = run_spbpe("show", f"--model={model}", "--color=always", TEXT).stdout.decode()
    assert coloured.count("\x1b[0m") == body.count("|") + 1 and "\x1b[4m" in coloured


def test_html_side_by_side(tmp_path, tiktoken_file):
    model = real_model()
    import tiktoken
    from tiktoken.load import load_tiktoken_bpe

    import spbpe

    sp = spbpe.SentencePieceProcessor(model_file=str(model))
    out = tmp_path / "page.html"
    run_spbpe("show", f"--model={model}", "--tiktoken", tiktoken_file, "--html", out, TEXT)
    page = _Page()
    page.feed(out.read_text(encoding="utf-8"))
    assert "<script" not in out.read_text() and "http" not in out.read_text()  # self-contained
    spm_sec, tk_sec = page.sections
    ids = sp.encode(TEXT)
    assert int(spm_sec["attrs"]["data-tokens"]) == len(ids) == sum(len(s["ids"]) for s in spm_sec["spans"])
    assert [i for s in spm_sec["spans"] for i in s["ids"]] == ids
    assert "".join(s["text"] for s in spm_sec["spans"]) == TEXT
    byte_spans = [s for s in spm_sec["spans"] if "byte" in s["cls"]]
    assert "\ue000" in [s["text"] for s in byte_spans]
    pua = next(s for s in byte_spans if s["text"] == "\ue000")
    assert len(pua["ids"]) == 3 and all(sp.is_byte(i) for i in pua["ids"]) and "<0xEE>" in pua["title"]
    assert int(spm_sec["attrs"]["data-byte-tokens"]) == sum(sp.is_byte(i) for i in ids)
    enc = tiktoken.Encoding(
        "tiny", pat_str=r"\S+|\s+", mergeable_ranks=load_tiktoken_bpe(str(tiktoken_file)), special_tokens={}
    )
    assert int(tk_sec["attrs"]["data-tokens"]) == sum(len(s["ids"]) for s in tk_sec["spans"])
    assert "".join(s["text"] for s in tk_sec["spans"]) == TEXT
    assert any(s["text"] == "日" and "byte" in s["cls"] and len(s["ids"]) == 3 for s in tk_sec["spans"])
    assert tk_sec["spans"][0]["ids"] == enc.encode("Hello")
    cpt = len(TEXT) / len(ids)
    assert f"{cpt:.2f}" in out.read_text()


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed")
def test_html_screenshot(tmp_path, tiktoken_file):
    out = tmp_path / "page.html"
    run_spbpe("show", f"--model={real_model()}", "--tiktoken", tiktoken_file, "--html", out, TEXT)
    png = tmp_path / "shot.png"
    subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={png}",
            "--window-size=1000,600",
            out.as_uri(),
        ],
        capture_output=True,
        timeout=60,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
