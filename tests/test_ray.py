"""spbpe.ray on a local Ray (ray.init(num_cpus=2)) and on an emulated
two-node cluster (ray.cluster_utils.Cluster): encoded ids equal the
single-process encode, and spbpe.ray.train gives the model of
single-process training and of sentencepiece on the written count file."""

import subprocess
import sys

import pytest

from tests.helpers import gpt_encodings
from tests.helpers.models import BUNDLED_TEXT, shared_path
from tests.test_word_counts import _strip

spm = pytest.importorskip("sentencepiece")


def _lines():
    lines = BUNDLED_TEXT.read_text(encoding="utf-8").split("\n")[:2000]
    mixed = shared_path("corpora", "multilingual", "mixed_shuffled.txt")
    if mixed:
        lines += mixed.read_text(encoding="utf-8", errors="surrogateescape").split("\n")[:1000]
    return lines


def test_missing_ray_names_the_extra():
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import spbpe.ray\n"
        "try:\n    spbpe.ray.train(None, model_prefix='m')\n"
        "except ImportError as e:\n    print(e)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "spbpe.ray needs Ray Data: pip install 'spbpe[ray]'"


@pytest.fixture(scope="module", params=["local", "two_nodes"])
def ray_session(request):
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    pytest.importorskip("pyarrow")
    quiet = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
    cluster = None
    if request.param == "local":
        ray.init(num_cpus=2, **quiet)
    else:
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
        cluster.add_node(num_cpus=1)
        ray.init(address=cluster.address, **quiet)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    yield ray, request.param
    ray.shutdown()
    if cluster is not None:
        cluster.shutdown()


def _dataset(ray, lines):
    return ray.data.from_items([{"text": s, "row": i} for i, s in enumerate(lines)], override_num_blocks=6)


@pytest.mark.slow
def test_encode_matches_one_process(ray_session, trained_models):
    import spbpe.ray

    ray, where = ray_session
    lines = _lines()
    ds = _dataset(ray, lines)
    path = shared_path("models", "llama2.model") or trained_models["nfkc_default"]
    ref = spm.SentencePieceProcessor(model_file=str(path))
    rows = spbpe.ray.encode(ds, str(path), batch_size=700).take_all()
    assert len(rows) == len(lines)
    got = {r["row"]: list(r["ids"]) for r in rows}
    want = ref.encode(lines)
    assert sum(got[i] == want[i] for i in range(len(lines))) == len(lines)

    names = gpt_encodings.available()
    if names and where == "local":  # the GPT side once: an actor pool costs seconds to start
        enc, tik = gpt_encodings.pair(names[0])
        rows = spbpe.ray.encode(ds, enc, ids_column="gpt", concurrency=1).take_all()
        got = {r["row"]: list(r["gpt"]) for r in rows}
        want = tik.encode_ordinary_batch(lines)
        assert all(got[i] == want[i] for i in range(len(lines)))


@pytest.mark.slow
def test_train_matches_one_process_and_sentencepiece(ray_session, tmp_path):
    import spbpe.ray

    ray, where = ray_session
    lines = _lines()
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogateescape")
    opts = dict(model_type="bpe", vocab_size=4000, split_digits=True, max_sentence_length=2000, num_threads=1)
    opts.update(minloglevel=2, byte_fallback=True, character_coverage=0.9995)
    spbpe.SentencePieceTrainer.train(input=str(raw), model_prefix=str(tmp_path / "one"), **opts)
    counts = spbpe.ray.train(_dataset(ray, lines), model_prefix=str(tmp_path / "ray"), batch_size=1000, **opts)
    want = _strip(tmp_path / "one.model")
    assert _strip(tmp_path / "ray.model") == want, where
    assert counts == spbpe.count_words(lines, **opts)
    counts.write_tsv(str(tmp_path / "counts.tsv"))
    spm.SentencePieceTrainer.train(
        input=str(tmp_path / "counts.tsv"), input_format="tsv", model_prefix=str(tmp_path / "spm"), **opts
    )
    assert _strip(tmp_path / "spm.model") == want
