"""``spbpe serve``: a live tokenizer playground in the browser, local and offline.

    >>> pg = Playground.load(models=["llama2.model"], encodings=["cl100k_base"])  # doctest: +SKIP
    >>> make_server(pg, "127.0.0.1", 8000).serve_forever()                        # doctest: +SKIP

``tokenizers`` loads the tokenizers named on the command line and turns text
into tokens and the segments the page draws; ``server`` is the standard
library's ThreadingHTTPServer with a fixed table of routes; ``static/`` holds
the page (HTML, JavaScript, CSS, no outside resources).
"""

from .server import MAX_BODY, PlaygroundServer, make_server
from .tokenizers import Playground

__all__ = ["Playground", "PlaygroundServer", "make_server", "MAX_BODY"]
