"""Every command in the README's shell examples runs as written, in a directory holding the files they name.

The ``sh`` code blocks are parsed from README.md; each line is one command
(a trailing ``# comment`` is the shell's).  A command runs with bash in a
scratch directory holding ``botchan.txt``, ``corpus.txt`` (the first lines of
botchan), ``llama2.model`` (from ../shared, else Mistral v1 from
mistral-common under that name) and ``cl100k_base.tiktoken`` (from
../shared/models/gpt; commands naming it skip without it), after the
commands before it, so files the README makes (``m.model``) are there for the
ones that use them.  A command must exit 0, or the status its comment states
("exits 1").  Installing and the whole test suite (``pip install ...``,
``python -m pytest``) are what CI runs: of ``pip install ... && spbpe demo``
the part after ``&&`` runs; the other lines of the non-CLI sections must be
in NOT_RUN, so a new command cannot hide.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers.models import ROOT, real_model_paths, shared_path

README = (ROOT / "README.md").read_text(encoding="utf-8")
NOT_RUN = {
    "pip install -e '.[test]' && python -m pytest -q": "the whole suite: what .ci/run does",
    "spbpe serve --model=llama2.model --model=m.model --encoding=cl100k_base   # open http://127.0.0.1:8000/": (
        "a server that runs until stopped: tests/test_serve.py starts it and drives the page"
    ),
}


def readme_commands():
    """(section, command) of every line of every ``sh`` block, in order."""
    out, section = [], ""
    for block in re.finditer(r"^(## [^\n]*)$|^```sh\n(.*?)^```", README, re.M | re.S):
        if block.group(1):
            section = block.group(1)[3:]
            continue
        for line in block.group(2).splitlines():
            if line.strip():
                out.append((section, line))
    return out


COMMANDS = readme_commands()


def _command(line):
    """The command to run and its expected exit status (0, or what its comment says)."""
    status = int(m.group(1)) if (m := re.search(r"# exits (\d+)", line)) else 0
    if line.startswith("pip install ") and " && " in line:
        line = line.split(" && ", 1)[1]  # installed already: the test runs in the installed package
    return line, status


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("readme")
    shutil.copy(ROOT / "spbpe" / "data" / "botchan.txt", d / "botchan.txt")
    lines = (d / "botchan.txt").read_text(encoding="utf-8").splitlines()
    (d / "corpus.txt").write_text("\n".join(lines[:400]) + "\n", encoding="utf-8")
    models = real_model_paths()
    llama = models.get("llama2.model") or models.get("tokenizer.model.v1")
    if llama:
        shutil.copy(llama, d / "llama2.model")
    ranks = shared_path("models", "gpt", "cl100k_base.tiktoken")
    if ranks is not None and os.path.exists(ranks):
        shutil.copy(ranks, d / "cl100k_base.tiktoken")
    return d


def test_the_readme_has_the_cli_examples():
    cli = [c for s, c in COMMANDS if s == "Command line"]
    assert len(cli) >= 10
    used = {re.match(r"(?:.*\| )?spbpe (\S+)", c).group(1) for c in cli if re.match(r"(?:.*\| )?spbpe ", c)}
    assert used >= {"train", "encode", "decode", "export-vocab", "normalize", "inspect", "verify", "show", "convert"}


@pytest.mark.parametrize("number", range(len(COMMANDS)), ids=[c[:60] for _, c in COMMANDS])
def test_readme_command(number, workdir):
    section, line = COMMANDS[number]
    if line in NOT_RUN:
        pytest.skip(NOT_RUN[line])
    # the commands before this one made the files it uses (m.model, edited.model): run them first, once
    done = workdir / ".done"
    ran = set(done.read_text().split("\n")) if done.exists() else set()
    for _, earlier in COMMANDS[:number]:
        if earlier not in ran and earlier not in NOT_RUN and any(f in earlier for f in ("--model_prefix=", ".save(")):
            _run(earlier, workdir)
            ran.add(earlier)
    for name in ("llama2.model", "cl100k_base.tiktoken"):
        if name in line and not (workdir / name).exists():
            pytest.skip(f"{name} is not available here")
    _run(line, workdir)
    ran.add(line)
    done.write_text("\n".join(sorted(ran)))


def _run(line, workdir):
    command, status = _command(line)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run(["bash", "-c", command], cwd=workdir, capture_output=True, env=env, timeout=600)
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == status, f"{command}\nexit {p.returncode}, expected {status}\n{err}"
    assert "Traceback" not in err, err
