"""Run the recipes of docs/scale.md (HF datasets, Dask, Spark, datatrove)
on a corpus sample and check each against one process: the same ids for
every text, and (Dask, Spark) the same model from word counts merged on
the cluster.  A recipe whose package is not installed is reported as such.

    python scripts/scale_recipes.py [--lines 20000] [--model PATH]
"""

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import spbpe  # noqa: E402

TRAIN = dict(model_type="bpe", vocab_size=4000, minloglevel=2, num_threads=1)


def corpus(n: int) -> List[str]:
    path = ROOT.parent / "shared" / "corpora" / "english" / "gutenberg_en.txt"
    if not path.exists():
        path = ROOT / "spbpe" / "data" / "botchan.txt"
    return path.read_text(encoding="utf-8").split("\n")[:n]


# ------------------------------------------------------------------ recipes


def hf_datasets(lines: List[str], model: str, tmp: str) -> Dict[str, Any]:
    import datasets
    from datasets.fingerprint import Hasher

    sp = spbpe.SentencePieceProcessor(model_file=model)

    def tokenize(batch: Dict[str, List[str]]) -> Dict[str, Any]:
        return {"ids": sp.encode(batch["text"])}

    ds = datasets.Dataset.from_dict({"text": lines}).map(tokenize, batched=True, num_proc=2)
    # The map's cache key hashes tokenize with sp in it: a tokenizer pickles
    # to the same bytes in every process, so the fingerprint is stable.
    code = (
        "import sys, spbpe; from datasets.fingerprint import Hasher; "
        "print(Hasher.hash(spbpe.SentencePieceProcessor(model_file=sys.argv[1])))"
    )
    other = subprocess.run([sys.executable, "-c", code, model], capture_output=True, text=True).stdout.strip()
    return {"ids": ds["ids"], "stable fingerprint": Hasher.hash(sp) == other}


def dask_recipe(lines: List[str], model: str, tmp: str) -> Dict[str, Any]:
    import dask.bag as db
    import dask.dataframe as dd
    import pandas as pd

    sp = spbpe.SentencePieceProcessor(model_file=model)

    def encode_part(part: "pd.DataFrame") -> "pd.DataFrame":
        arrays = sp.encode_to_arrays(part["text"].tolist(), num_threads=1)
        return part.assign(ids=arrays.to_lists())

    df = dd.from_pandas(pd.DataFrame({"text": lines}), npartitions=8)
    meta = {"text": "object", "ids": "object"}
    out = df.map_partitions(encode_part, meta=meta).compute(scheduler="processes", num_workers=2)
    bag = db.from_sequence(lines, npartitions=8)
    counts = (
        bag.map_partitions(lambda part: [spbpe.count_words(list(part), **TRAIN)])
        .fold(spbpe.merge_counts)
        .compute(scheduler="processes", num_workers=2)
    )
    spbpe.train_from_counts(counts, model_prefix=f"{tmp}/dask", **TRAIN)
    return {"ids": [list(x) for x in out["ids"]], "model": f"{tmp}/dask.vocab"}


def spark_recipe(lines: List[str], model: str, tmp: str) -> Dict[str, Any]:
    import pandas as pd
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers need this venv's spbpe and pandas
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        model_bytes = spark.sparkContext.broadcast(pathlib.Path(model).read_bytes())

        def encode_batches(batches: Any) -> Any:
            sp = spbpe.SentencePieceProcessor(model_proto=model_bytes.value)  # once per task
            for pdf in batches:
                arrays = sp.encode_to_arrays(pdf["text"].tolist(), num_threads=1)
                yield pd.DataFrame({"row": pdf["row"], "ids": arrays.to_lists()})

        df = spark.createDataFrame(pd.DataFrame({"row": range(len(lines)), "text": lines})).repartition(4)
        rows = df.mapInPandas(encode_batches, schema="row long, ids array<int>").collect()
        by_row = {r["row"]: list(r["ids"]) for r in rows}
        counts = (
            df.select("text")
            .rdd.mapPartitions(lambda it: [spbpe.count_words([r["text"] for r in it], **TRAIN)])
            .treeReduce(spbpe.merge_counts)
        )
    finally:
        spark.stop()
    spbpe.train_from_counts(counts, model_prefix=f"{tmp}/spark", **TRAIN)
    return {"ids": [by_row[i] for i in range(len(lines))], "model": f"{tmp}/spark.vocab"}


