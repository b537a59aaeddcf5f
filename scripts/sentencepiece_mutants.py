"""Run the mutated models of tests/test_mutated_models.py through spbpe and
through the official sentencepiece, and print what each does.

    python scripts/sentencepiece_mutants.py [--n 1050] [--seed 7] [--json out.json]

Each library runs in worker processes (tests/helpers/mutants.py) under a 1.5 GiB
RLIMIT_AS; a worker that dies (signal, abort) or hangs is recorded against
the mutant it was on and a new worker continues after it.  Outcomes:
loaded, rejected <exception>, crash <signal/status>, hang, bad-error ...
"""

import argparse
import collections
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.helpers.models import BUNDLED_TEXT, mistral_models  # noqa: E402
from tests.test_mutated_models import SMALL  # noqa: E402


def bases(tmp):
    from tests.helpers.mutants import train_bases

    lines = BUNDLED_TEXT.read_text(encoding="utf-8").splitlines()[:3000]
    return train_bases(tmp, SMALL, lines, [str(p) for p in list(mistral_models().values())[:2]])


def run(which, paths, n, seed, timeout=60):
    out = {}
    i = 0
    while i < n:
        cmd = [
            sys.executable,
            os.path.join(ROOT, "tests", "helpers", "mutants.py"),
            which,
            str(seed),
            str(i),
            str(n),
        ] + paths
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        hung = False
        while True:
            if not sel.select(timeout):
                proc.kill()
                hung = True
                break
            line = proc.stdout.readline()
            if not line:
                break
            k, kind, outcome = line.rstrip("\n").split(" ", 2)
            out[int(k)] = (kind, outcome)
        rc = proc.wait()
        i = max(out) + 1 if out else 0
        if i < n and (hung or rc != 0):
            from tests.helpers.mutants import mutant

            kind = mutant([open(p, "rb").read() for p in paths], i, seed)[0]
            out[i] = (kind, "hang" if hung else f"crash rc={rc}")
            i += 1
        elif i < n:
            break
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1050)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json")
    a = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        paths = bases(tmp)
        res = {w: run(w, paths, a.n, a.seed) for w in ("spbpe", "sentencepiece")}
    for w, out in res.items():
        c = collections.Counter(o for _, o in out.values())
        print(f"{w}: {len(out)} mutants: " + ", ".join(f"{k}: {v}" for k, v in c.most_common()))
        bad = collections.Counter(kind for kind, o in out.values() if o.startswith(("crash", "hang", "bad")))
        if bad:
            print(f"  {w} crashes/hangs by kind: " + ", ".join(f"{k}: {v}" for k, v in bad.most_common()))
    both = collections.Counter()
    for i in range(a.n):
        s, o = res["spbpe"].get(i, ("", "?"))[1], res["sentencepiece"].get(i, ("", "?"))[1]
        both[(s.split(" ")[0], o.split(" ")[0])] += 1
    print("spbpe vs sentencepiece: " + ", ".join(f"{k[0]}/{k[1]}: {v}" for k, v in both.most_common()))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({w: {str(k): v for k, v in out.items()} for w, out in res.items()}, f, indent=0)


if __name__ == "__main__":
    main()
