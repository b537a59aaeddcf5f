"""``Encoding``: tiktoken's ``Encoding`` API over spbpe's byte-level engine.

The constructor takes what tiktoken's does (a name, the split pattern, the
mergeable ranks and the special tokens) and every method answers as
tiktoken's does, ids, bytes and errors included.  Encode goes to the C core
(csrc/bytelevel): with one of the four built-in patterns (GPT-2/r50k,
cl100k, o200k, Llama 3) C splits the text too; any other pattern is split
by the ``regex`` module here (split.py) and merged in C.

>>> from spbpe.gpt import Encoding
>>> ranks = {bytes([b]): b for b in range(256)}
>>> ranks[b"ab"] = 256
>>> enc = Encoding("tiny", pat_str=r"\\w+|\\s+", mergeable_ranks=ranks, special_tokens={"<|end|>": 257})
>>> enc.encode("abc ab<|end|>", allowed_special="all")
[256, 99, 32, 256, 257]
"""

from __future__ import annotations

import functools
from array import array
from typing import AbstractSet, Any, Collection, Dict, Iterable, List, Literal, Optional, Sequence, Set, Tuple, Union

from .._core import _pylists
from .._core.native_gpt import ALLOWED, DISALLOWED, NativeByteLevel, has_builtin_pretok
from ..columnar import TokenArrays, encode_to_arrays_gpt
from ..errors import DisallowedSpecialError, InputError, OutOfRangeError, UnknownTokenError
from . import split, unstable
from .registry import builtin_pretok_kind

__all__ = ["Encoding"]

AllowedSpecial = Union[Literal["all"], AbstractSet[str]]
DisallowedSpecial = Union[Literal["all"], Collection[str]]


def _disallowed_error(token: str) -> DisallowedSpecialError:
    return DisallowedSpecialError(
        f"Encountered text corresponding to disallowed special token {token!r}.\n"
        "If you want this text to be encoded as a special token, "
        f"pass it to `allowed_special`, e.g. `allowed_special={{{token!r}, ...}}`.\n"
        f"If you want this text to be encoded as normal text, disable the check for this token "
        f"by passing `disallowed_special=(enc.special_tokens_set - {{{token!r}}})`.\n"
        "To disable this check for all special tokens, pass `disallowed_special=()`.\n"
    )


def _utf8(text: str) -> Tuple[str, bytes]:
    """(text, its UTF-8), surrogates fixed up as tiktoken does: pairs become
    the character they encode, lone ones U+FFFD."""
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return text, text.encode("utf-8")


