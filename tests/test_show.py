"""``spbpe show``: terminal output and the side-by-side HTML page (parsed; screenshotted when Chromium exists)."""

import base64
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from tests.helpers.cli_helpers import read_png, real_model, run_spbpe

# U+E000 (private use) is in no real vocabulary: always three byte-fallback pieces.
LINE = "Hello  wörld \ue000 日本語 ▁x  "
TEXT = LINE + "\n\nsecond line\tend"


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
                "text": a["data-text"],
                "shown": "",
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
            self.span["shown"] += data
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
    out = run_spbpe("show", f"--model={model}", "--color=never", "--ids", LINE).stdout.decode()
    body, stats, ids = out.rstrip("\n").split("\n")
    assert body.replace("|", "") == LINE.replace("|", "")
    assert ids == " ".join(map(str, sp.encode(LINE)))
    n_bytes = sum(sp.is_byte(i) for i in sp.encode(LINE))
    assert n_bytes >= 3
    assert f"{len(sp.encode(LINE))} tokens" in stats and f"{n_bytes} byte-fallback" in stats
    coloured = run_spbpe("show", f"--model={model}", "--color=always", LINE).stdout.decode()
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


def test_html_tokens_whole_whitespace_visible_counts_grammatical(tmp_path):
    model = real_model()
    import spbpe

    sp = spbpe.SentencePieceProcessor(model_file=str(model))
    out = tmp_path / "page.html"
    run_spbpe("show", f"--model={model}", "--html", out, TEXT)
    page_text = out.read_text(encoding="utf-8")
    assert "break-all" not in page_text and ".tok { display: inline-block; white-space: pre;" in page_text
    page = _Page()
    page.feed(page_text)
    spans = page.sections[0]["spans"]
    for s in spans:  # whitespace never shows as blank: spaces, tabs and newlines become symbols
        if s["text"] and not s["text"].strip():
            assert "ws" in s["cls"] and s["shown"].strip() and set(s["shown"]) <= set("·→↵␍□"), s
        assert "\n" not in s["shown"] and "\t" not in s["shown"]
    newline_tokens = [s for s in spans if "\n" in s["text"]]
    assert newline_tokens and all("↵" in s["shown"] for s in newline_tokens)
    assert page_text.count("<br>") == TEXT.count("\n")
    # one token: "1 token", not "1 tokens"
    word = next(w for w in ("Hello", "the", "a") if len(sp.encode(w)) == 1)
    one = tmp_path / "one.html"
    p = run_spbpe("show", f"--model={model}", "--html", one, word)
    assert "1 token" in p.stdout.decode() and "1 tokens" not in p.stdout.decode()
    assert "<b>1 token</b>" in one.read_text(encoding="utf-8") and "0 byte-fallback tokens" in one.read_text()
    term = run_spbpe("show", f"--model={model}", "--color=never", word).stdout.decode()
    assert ": 1 token, " in term and "1 tokens" not in term


def _chromium():
    """Debian's chromium-headless-shell first (what .ci/run installs), then the usual names."""
    names = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    for name in names + ("headless_shell",):
        path = shutil.which(name)
        if path:
            return path
    return None


def _near(px, rgb, tol=4):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


def _bands(ys):
    """Runs of consecutive y values: [(first, last), ...]."""
    out = []
    for y in sorted(set(ys)):
        if out and y == out[-1][1] + 1:
            out[-1] = (out[-1][0], y)
        else:
            out.append((y, y))
    return out


@pytest.mark.skipif(
    _chromium() is None, reason="headless Chromium is not installed (apt-get install chromium-headless-shell)"
)
def test_html_screenshot(tmp_path, tiktoken_file):
    from spbpe.cli.show import _HTML_COLOURS

    out = tmp_path / "page.html"
    run_spbpe("show", f"--model={real_model()}", "--tiktoken", tiktoken_file, "--html", out, TEXT)
    png = tmp_path / "shot.png"
    browser = _chromium()
    args = [browser, "--no-sandbox", "--disable-gpu", f"--screenshot={png}", "--window-size=1000,600"]
    if not browser.endswith("chromium-headless-shell"):
        args.insert(1, "--headless")
    subprocess.run([*args, out.as_uri()], capture_output=True, timeout=120, cwd=tmp_path)
    width, height, rows = read_png(png.read_bytes())
    assert (width, height) == (1000, 600)
    pastel = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in _HTML_COLOURS]
    red = (0xC0, 0x39, 0x2B)  # the dashed outline of byte-fallback tokens, and its sample in the legend
    by_colour = {c: [] for c in pastel}
    red_ys = []
    for y, row in enumerate(rows):
        for x, px in enumerate(row):
            if _near(px, red, 12):
                red_ys.append(y)
            for c in pastel:
                if _near(px, c):
                    by_colour[c].append((x, y))
    # token boxes are laid out: most colours fill real boxes, in both columns (side by side), on several lines
    filled = [c for c, pts in by_colour.items() if len(pts) >= 150]
    assert len(filled) >= 4, {c: len(p) for c, p in by_colour.items()}
    pts = [p for c in filled for p in by_colour[c]]
    assert any(x < width // 2 for x, _ in pts) and any(x > width // 2 for x, _ in pts)
    token_bands = _bands(y for x, y in pts)
    assert len(token_bands) >= 3, token_bands  # the legend's samples, then lines of tokens (the text has newlines)
    # the legend is visible above the tokens: its dashed sample is the first red on the page
    red_bands = _bands(red_ys)
    assert len(red_bands) >= 2, red_bands  # the legend, and the byte-fallback tokens
    assert red_bands[0][1] < token_bands[1][0]
