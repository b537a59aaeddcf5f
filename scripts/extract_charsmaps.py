"""Copy the precompiled normalization charsmaps out of sentencepiece 0.2.3.

Source: the installed `sentencepiece==0.2.3` wheel ships the four rule
tables as `sentencepiece/package_data/<name>.bin`; these are byte-identical
to the `precompiled_charsmap` that 0.2.3 writes into trained models (the
tables changed between releases, so the version matters).  They are
Apache-2.0 (Copyright Google Inc.), see spbpe/data/NOTICE.

Usage:  python scripts/extract_charsmaps.py [DEST]   (default: spbpe/data)
"""

import hashlib
import os
import shutil
import sys

NAMES = ("nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf")


def main() -> None:
    import sentencepiece

    if sentencepiece.__version__ != "0.2.3":
        sys.exit(f"need sentencepiece 0.2.3, found {sentencepiece.__version__}")
    src = os.path.join(os.path.dirname(sentencepiece.__file__), "package_data")
    dest = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spbpe", "data")
    )
    os.makedirs(dest, exist_ok=True)
    for name in NAMES:
        s = os.path.join(src, name + ".bin")
        d = os.path.join(dest, name + ".bin")
        shutil.copyfile(s, d)
        with open(d, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        print(f"{name}.bin  {os.path.getsize(d)} bytes  sha256 {digest}")


if __name__ == "__main__":
    main()