def datatrove_recipe(lines: List[str], model: str, tmp: str) -> Dict[str, Any]:
    import json
    from array import array

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.readers import JsonlReader

    src = pathlib.Path(tmp, "docs")
    src.mkdir()
    for k in range(4):  # four input shards
        with open(src / f"{k}.jsonl", "w") as f:
            for i in range(k, len(lines), 4):
                f.write(json.dumps({"text": lines[i], "id": str(i)}) + "\n")
    out = pathlib.Path(tmp, "tokens")

    class SpbpeTokenize(PipelineStep):  # writes <rank>.ids (int32) + <rank>.offsets (int64) + <rank>.docs
        name = "spbpe tokenize"

        def __init__(self, model_path: str, folder: str) -> None:
            super().__init__()
            self.model_path, self.folder = model_path, folder

        def run(self, data: Any, rank: int = 0, world_size: int = 1) -> Any:
            sp = spbpe.SentencePieceProcessor(model_file=self.model_path)
            docs = list(data)
            arrays = sp.encode_to_arrays([d.text for d in docs], num_threads=1)
            os.makedirs(self.folder, exist_ok=True)
            with open(f"{self.folder}/{rank:05d}.ids", "wb") as f:
                arrays.values.tofile(f)
            with open(f"{self.folder}/{rank:05d}.offsets", "wb") as f:
                arrays.offsets.tofile(f)
            with open(f"{self.folder}/{rank:05d}.docs", "w") as f:
                f.write("\n".join(d.id for d in docs))
            yield from docs

    LocalPipelineExecutor(
        pipeline=[JsonlReader(str(src)), SpbpeTokenize(model, str(out))],
        tasks=4,
        workers=2,
        logging_dir=f"{tmp}/logs",
    ).run()
    ids: Dict[int, List[int]] = {}
    for docs in sorted(out.glob("*.docs")):
        values, offsets = array("i"), array("q")
        values.frombytes(docs.with_suffix(".ids").read_bytes())
        offsets.frombytes(docs.with_suffix(".offsets").read_bytes())
        for k, doc in enumerate(docs.read_text().split("\n")):
            ids[int(doc)] = values[offsets[k] : offsets[k + 1]].tolist()
    # datatrove's readers skip documents with empty text: their ids are [].
    return {"ids": [ids[i] if i in ids or lines[i] else [] for i in range(len(lines))]}


RECIPES: Dict[str, Callable[[List[str], str, str], Dict[str, Any]]] = {
    "HF datasets map(num_proc=2)": hf_datasets,
    "Dask map_partitions + bag fold": dask_recipe,
    "Spark mapInPandas + treeReduce": spark_recipe,
    "datatrove pipeline step": datatrove_recipe,
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=20000)
    ap.add_argument("--model", default=str(ROOT.parent / "shared" / "models" / "llama2.model"))
    ap.add_argument("only", nargs="*")
    a = ap.parse_args()
    lines = corpus(a.lines)
    want = spbpe.SentencePieceProcessor(model_file=a.model).encode(lines)
    with tempfile.TemporaryDirectory() as tmp:
        spbpe.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_prefix=f"{tmp}/one", **TRAIN)
        one = pathlib.Path(f"{tmp}/one.vocab").read_bytes()
        for name, fn in RECIPES.items():
            if a.only and not any(o.lower() in name.lower() for o in a.only):
                continue
            d = tempfile.mkdtemp(dir=tmp)
            t = time.perf_counter()
            try:
                got = fn(lines, a.model, d)
            except ImportError as e:
                print(f"{name}: not run ({e.name or e} is not installed)")
                continue
            secs = time.perf_counter() - t
            same = sum(g == w for g, w in zip(got["ids"], want))
            extra = ""
            if "model" in got:
                extra += f", model from merged counts == one process: {pathlib.Path(got['model']).read_bytes() == one}"
            if "stable fingerprint" in got:
                extra += f", tokenizer fingerprint equal in two processes: {got['stable fingerprint']}"
            print(f"{name}: {same}/{len(lines)} texts with identical ids, {secs:.1f} s{extra}")


if __name__ == "__main__":
    main()
