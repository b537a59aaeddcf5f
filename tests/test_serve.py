"""``spbpe serve``: the playground's tokens against the official libraries, in a real browser, and hostile requests.

One server (``python -m spbpe serve --port 0``) serves Llama 2 (Mistral v1 on a
fresh machine), a BPE model trained here with sentencepiece (with a
user-defined ``<sep>``, no byte fallback: unknown pieces) and cl100k_base when its rank file is here.  The
browser is Debian's Chromium (chromium-headless-shell, which .ci/run
installs) driven by Playwright without a browser download; the browser tests
skip when either is missing, the request tests never do.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading

import pytest

from tests.helpers import gpt_encodings
from tests.helpers.cli_helpers import read_png, real_model
from tests.helpers.hard_cases import HARD_CASES
from tests.helpers.models import BUNDLED_TEXT, ROOT

# English, Japanese, emoji, code, a user-defined symbol, a special token, a tab and a newline.
TEXT = (
    "Hello world, the tokenizer's test.\n日本語のテキスト 😀👍🏽\n"
    "def f(x):\n\treturn x + 1  # code\n<sep> and <|endoftext|> end"
)
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"> & </textarea>'


def _chromium():
    """Debian's chromium-headless-shell first (what .ci/run installs), then the usual names."""
    for name in ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """id -> (path, official sentencepiece processor) of the served SentencePiece models."""
    spm = pytest.importorskip("sentencepiece")
    prefix = tmp_path_factory.mktemp("serve") / "trained"
    spm.SentencePieceTrainer.train(
        input=str(BUNDLED_TEXT),
        model_prefix=str(prefix),
        model_type="bpe",
        vocab_size=1000,
        byte_fallback=False,  # unknown pieces here, byte fallback in the real model
        user_defined_symbols=["<sep>"],
        minloglevel=2,
        num_threads=1,
    )
    real = real_model()
    out = {}
    for path in (real, prefix.with_suffix(".model")):
        out[os.path.basename(str(path)).removesuffix(".model")] = (
            path,
            spm.SentencePieceProcessor(model_file=str(path)),
        )
    return out


@pytest.fixture(scope="module")
def cl100k():
    """(rank file, tiktoken's Encoding built from it with cl100k_base's pattern and specials), or None."""
    path = gpt_encodings.rank_file("cl100k_base")
    if path is None or not os.path.exists(path):
        return None
    try:
        import tiktoken  # noqa: F401
    except ImportError:
        return None
    return path, gpt_encodings.pair("cl100k_base")[1]


class Server:
    def __init__(self, args):
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("SPBPE_TRACEBACK", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spbpe", "serve", "--port", "0", *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=str(ROOT),
        )
        line = self.proc.stdout.readline().decode()
        if not line.startswith("spbpe serve: http://"):
            self.proc.kill()
            raise AssertionError(f"no URL from spbpe serve: {line!r} {self.proc.stderr.read().decode()}")
        self.url = line.split()[2]
        self.host, port = self.url[len("http://") :].rstrip("/").rsplit(":", 1)
        self.port = int(port)

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes) of one request on a new connection."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def encode(self, payload, headers=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        h = {"Content-Type": "application/json", **(headers or {})}
        return self.request("POST", "/api/encode", body, h)

    def stop(self):
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server(models, cl100k):
    args = [a for path, _ in models.values() for a in ("--model", path)]
    if cl100k:
        args += ["--encoding", cl100k[0]]
    s = Server(args)
    yield s
    err = s.stop()
    assert "Traceback" not in err, err


def _expected(models, cl100k, text):
    """id -> ids from the official libraries."""
    out = {tid: sp.encode(text) for tid, (_, sp) in models.items()}
    if cl100k:
        out["cl100k_base"] = cl100k[1].encode(text, allowed_special="all")
    return out


