"""One error path: every C status code becomes an SpbpeError through the one
map (spbpe.errors.STATUS_EXCEPTIONS, resolved in spbpe._core.status), for
the encoder and the trainer alike, carrying the C message."""

import io

import pytest

import spbpe
from spbpe import errors
from spbpe._core import native_trainer
from spbpe._core._spbpe import ffi, lib
from spbpe._core.status import STATUS_NAMES, raise_for_status, status_error

FAILURES = sorted(code for code in STATUS_NAMES if code != lib.SPBPE_OK)

# The builtin each status is also an instance of (what sentencepiece's
# callers catch), besides SpbpeError.
BUILTINS = {
    "SPBPE_ERR_NOMEM": MemoryError,
    "SPBPE_ERR_INVALID_ARGUMENT": ValueError,
    "SPBPE_ERR_MODEL_FORMAT": ValueError,
    "SPBPE_ERR_UNSUPPORTED": ValueError,
    "SPBPE_ERR_OUT_OF_RANGE": IndexError,
    "SPBPE_ERR_LIMIT": (ValueError, RuntimeError),
    "SPBPE_ERR_INTERNAL": RuntimeError,
}


def _err(message: bytes):
    err = ffi.new("spbpe_error *")
    err.message = message
    return err


def test_the_c_enum_is_what_the_map_covers():
    # Every failure status of csrc's spbpe_status has its own entry.
    assert {STATUS_NAMES[c] for c in FAILURES} == set(errors.STATUS_EXCEPTIONS) == set(BUILTINS)
    assert set(errors.TRAINER_STATUS_EXCEPTIONS) <= set(errors.STATUS_EXCEPTIONS)


@pytest.mark.parametrize("code", FAILURES, ids=lambda c: STATUS_NAMES[c])
def test_every_status_becomes_an_spbpe_error_with_the_c_message(code):
    name = STATUS_NAMES[code]
    e = status_error(code, _err(b"what the C core said"))
    assert type(e) is errors.STATUS_EXCEPTIONS[name]
    assert isinstance(e, errors.SpbpeError) and isinstance(e, BUILTINS[name])
    assert str(e) == "what the C core said"
    with pytest.raises(errors.STATUS_EXCEPTIONS[name], match="^what the C core said$"):
        raise_for_status(code, _err(b"what the C core said"))


@pytest.mark.parametrize("code", FAILURES, ids=lambda c: STATUS_NAMES[c])
def test_without_a_message_the_text_is_spbpe_strerror(code):
    text = ffi.string(lib.spbpe_strerror(code)).decode()
    assert str(status_error(code, _err(b""))) == text
    assert str(status_error(code, None)) == text


@pytest.mark.parametrize("code", FAILURES, ids=lambda c: STATUS_NAMES[c])
def test_the_trainer_maps_through_the_same_map(code):
    # Caller errors are the trainer's own classes (a check sentencepiece
    # makes too: TrainerRefusedError; an option spbpe does not train with:
    # TrainerError); the rest keep the map's class, so a limit or a bug is
    # an SpbpeError that is also the RuntimeError sentencepiece's trainer
    # raises.
    name = STATUS_NAMES[code]
    with pytest.raises(errors.SpbpeError, match="^from the trainer$") as info:
        native_trainer._check(code, _err(b"from the trainer"))
    expected = errors.TRAINER_STATUS_EXCEPTIONS.get(name, errors.STATUS_EXCEPTIONS[name])
    assert type(info.value) is expected
    assert isinstance(info.value, RuntimeError) == (
        name
        in (
            "SPBPE_ERR_INVALID_ARGUMENT",
            "SPBPE_ERR_LIMIT",
            "SPBPE_ERR_INTERNAL",
            "SPBPE_ERR_MODEL_FORMAT",  # issue 16: what sentencepiece raises for these is a RuntimeError
            "SPBPE_ERR_UNSUPPORTED",
        )
    )


def test_ok_raises_nothing_and_unknown_codes_are_internal_errors():
    raise_for_status(lib.SPBPE_OK, _err(b""))
    native_trainer._check(lib.SPBPE_OK, _err(b""))
    e = status_error(99, None)
    assert type(e) is errors.InternalError and str(e) == "unknown status"


def test_every_exception_class_lives_in_errors_and_is_public():
    for cls in (spbpe.SpbpeError, spbpe.TrainerError, spbpe.CharsMapError, spbpe.ModelFormatError):
        assert cls.__module__ == "spbpe.errors"
    from spbpe._charsmap.builder import CharsMapError
    from spbpe.cli import CliError
    from spbpe.trainer import TrainerError

    assert (CharsMapError, CliError, TrainerError) == (errors.CharsMapError, errors.CliError, errors.TrainerError)


def test_the_encoder_raises_through_the_map():
    with pytest.raises(errors.ModelFormatError, match="ModelProto"):
        spbpe.SentencePieceProcessor(model_proto=b"garbage")


def test_trainer_refusal_from_c_is_a_trainer_error(tmp_path):
    # No sentence survives: the C trainer refuses (SPBPE_ERR_INVALID_ARGUMENT),
    # as sentencepiece refuses too; the C message comes through.
    path = tmp_path / "empty.txt"
    path.write_text("\n\n\n")
    with pytest.raises(errors.TrainerError, match="no sentences to train on"):
        spbpe.SentencePieceTrainer.train(input=str(path), model_writer=io.BytesIO(), model_type="bpe", vocab_size=20)


def test_tsv_frequency_above_uint32_is_never_a_bare_runtime_error(tmp_path):
    # Word frequencies above 2^32-1 were refused by the C trainer with
    # SPBPE_ERR_LIMIT, which the trainer turned into a bare RuntimeError.
    # Now it is a LimitError (an SpbpeError and a RuntimeError) carrying the
    # C message -- unless the trainer accepts such counts, as sentencepiece does.
    path = tmp_path / "words.tsv"
    path.write_text("hello\t5000000000\nworld\t3\n")
    try:
        spbpe.SentencePieceTrainer.train(
            input=str(path),
            input_format="tsv",
            model_writer=io.BytesIO(),
            model_type="bpe",
            vocab_size=12,
            hard_vocab_limit=False,
        )
    except errors.SpbpeError as e:  # anything else (a bare RuntimeError) fails the test
        assert type(e) is errors.LimitError and isinstance(e, RuntimeError) and "2^32" in str(e)


def test_processor_names_what_a_non_model_file_is(tmp_path):
    # A text file and a tiktoken rank file (Llama 3's tokenizer.model is one)
    # given as a SentencePiece model: the error names the file and what it is.
    text = tmp_path / "notes.txt"
    text.write_text("hello world\nsecond line\n", encoding="utf-8")
    ranks = tmp_path / "tokenizer.model"
    ranks.write_text("IQ== 0\nIg== 1\nIw== 2\nJA== 3\n", encoding="ascii")
    for path, what in ((text, "a text file"), (ranks, "a tiktoken rank file")):
        with pytest.raises(spbpe.ModelFormatError) as info:
            spbpe.SentencePieceProcessor(model_file=str(path))
        assert isinstance(info.value, RuntimeError)
        assert str(path) in str(info.value) and what in str(info.value)
    with pytest.raises(spbpe.ModelFormatError, match=r'get_encoding\("llama3", ranks_file=PATH\)'):
        spbpe.SentencePieceProcessor(model_file=str(ranks))
