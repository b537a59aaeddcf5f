"""``spbpe serve``: the live tokenizer playground in the browser (see :mod:`spbpe.serve`).

    $ spbpe serve --model=llama2.model --encoding=cl100k_base
    spbpe serve: http://127.0.0.1:8000/ (llama2, cl100k_base); Ctrl-C stops it

It serves only the tokenizers named here, on 127.0.0.1 unless ``--host`` says
otherwise; ``--port=0`` takes a free port (the line above names it).
"""

from __future__ import annotations

import sys
import threading
import webbrowser

from ..errors import CliError


def _cmd_serve(args) -> int:
    from ..serve import Playground, make_server

    if not args.model and not args.encoding:
        raise CliError("serve: give at least one --model FILE or --encoding NAME (see 'spbpe serve --help')")
    if not 0 <= args.port <= 65535:
        raise CliError(f"serve: --port must be 0..65535, not {args.port}")
    if args.max_body < 1:
        raise CliError(f"serve: --max-body must be at least 1 byte, not {args.max_body}")
    playground = Playground.load(models=args.model, encodings=args.encoding)
    try:
        server = make_server(playground, args.host, args.port, max_body=args.max_body)
    except OSError as e:
        raise CliError(f"serve: cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    server.log = args.log
    names = ", ".join(playground.tokenizers)
    print(f"spbpe serve: {server.url} ({names}); Ctrl-C stops it", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"spbpe serve: listening on {args.host}: anyone who can reach it can use it", file=sys.stderr)
    if args.open:
        threading.Timer(0.3, webbrowser.open, (server.url,)).start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="a live tokenizer playground in the browser (local, offline)", allow_abbrev=False)
    p.add_argument(
        "--model", action="append", default=[], metavar="FILE", help="a SentencePiece .model file (repeatable)"
    )
    p.add_argument(
        "--encoding",
        "--tiktoken",
        dest="encoding",
        action="append",
        metavar="NAME|FILE",
        default=[],
        help="a byte-level encoding by name (cl100k_base, o200k_base, gpt2, llama3) or rank file (repeatable)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=int, default=8000, metavar="N", help="port (default: %(default)s; 0: a free one)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument(
        "--max-body",
        "--max_body",
        dest="max_body",
        type=int,
        metavar="BYTES",
        default=1 << 20,
        help="largest request body in bytes; larger ones get 413 (default: %(default)s)",
    )
    p.add_argument("--log", action="store_true", help="print one line per request on stderr")
    p.set_defaults(func=_cmd_serve)