def test_api_matches_the_official_libraries(server, models, cl100k):
    status, _, body = server.request("GET", "/api/tokenizers")
    assert status == 200
    listed = [t["id"] for t in json.loads(body)["tokenizers"]]
    assert listed == list(_expected(models, cl100k, ""))
    # the trained model normalizes with nmt_nfkc and drops extra spaces: segments must still cover the text
    normalized = [
        "  lead and trail  ",
        "ﬁne ① ｶﾞ ＡＢＣ",
        "a\u200bb\u00a0c",
        "x\r\ny",
        "\ue000\U0010ffff",
        "é vs e\u0301",
    ]
    for text in [TEXT, "", " ", "\n\n  x  \n", *normalized, *[h for h in HARD_CASES if isinstance(h, str)][:40]]:
        status, _, body = server.encode({"text": text, "tokenizers": listed})
        assert status == 200, body
        results = json.loads(body)["results"]
        for r, (tid, ids) in zip(results, _expected(models, cl100k, text).items()):
            assert r["id"] == tid and r["ids"] == ids and r["count"] == len(ids), (tid, text)
            assert [t["id"] for t in r["tokens"]] == ids
            # segments cover the text in order, and every token exactly once
            assert "".join(s["text"] for s in r["segments"]) == text, (tid, text)
            assert sorted(i for s in r["segments"] for i in s["tokens"]) == list(range(len(ids)))
            assert all(a["end"] == b["start"] for a, b in zip(r["segments"], r["segments"][1:]))
            if tid in models:
                sp = models[tid][1]
                assert [t["piece"] for t in r["tokens"]] == sp.encode(text, out_type=str)
                byte_ids = [t["id"] for t in r["tokens"] if "byte" in t["kinds"]]
                assert byte_ids == [i for i in ids if sp.is_byte(i)]
                unknown = [k for k, t in enumerate(r["tokens"]) if "unknown" in t["kinds"]]
                assert unknown == [k for k, i in enumerate(ids) if sp.is_unknown(i)]
            elif text:
                assert b"".join(bytes.fromhex(t["bytes"]) for t in r["tokens"]) == text.encode()
    results = json.loads(server.encode({"text": TEXT})[2])["results"]
    trained = next(r for r in results if r["id"] == "trained")
    assert any(s["text"] == "<sep>" and "special" in s["kinds"] for s in trained["segments"])
    if cl100k:
        tk = next(r for r in results if r["id"] == "cl100k_base")
        assert any(s["text"] == "<|endoftext|>" and "special" in s["kinds"] for s in tk["segments"])


def _status_json(resp):
    status, headers, body = resp
    assert headers.get("Content-Type") == "application/json", headers
    msg = json.loads(body)
    assert set(msg) == {"error"} and "Traceback" not in msg["error"]
    return status, msg["error"]


