"""Ray Data integration: encode a dataset column, train from a dataset.

    >>> import ray, spbpe.ray                                        # doctest: +SKIP
    >>> ds = ray.data.read_text("corpus/*.txt")                      # doctest: +SKIP
    >>> ds = spbpe.ray.encode(ds, "tokenizer.model")  # an "ids" column  # doctest: +SKIP
    >>> counts = spbpe.ray.train(ds, model_prefix="m", model_type="bpe")  # doctest: +SKIP

Needs the extra: ``pip install 'spbpe[ray]'`` (Ray Data).

* ``encode``: an actor pool; each actor unpickles the tokenizer once (a
  SentencePieceProcessor pickles as its model bytes, an spbpe.gpt.Encoding as
  its ranks) and encodes whole batches with ``encode_to_arrays``, so a batch
  of ids travels as two Arrow buffers (``large_list<int32>``), not as Python
  lists.  The ids equal a single-process ``encode`` of each text.
* ``train``: ``map_batches`` counts the words of each batch
  (``spbpe.count_words``, with the counting options), the counts of each
  block and then of the blocks are merged in a tree of Ray tasks
  (``merge_counts``, fan-in 8), and the driver trains from the merged counts
  (``train_from_counts``): the model single-process training gives.  The
  driver holds only the merged table of distinct words.  Progress shows in
  Ray Data's own progress bars.
"""

from __future__ import annotations

import os
import pickle
from typing import Any, Dict, List, Optional, Tuple, Union

from ..counts import COUNT_OPTIONS, WordCounts, check_model_type, count_words, merge_counts, train_from_counts

__all__ = ["encode", "train", "count", "load_tokenizer"]

_FAN_IN = 8
_COUNTS_COLUMN = "__spbpe_counts"


def _ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ImportError("spbpe.ray needs Ray Data: pip install 'spbpe[ray]'") from None
    return ray


def load_tokenizer(model: Any) -> Any:
    """The tokenizer a ``model`` argument names: a SentencePieceProcessor or
    spbpe.gpt.Encoding as is; bytes of a ``.model``; a GPT encoding name
    (``cl100k_base``, ...); a path to a ``.model`` (SentencePiece, or Llama 3's
    tiktoken-format file) or to a ``<name>.tiktoken`` rank file."""
    from .. import SentencePieceProcessor
    from ..gpt import Encoding, get_encoding, list_encoding_names

    if isinstance(model, (SentencePieceProcessor, Encoding)):
        return model
    if isinstance(model, (bytes, bytearray)):
        return SentencePieceProcessor(model_proto=bytes(model))
    name = os.fspath(model)
    if name in list_encoding_names():
        return get_encoding(name)
    stem, ext = os.path.splitext(os.path.basename(name))
    if ext == ".tiktoken":
        return get_encoding(stem, ranks_file=name)
    with open(name, "rb") as f:
        data = f.read()
    try:
        return SentencePieceProcessor(model_proto=data)
    except RuntimeError:
        try:
            return get_encoding("llama3", ranks_file=name)  # Llama 3's tokenizer.model is a rank file
        except Exception:
            pass
        raise


class _Encoder:
    """One Ray actor: the tokenizer, unpickled once, encoding whole batches."""

    def __init__(self, tokenizer: Any, text_column: str, ids_column: str, options: Dict[str, Any]) -> None:
        self.tok = tokenizer
        self.text_column = text_column
        self.ids_column = ids_column
        self.options = options

    def __call__(self, batch: Any) -> Any:
        texts = batch.column(self.text_column).to_pylist()
        ids = self.tok.encode_to_arrays(texts, **self.options).to_arrow()
        if self.ids_column in batch.column_names:
            batch = batch.drop_columns([self.ids_column])
        return batch.append_column(self.ids_column, ids)