class Encoding:
    """A byte-level BPE encoding with tiktoken's API.

    Args:
        name: the encoding's name.
        pat_str: the regex that splits text into chunks.
        mergeable_ranks: token bytes -> rank (merge priority).
        special_tokens: special token text -> token value.
        explicit_n_vocab: if given, the number of tokens (ranks plus
            specials), checked as tiktoken checks it.

    Raises:
        InputError: explicit_n_vocab does not match.
        ModelFormatError: two tokens share a rank.
    """

    def __init__(
        self,
        name: str,
        *,
        pat_str: str,
        mergeable_ranks: Dict[bytes, int],
        special_tokens: Dict[str, int],
        explicit_n_vocab: Optional[int] = None,
    ) -> None:
        self.name = name
        self._pat_str = pat_str
        self._mergeable_ranks = mergeable_ranks
        self._special_tokens = special_tokens
        self.max_token_value: int = max(max(mergeable_ranks.values()), max(special_tokens.values(), default=0))
        if explicit_n_vocab:
            if len(mergeable_ranks) + len(special_tokens) != explicit_n_vocab:
                raise InputError(
                    f"explicit_n_vocab is {explicit_n_vocab} but there are {len(mergeable_ranks)} mergeable and "
                    f"{len(special_tokens)} special tokens"
                )
            if self.max_token_value != explicit_n_vocab - 1:
                raise InputError(
                    f"explicit_n_vocab is {explicit_n_vocab} but the largest token is {self.max_token_value}"
                )
        self._special_token_values = set(special_tokens.values())
        self._specials = list(special_tokens)  # the C core's special indices
        self._all_specials = frozenset(special_tokens)
        kind = builtin_pretok_kind(pat_str)
        self._builtin = kind if kind and has_builtin_pretok() else 0
        self._native = NativeByteLevel(mergeable_ranks, special_tokens, self._builtin)
        n = len(self._specials)
        self._modes_disallow_all = bytes([DISALLOWED]) * n if n else None
        self._modes_allow_all = bytes([ALLOWED]) * n if n else None
        self._decoder: Optional[Dict[int, bytes]] = None

    def __repr__(self) -> str:
        return f"<Encoding {self.name!r}>"

    # ------------------------------------------------------------ encoding
    def _modes(self, allowed: AbstractSet[str], disallowed: Collection[str]) -> Optional[bytes]:
        """One byte per special token: allowed, disallowed or ordinary
        (disallowed wins: tiktoken checks it first)."""
        if not self._specials:
            return None
        modes = bytearray(len(self._specials))
        for i, tok in enumerate(self._specials):
            if tok in disallowed:
                modes[i] = DISALLOWED
            elif tok in allowed:
                modes[i] = ALLOWED
        return bytes(modes) if any(modes) else None

    def _resolve(
        self, allowed_special: AllowedSpecial, disallowed_special: DisallowedSpecial
    ) -> Tuple[AbstractSet[str], Collection[str]]:
        if allowed_special == "all":
            allowed_special = self.special_tokens_set
        if disallowed_special == "all":
            disallowed_special = self.special_tokens_set - allowed_special
        return allowed_special, disallowed_special

    def _encode(self, text: str, allowed: AbstractSet[str], disallowed: Collection[str]) -> List[int]:
        if disallowed and not self._all_specials.issuperset(disallowed):
            # a disallowed string that is no special token: only the regex check knows it
            bad = split.find_disallowed(text, frozenset(disallowed))
            if bad is not None:
                raise _disallowed_error(bad)
        text, data = _utf8(text)
        if self._builtin:
            modes = self._modes(allowed, disallowed)
            ids, bad_index = self._native.encode(data, modes)
            if bad_index >= 0:
                raise _disallowed_error(self._specials[bad_index])
            return ids
        if disallowed:
            bad = split.find_disallowed(text, frozenset(disallowed))
            if bad is not None:
                raise _disallowed_error(bad)
        chunks = split.find_chunks(text, self._pat_str, self._all_specials, allowed)
        return self._native.encode(data, None, chunks)[0]

    def encode_ordinary(self, text: str) -> List[int]:
        """Ids of text, special tokens' text encoded as ordinary text.

        >>> enc.encode_ordinary("hello world")  # doctest: +SKIP
        [15339, 1917]
        """
        text, data = _utf8(text)
        if self._builtin:
            return self._native.encode(data)[0]
        return self._native.encode(data, None, split.find_chunks(text, self._pat_str, self._all_specials, set()))[0]

    def encode(
        self,
        text: str,
        *,
        allowed_special: AllowedSpecial = set(),  # noqa: B006  (tiktoken's signature)
        disallowed_special: DisallowedSpecial = "all",
    ) -> List[int]:
        """Ids of text, as tiktoken's ``Encoding.encode``: text of a special
        token in allowed_special becomes its id; text of one in
        disallowed_special raises; any other is ordinary text.

        Raises:
            DisallowedSpecialError: (a ValueError) text holds a disallowed
                special token; the message is tiktoken's.
        """
        if self._builtin:
            # the usual settings, without building sets
            if allowed_special == "all" and (disallowed_special == "all" or not disallowed_special):
                return self._native.encode(_utf8(text)[1], self._modes_allow_all)[0]
            if not allowed_special and not disallowed_special:
                return self._native.encode(_utf8(text)[1])[0]
            if not allowed_special and disallowed_special == "all":
                ids, bad_index = self._native.encode(_utf8(text)[1], self._modes_disallow_all)
                if bad_index >= 0:
                    raise _disallowed_error(self._specials[bad_index])
                return ids
        allowed, disallowed = self._resolve(allowed_special, disallowed_special)
        return self._encode(text, allowed, disallowed)

    def encode_with_unstable(
        self,
        text: str,
        *,
        allowed_special: AllowedSpecial = set(),  # noqa: B006  (tiktoken's signature)
        disallowed_special: DisallowedSpecial = "all",
    ) -> Tuple[List[int], List[List[int]]]:
        """Stable tokens of text and the token sequences that may complete it, as tiktoken's
        ``encode_with_unstable`` (spbpe.gpt.unstable); the completions in no particular order.

        Raises:
            DisallowedSpecialError: as ``encode``.
        """
        allowed, disallowed = self._resolve(allowed_special, disallowed_special)
        return unstable.encode_with_unstable(self, text, allowed, disallowed)

    def encode_to_numpy(
        self,
        text: str,
        *,
        allowed_special: AllowedSpecial = set(),  # noqa: B006
        disallowed_special: DisallowedSpecial = "all",
    ) -> Any:
        """encode's ids as a numpy uint32 array."""
        import numpy as np

        ids = self.encode(text, allowed_special=allowed_special, disallowed_special=disallowed_special)
        return np.array(ids, dtype=np.uint32)

    def _batch(self, texts: List[str], modes: Optional[bytes], num_threads: int) -> Optional[List[List[int]]]:
        """Ids of every text on C threads (built-in patterns only), or None."""
        if not self._builtin:
            return None
        items = texts if type(texts) is list else list(texts)
        try:
            lists, bad_item, bad_special = self._native.encode_batch(items, modes, num_threads)
        except UnicodeEncodeError:  # surrogates: fixed up item by item, as encode does
            items = [_utf8(t)[0] if isinstance(t, str) else t for t in items]
            lists, bad_item, bad_special = self._native.encode_batch(items, modes, num_threads)
        if bad_special >= 0:
            raise _disallowed_error(self._specials[bad_special])
        return lists

    def encode_ordinary_batch(self, text: List[str], *, num_threads: int = 8) -> List[List[int]]:
        """encode_ordinary of every text, on up to num_threads C threads."""
        out = self._batch(text, None, num_threads)
        return out if out is not None else [self.encode_ordinary(t) for t in text]

    def encode_batch(
        self,
        text: List[str],
        *,
        num_threads: int = 8,
        allowed_special: AllowedSpecial = set(),  # noqa: B006
        disallowed_special: DisallowedSpecial = "all",
    ) -> List[List[int]]:
        """encode of every text, on up to num_threads C threads; raises for
        the first text (in order) that holds a disallowed special token."""
        allowed, disallowed = self._resolve(allowed_special, disallowed_special)
        if self._builtin and (not disallowed or self._all_specials.issuperset(disallowed)):
            out = self._batch(text, self._modes(allowed, disallowed), num_threads)
            if out is not None:
                return out
        return [self._encode(t, allowed, disallowed) for t in text]

    def encode_to_arrays(
        self,
        texts: Iterable[str],
        *,
        num_threads: int = 8,
        allowed_special: AllowedSpecial = set(),  # noqa: B006
        disallowed_special: DisallowedSpecial = "all",
    ) -> TokenArrays:
        """encode of every text as flat (int32 values, int64 offsets) arrays,
        on up to num_threads C threads (spbpe.columnar)."""
        return encode_to_arrays_gpt(
            self,
            texts,
            num_threads=num_threads,
            allowed_special=allowed_special,
            disallowed_special=disallowed_special,
            utf8=_utf8,
            disallowed_error=_disallowed_error,
        )

    def encode_single_token(self, text_or_bytes: Union[str, bytes]) -> int:
        """The value of the one token whose text is text_or_bytes (special
        tokens included).

        Raises:
            UnknownTokenError: (a KeyError) no token has these bytes.
        """
        piece = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else bytes(text_or_bytes)
        rank = self._mergeable_ranks.get(piece)
        if rank is not None:
            return rank
        try:
            special = self._special_tokens.get(piece.decode("utf-8"))
        except UnicodeDecodeError:
            special = None
        if special is not None:
            return special
        raise UnknownTokenError(piece)

    def _encode_single_piece(self, text_or_bytes: Union[str, bytes]) -> List[int]:
        """The ranks of one chunk, without a split (tiktoken's private helper)."""
        piece = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else bytes(text_or_bytes)
        return self._native.encode(piece, None, array("I", [0, len(piece)]))[0]

    def _encode_only_native_bpe(self, text: str) -> List[int]:
        """encode_ordinary with the split done by ``regex`` in Python."""
        text, data = _utf8(text)
        return self._native.encode(data, None, split.find_chunks(text, self._pat_str, self._all_specials, set()))[0]

    # ------------------------------------------------------------ decoding
    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        """The bytes of tokens.

        Raises:
            UnknownTokenError: (a KeyError) a value that is no token.
            OverflowError: a value outside uint32, as tiktoken.
        """
        try:
            if type(tokens) is list or type(tokens) is tuple:
                return self._native.decode_list_bytes(tokens)  # type: ignore[arg-type]
            return self._native.decode(self._pack(tokens))
        except OutOfRangeError:
            raise self._decode_error(tokens) from None
        except OverflowError:
            raise OverflowError("out of range integral type conversion attempted") from None

    def _pack(self, tokens: Sequence[int]) -> Union[bytearray, array]:
        """tokens as int32, or OverflowError as tiktoken raises it."""
        try:
            if type(tokens) is list or type(tokens) is tuple:
                buf = bytearray(4 * len(tokens))
                _pylists.pack(tokens, buf)
                return buf
            return array("i", tokens)
        except OverflowError:
            raise OverflowError("out of range integral type conversion attempted") from None

    def _decode_error(self, tokens: Sequence[int]) -> Exception:
        bad = next(t for t in tokens if not 0 <= t < self._native.id_limit or self._decode_one(t) is None)
        if bad < 0:
            return OverflowError("out of range integral type conversion attempted")
        return UnknownTokenError(f"Invalid token for decoding: {bad}")

    def decode(self, tokens: Sequence[int], errors: str = "replace") -> str:
        """The text of tokens (invalid UTF-8 handled by ``errors``, lossy by default)."""
        try:
            if type(tokens) is list or type(tokens) is tuple:
                return self._native.decode_list(tokens, errors)  # type: ignore[arg-type]
            return self._native.decode_str(self._pack(tokens), errors)
        except OutOfRangeError:
            raise self._decode_error(tokens) from None
        except OverflowError:
            raise OverflowError("out of range integral type conversion attempted") from None

    def _decode_one(self, token: int) -> Optional[bytes]:
        decoder = self._decoder
        if decoder is None:
            decoder = {rank: piece for piece, rank in self._mergeable_ranks.items()}
            for text, value in self._special_tokens.items():
                decoder.setdefault(value, text.encode("utf-8"))
            self._decoder = decoder
        return decoder.get(token)

    def decode_single_token_bytes(self, token: int) -> bytes:
        """The bytes of one token (special tokens included).

        Raises:
            UnknownTokenError: (a KeyError) no such token.
        """
        piece = self._decode_one(token)
        if piece is None:
            raise UnknownTokenError(str(token))
        return piece

    def decode_tokens_bytes(self, tokens: Sequence[int]) -> List[bytes]:
        """The bytes of each token."""
        return [self.decode_single_token_bytes(t) for t in tokens]

    def decode_with_offsets(self, tokens: Sequence[int]) -> Tuple[str, List[int]]:
        """(text, where each token starts in it, in characters), as tiktoken:
        a token that starts inside a character points at that character.
        Raises UnicodeDecodeError when the bytes are not UTF-8."""
        token_bytes = self.decode_tokens_bytes(tokens)
        text_len = 0
        offsets = []
        for piece in token_bytes:
            offsets.append(max(0, text_len - (0x80 <= piece[0] < 0xC0)))
            text_len += sum(1 for c in piece if not 0x80 <= c < 0xC0)
        return b"".join(token_bytes).decode("utf-8", errors="strict"), offsets

    def decode_batch(
        self, batch: Sequence[Sequence[int]], *, errors: str = "replace", num_threads: int = 8
    ) -> List[str]:
        """decode of every sequence, the bytes gathered on C threads."""
        texts = None
        if isinstance(errors, str):  # else the plain path raises as bytes.decode does
            try:
                texts = self._native.decode_batch_str(batch, num_threads, errors)
            except (OutOfRangeError, OverflowError):
                pass  # the first bad token's error, as tiktoken, from the plain path below
        if texts is not None:
            return texts
        return [b.decode("utf-8", errors=errors) for b in self.decode_bytes_batch(batch, num_threads=num_threads)]

    def decode_bytes_batch(self, batch: Sequence[Sequence[int]], *, num_threads: int = 8) -> List[bytes]:
        """decode_bytes of every sequence, on C threads."""
        try:
            return self._native.decode_batch(batch, num_threads)
        except (OutOfRangeError, OverflowError):
            return [self.decode_bytes(seq) for seq in batch]  # the first bad token's error, as tiktoken

    # --------------------------------------------------------------- other
    def token_byte_values(self) -> List[bytes]:
        """Every mergeable token's bytes, sorted."""
        return sorted(self._mergeable_ranks)

    @property
    def eot_token(self) -> int:
        return self._special_tokens["<|endoftext|>"]

    @functools.cached_property
    def special_tokens_set(self) -> Set[str]:
        return set(self._special_tokens)

    def is_special_token(self, token: int) -> bool:
        return token in self._special_token_values

    @property
    def n_vocab(self) -> int:
        """max_token_value + 1 (tiktoken keeps it for compatibility)."""
        return self.max_token_value + 1

    def __getstate__(self) -> object:
        return {
            "name": self.name,
            "pat_str": self._pat_str,
            "mergeable_ranks": self._mergeable_ranks,
            "special_tokens": self._special_tokens,
        }

    def __setstate__(self, value: Dict[str, Any]) -> None:
        self.__init__(**value)  # type: ignore[misc]