def test_hostile_requests_get_4xx_and_the_server_keeps_serving(server):
    assert _status_json(server.encode(b"{not json"))[0] == 400
    assert _status_json(server.encode(b"\xff\xfe"))[0] == 400
    assert _status_json(server.encode(b"[" * 100000))[0] == 400  # nesting deep enough to recurse
    assert _status_json(server.encode(["a list"]))[0] == 400
    assert _status_json(server.encode({"text": 5}))[0] == 400
    assert _status_json(server.encode({"text": "x", "tokenizers": "trained"}))[0] == 400
    assert _status_json(server.encode(b'{"text": "\\ud800"}'))[0] == 400  # a lone surrogate
    status, msg = _status_json(server.encode({"text": "x", "tokenizers": ["../../etc/passwd"]}))
    assert status == 404 and "unknown tokenizer" in msg
    status, msg = _status_json(server.encode({"text": "x", "tokenizers": [str(BUNDLED_TEXT)]}))  # no paths
    assert status == 404
    assert (
        _status_json(server.request("POST", "/api/encode", b'{"text": "x"}', {"Content-Type": "text/plain"}))[0] == 415
    )
    # no Content-Length: 411 (http.client sends a body of chunks for an iterable)
    assert (
        _status_json(
            server.request("POST", "/api/encode", iter([b'{"text": "x"}']), {"Content-Type": "application/json"})
        )[0]
        == 411
    )

    # 50 MB announced: refused from the Content-Length, before the body is read (only 64 KB of it is sent)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=20)
    conn.putrequest("POST", "/api/encode")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(50 * 1024 * 1024))
    conn.endheaders()
    conn.send(b'{"text": "' + b"a" * 65536)
    r = conn.getresponse()
    assert r.status == 413 and "over the limit" in json.loads(r.read())["error"]
    conn.close()
    # a real body just over the limit, sent whole (as curl does, the answer is read even if sending fails)
    body = json.dumps({"text": "a" * (1 << 20)}).encode()
    with socket.create_connection((server.host, server.port), timeout=20) as sock:
        head = f"POST /api/encode HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nContent-Type: application/json\r\n"
        try:
            sock.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = sock.makefile("rb").read()
    assert answer.startswith(b"HTTP/1.1 413 ") and b"over the limit" in answer, answer[:200]

    # text that looks like markup is data: JSON out, never HTML
    status, headers, body = server.encode({"text": HOSTILE, "tokenizers": ["trained"]})
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert "".join(s["text"] for s in json.loads(body)["results"][0]["segments"]) == HOSTILE

    # paths: only the page's own files; traversal, encoded or not, finds nothing
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "/static/../setup.py",
                 "//etc/passwd", "/app.js/../../../etc/passwd", "/spbpe/serve/static/app.js", "/%00", "/api"):  # fmt: skip
        status, msg = _status_json(server.request("GET", path))
        assert status == 404, path
    for raw in (b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"):
        with socket.create_connection((server.host, server.port), timeout=20) as sock:
            sock.sendall(raw)
            answer = sock.recv(65536)
        assert answer.split(b" ", 2)[1][:1] == b"4" and b"root:" not in answer and b"Traceback" not in answer, answer

    # methods
    assert _status_json(server.request("GET", "/api/encode"))[0] == 405
    assert _status_json(server.request("POST", "/", b"{}", {"Content-Type": "application/json"}))[0] == 405
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS", "BREW"):
        assert _status_json(server.request(method, "/api/encode"))[0] == 405, method
    # another Host (DNS rebinding): refused
    assert _status_json(server.request("GET", "/api/tokenizers", headers={"Host": "evil.example:80"}))[0] == 403

    # still serving, and many threads at once get what one gets
    status, headers, page = server.request("GET", "/")
    assert (
        status == 200 and b'<script src="app.js"' in page and "script-src 'self'" in headers["Content-Security-Policy"]
    )
    one = json.loads(server.encode({"text": TEXT})[2])
    got, errors = [], []

    def worker():
        try:
            for _ in range(4):
                got.append(json.loads(server.encode({"text": TEXT})[2]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(got) == 24 and all(g == one for g in got)
    assert server.proc.poll() is None


def test_cli_refuses_bad_arguments(tmp_path):
    from tests.helpers.cli_helpers import run_spbpe

    p = run_spbpe("serve", check=False)
    assert p.returncode == 1 and b"give at least one --model" in p.stderr
    p = run_spbpe("serve", "--model", tmp_path / "missing.model", check=False)
    assert p.returncode == 1 and b"Traceback" not in p.stderr and b"missing.model" in p.stderr
    p = run_spbpe("serve", "--encoding", "no_such_encoding", check=False)
    assert p.returncode == 1 and b"Traceback" not in p.stderr


# ------------------------------------------------------------------ browser
def _browser():
    if _chromium() is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium-headless-shell)")
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api


@pytest.fixture(scope="module")
def page(server):
    sync_api = _browser()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        pg = browser.new_page(viewport={"width": 1280, "height": 860})
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        pg.errors = []
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.goto(server.url)
        pg.wait_for_function("() => window.playground && window.playground.text !== null")
        yield pg
        browser.close()


def _type(page, text):
    """Type into the text area (Enter for newlines) and wait until the columns show that text."""
    box = page.locator("#text")
    box.fill("")
    box.press_sequentially(text)
    page.wait_for_function("t => window.playground.text === t", arg=text)


def _columns(page):
    """id -> {count, ids, boxes: [(text, classes)]} as the page shows them."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('section.column'), s => [s.dataset.id, {
            count: Number(s.querySelector('.count').textContent),
            ids: s.querySelector('.ids').textContent.split(' ').filter(x => x).map(Number),
            cpt: s.querySelector('.cpt').textContent,
            boxes: Array.from(s.querySelectorAll('.tok'), t => [t.textContent, t.className]),
        }]))"""
    )


def test_page_shows_the_official_ids_hover_and_diff(page, server, models, cl100k, tmp_path):
    _type(page, TEXT)
    shown = _columns(page)
    expected = _expected(models, cl100k, TEXT)
    assert list(shown) == list(expected)
    for tid, ids in expected.items():
        assert shown[tid]["count"] == len(ids) and shown[tid]["ids"] == ids, tid
        assert shown[tid]["cpt"] == f"{len(TEXT) / len(ids):.2f}"
    # marks: byte fallback (the emoji in Llama 2), specials, newlines, whitespace
    real = next(iter(models))
    classes = {tid: " ".join(c for _, c in col["boxes"]) for tid, col in shown.items()}
    assert "k-byte" in classes[real] and "k-newline" in classes[real] and "k-whitespace" in classes[real]
    assert any(t == "<sep>" and "k-special" in c for t, c in shown["trained"]["boxes"])
    assert any(t.startswith("日本語") and "k-unknown" in c for t, c in shown["trained"]["boxes"])
    if cl100k:
        assert any(t == "<|endoftext|>" and "k-special" in c for t, c in shown["cl100k_base"]["boxes"])
    assert all("\n" not in t for col in shown.values() for t, _ in col["boxes"])  # newlines drawn as ↵

    # hover: the piece, id and bytes of the box under the mouse
    sp = models[real][1]
    ids = sp.encode(TEXT)
    page.hover(f'section[data-id="{real}"] .tok >> nth=0')
    tip = page.locator("#tip")
    assert tip.is_visible()
    assert (
        f"id {ids[0]}" in tip.text_content()
        and json.dumps(sp.id_to_piece(ids[0]), ensure_ascii=False) in tip.text_content()
    )
    byte_box = page.locator(f'section[data-id="{real}"] .tok.k-byte').first
    byte_box.hover()
    first_byte = next(t for t in page.evaluate("() => window.playground.results")[0]["tokens"] if "byte" in t["kinds"])
    assert f'"{first_byte["piece"]}"' in tip.text_content() and f"bytes {first_byte['bytes']}" in tip.text_content()
    assert first_byte["piece"].startswith("<0x") and first_byte["id"] in ids

    # diff mode: boxes whose end is no cut of the other column are marked
    assert page.locator("#columns .tok.diff").count() == 0
    page.check("#diff")
    results = page.evaluate("() => window.playground.results")
    ends = [{s["end"] for s in r["segments"]} for r in results]
    for k, r in enumerate(results):
        other = ends[1 if k == 0 else 0]
        want = sum(1 for s in r["segments"] if s["end"] < len(TEXT) and s["end"] not in other)
        assert page.locator(f'section[data-id="{r["id"]}"] .tok.diff').count() == want
    assert page.locator(f'section[data-id="{real}"] .tok.diff').count() > 0
    assert "diff=1" in page.url

    page.locator('section[data-id="trained"] .tok.k-special', has_text="<sep>").hover()
    assert '"<sep>"' in tip.text_content() and "special" in tip.text_content()
    shot = tmp_path / "serve.png"
    page.screenshot(path=str(shot), full_page=True)
    width, height, _ = read_png(shot.read_bytes())
    assert width == 1280 and height >= 600
    if os.environ.get("SPBPE_SERVE_SCREENSHOT"):  # regenerate docs/serve.png
        shutil.copy(shot, os.environ["SPBPE_SERVE_SCREENSHOT"])
    assert not page.dialogs and not page.errors, (page.dialogs, page.errors)


def test_page_escapes_text_keeps_fragment_and_takes_dropped_files(page, server, models):
    _type(page, HOSTILE)
    assert (
        not page.dialogs and page.locator("section.column img, section.column script, #columns textarea").count() == 0
    )
    boxes = _columns(page)["trained"]["boxes"]
    assert "".join(t for t, _ in boxes).replace("·", " ") == HOSTILE

    # the fragment keeps the text, the chosen tokenizers and the diff mode
    page.uncheck('#tokenizers input[value="trained"]')
    page.wait_for_function("() => !document.querySelector('section.column[data-id=\"trained\"]')")
    url = page.url
    assert "t=" in url and "text=" in url
    other = page.context.browser.new_page()
    other.goto(url)
    other.wait_for_function("t => window.playground && window.playground.text === t", arg=HOSTILE)
    assert other.input_value("#text") == HOSTILE
    assert "trained" not in _columns(other) and len(_columns(other)) == len(_columns(page))
    other.close()
    page.check('#tokenizers input[value="trained"]')

    # a dropped file replaces the text
    dropped = "dropped file: 日本語 😀\n"
    data = page.evaluate_handle(
        "t => { const d = new DataTransfer(); d.items.add(new File([t], 'a.txt', {type: 'text/plain'})); return d; }",
        dropped,
    )
    page.dispatch_event("#text", "drop", {"dataTransfer": data})
    page.wait_for_function("t => window.playground.text === t", arg=dropped)
    assert _columns(page)["trained"]["ids"] == models["trained"][1].encode(dropped)
    assert not page.dialogs and not page.errors, (page.dialogs, page.errors)