def encode(
    dataset: Any,
    model: Any,
    text_column: str = "text",
    ids_column: str = "ids",
    concurrency: Union[int, Tuple[int, int], None] = None,
    batch_size: Optional[int] = 4096,
    **encode_options: Any,
) -> Any:
    """The dataset with an ``ids_column`` (``large_list<int32>``) holding
    the ids of each row's ``text_column`` (lazy, as every Ray Data step).

    Args:
        model: see load_tokenizer (loaded here, shipped once to each actor).
        concurrency: actors, or (min, max); default (1, the cluster's CPUs).
        batch_size: rows per encode_to_arrays call.
        **encode_options: passed to encode_to_arrays (num_threads defaults
            to 1: each actor holds one CPU; allowed_special and
            disallowed_special for GPT encodings).
    """
    ray = _ray()
    tok = load_tokenizer(model)
    encode_options.setdefault("num_threads", 1)
    if concurrency is None:
        cpus = int(ray.cluster_resources().get("CPU", 1)) if ray.is_initialized() else (os.cpu_count() or 1)
        concurrency = (1, max(1, cpus))
    return dataset.map_batches(
        _Encoder,
        fn_constructor_args=(tok, text_column, ids_column, encode_options),
        batch_format="pyarrow",
        batch_size=batch_size,
        concurrency=concurrency,
    )


def _count_batch(batch: Any, text_column: str, options: Dict[str, Any]) -> Any:
    import pyarrow as pa

    counts = count_words(batch.column(text_column).to_pylist(), **options)
    return pa.table({_COUNTS_COLUMN: pa.array([pickle.dumps(counts)], type=pa.large_binary())})


def _merge_list(parts: List[WordCounts]) -> WordCounts:
    if len(parts) == 1:
        return parts[0]
    return merge_counts(parts[0], parts[1], *parts[2:])


def _merge_block(block: Any) -> WordCounts:
    return _merge_list([pickle.loads(b) for b in block.column(_COUNTS_COLUMN).to_pylist()])


def _merge_counts_task(*parts: WordCounts) -> WordCounts:
    return _merge_list(list(parts))


def count(dataset: Any, text_column: str = "text", batch_size: Optional[int] = 16384, **options: Any) -> WordCounts:
    """spbpe.count_words over a whole dataset on the cluster: counts per
    batch (map_batches), merged per block and then in a tree of tasks.
    options: the trainer options (only the counting ones are used)."""
    ray = _ray()
    counting = {k: v for k, v in options.items() if k in COUNT_OPTIONS or k == "num_threads"}
    counting.setdefault("num_threads", 1)
    per_batch = dataset.map_batches(
        _count_batch,
        fn_kwargs={"text_column": text_column, "options": counting},
        batch_format="pyarrow",
        batch_size=batch_size,
    )
    merge_block = ray.remote(_merge_block)
    merge = ray.remote(_merge_counts_task)
    refs = [merge_block.remote(ref) for ref in per_batch.to_arrow_refs()]
    if not refs:
        return count_words([], **counting)
    while len(refs) > 1:
        refs = [merge.remote(*refs[i : i + _FAN_IN]) for i in range(0, len(refs), _FAN_IN)]
    result: WordCounts = ray.get(refs[0])
    return result


def train(dataset: Any, text_column: str = "text", batch_size: Optional[int] = 16384, **options: Any) -> WordCounts:
    """SentencePieceTrainer.train on a dataset's text column: the word
    counts are made on the cluster (see count), the merges on the driver.
    Same model as training on the text in one process with the same
    options, for model_type="bpe" (the only type word counts determine;
    ``input_sentence_size`` sampling is refused: sample the dataset first).  Returns the merged WordCounts (``write_tsv`` gives
    sentencepiece's ``--input_format=tsv`` of them).

    Args:
        **options: SentencePieceTrainer.train's options, with model_prefix
            (or model_writer); not input or sentence_iterator.
    """
    _ray()
    check_model_type(options)  # before the cluster counts anything
    counts = count(dataset, text_column=text_column, batch_size=batch_size, **options)
    train_from_counts(counts, **options)
    return counts
