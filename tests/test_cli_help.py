"""Help that teaches: ``spbpe train --help`` from the trainer's own option table, help text on every flag."""

import argparse

import pytest

from spbpe._proto.trainer_spec import DEFAULTS, parse_args
from spbpe.cli.main import build_parser
from spbpe.cli.train_help import GROUPS, OPTIONS, accepted_options, train_help
from spbpe.errors import TrainerError
from tests.helpers.cli_helpers import run_spbpe


def test_the_help_table_names_exactly_the_options_the_trainer_takes():
    assert set(OPTIONS) == set(accepted_options())
    assert all(0 <= g < len(GROUPS) and meaning for g, meaning in OPTIONS.values())
    for key in accepted_options():
        if key == "seed":  # spbpe's own option, taken before the proto table (trainer.py)
            continue
        try:
            parse_args({key: ""})
        except TrainerError as e:
            assert "unknown training option" not in str(e), key
    with pytest.raises(TrainerError, match="unknown training option"):
        parse_args({"no_such_option": "1"})


def test_train_help_lists_every_option_with_its_default():
    p = run_spbpe("train", "--help")
    text = p.stdout.decode()
    assert p.returncode == 0 and not p.stderr
    lines = {ln.split()[0].split("=")[0]: ln for ln in text.splitlines() if ln.startswith("  --")}
    for name in OPTIONS:
        assert f"--{name}" in lines, name
        assert OPTIONS[name][1] in lines[f"--{name}"] and "(default: " in lines[f"--{name}"]
    assert "(default: 8000)" in lines["--vocab_size"] and "(default: 0.9995)" in lines["--character_coverage"]
    assert "(default: bpe)" in lines["--model_type"] and "(default: false)" in lines["--byte_fallback"]
    assert f"(default: {DEFAULTS['max_sentence_length']})" in lines["--max_sentence_length"]
    assert [g + ":" for g in GROUPS] == [
        ln for ln in text.splitlines() if ln and not ln.startswith(" ") and ln.endswith(":")
    ]
    assert train_help() == text.rstrip("\n")


def _subcommands():
    return [(name, sp) for name, sp in build_parser().commands.items() if name != "train"]


@pytest.mark.parametrize("name", [n for n, _ in _subcommands()])
def test_every_flag_has_help(name):
    sp = dict(_subcommands())[name]
    missing = [
        a.option_strings or a.dest for a in sp._actions if not isinstance(a, argparse._HelpAction) and a.help is None
    ]
    assert not missing, missing
    assert run_spbpe(name, "--help").returncode == 0


def test_inspect_takes_one_way_to_name_the_model():
    sp = dict(_subcommands())["inspect"]
    assert not [a for a in sp._actions if not a.option_strings]  # no positional model path
