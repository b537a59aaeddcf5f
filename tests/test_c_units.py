"""C unit tests of core internals no Python call reaches directly: each
tests/c/test_*.c is compiled with the core sources it needs and run."""

import os
import pathlib
import shlex
import subprocess
import sysconfig

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CSRC = ROOT / "csrc"

# test file -> the core sources it links with (paths under csrc/)
UNITS = {
    "test_utf8.c": ["common/utf8.c"],
    "test_vsum.c": ["train/train_piece_valid.c", "model/script_table.c", "common/error.c"],
    "test_lowest_pair.c": ["common/error.c"],  # includes bytelevel/merge_small.c
}


@pytest.mark.parametrize("name", sorted(UNITS))
def test_c_unit(tmp_path, name):
    # The extension is built with this same compiler, so it is present.
    cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    exe = tmp_path / name.replace(".c", "")
    sources = [str(ROOT / "tests" / "c" / name)] + [str(CSRC / s) for s in UNITS[name]]
    build = subprocess.run(
        cc
        + [
            "-std=c11",
            "-O2",
            "-Wall",
            "-Wextra",
            "-I",
            str(CSRC / "include"),
            "-I",
            str(CSRC),
            *sources,
            "-o",
            str(exe),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 differ" in run.stdout
