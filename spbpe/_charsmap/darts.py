"""darts-clone's double-array builder, in Python, for the charsmap trie.

    >>> units = build_double_array([(b"a", 0), (b"ab", 2)])   # keys sorted, unique, without NUL
    >>> len(units)
    256

sentencepiece stores a ``precompiled_charsmap`` trie as a darts-clone double
array; laying it out by darts-clone's own algorithm (a DAWG of the sorted
keys, then the DAWG arranged into 256-unit blocks) is what makes the blob
byte for byte the one sentencepiece writes.  Training is not hot, so this is
plain Python.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from ..errors import CharsMapError

__all__ = ["build_double_array", "build_keyset_array"]


def build_double_array(kv: List[Tuple[bytes, int]]) -> List[int]:
    """The uint32 units of the double array mapping each key to its value (darts-clone's build).

    Raises:
        CharsMapError: keys out of order, or an offset too large for a unit.
    """
    return _DoubleArrayBuilder(_Dawg(kv)).units


def build_keyset_array(keys: List[bytes]) -> List[int]:
    """The uint32 units of darts-clone's build without values (key i has
    value i): a plain trie, not a DAWG (DoubleArrayBuilder::build_from_keyset).

    Raises:
        CharsMapError: keys out of order, or an offset too large for a unit.
    """
    return _KeysetBuilder(keys).units


class _Dawg:
    """darts-clone's DawgBuilder: the sorted keys as a DAWG whose identical
    sibling groups (suffix subtrees, values included) are stored once.

    Units are numbered in the order groups are flushed; `intersections`
    marks the groups reached from more than one parent."""

    def __init__(self, kv: List[Tuple[bytes, int]]):
        # Nodes being built (node 0 is the root, child 0 means none).
        self.child, self.sibling, self.label = [0], [0], [0xFF]
        self.is_state, self.has_sibling = [False], [False]
        self.free: List[int] = []
        self.stack = [0]
        # Finished units; unit 0 is the root.
        self.units, self.labels, self.inter = [0], [0], [False]
        self.table: Dict[tuple, int] = {}
        for key, value in kv:
            self._insert(key, value)
        self._flush(0)
        self.units[0] = self._node_unit(0)
        self.labels[0] = self.label[0]
        self.rank: Dict[int, int] = {}
        for i, flag in enumerate(self.inter):
            if flag:
                self.rank[i] = len(self.rank)

    def _node_unit(self, i: int) -> int:
        if self.label[i] == 0:
            return ((self.child[i] << 1) | self.has_sibling[i]) & 0xFFFFFFFF
        return ((self.child[i] << 2) | (2 if self.is_state[i] else 0) | self.has_sibling[i]) & 0xFFFFFFFF

    def _new_node(self) -> int:
        if self.free:
            i = self.free.pop()
            self.child[i] = self.sibling[i] = self.label[i] = 0
            self.is_state[i] = self.has_sibling[i] = False
            return i
        for arr in (self.child, self.sibling, self.label):
            arr.append(0)
        self.is_state.append(False)
        self.has_sibling.append(False)
        return len(self.child) - 1

    def _insert(self, key: bytes, value: int) -> None:
        length = len(key)
        node, pos = 0, 0
        while pos <= length:
            child = self.child[node]
            if child == 0:
                break
            c = key[pos] if pos < length else 0
            if c < self.label[child]:
                raise CharsMapError("failed to insert key: wrong key order")
            if c > self.label[child]:
                self.has_sibling[child] = True
                self._flush(child)
                break
            node = child
            pos += 1
        if pos > length:
            return
        while pos <= length:
            c = key[pos] if pos < length else 0
            child = self._new_node()
            if self.child[node] == 0:
                self.is_state[child] = True
            self.sibling[child] = self.child[node]
            self.label[child] = c
            self.child[node] = child
            self.stack.append(child)
            node = child
            pos += 1
        self.child[node] = value

    def _flush(self, node_id: int) -> None:
        stack = self.stack
        while stack[-1] != node_id:
            head = stack.pop()
            chain = []
            i = head
            while i:
                chain.append(i)
                i = self.sibling[i]
            sig = tuple((self._node_unit(i), self.label[i]) for i in chain)
            match = self.table.get(sig, 0)
            if match:
                self.inter[match] = True
            else:
                start = len(self.units)
                n = len(chain)
                self.units.extend([0] * n)
                self.labels.extend([0] * n)
                self.inter.extend([False] * n)
                # The group is stored tail first: the head goes last.
                for k, i in enumerate(chain):
                    self.units[start + n - 1 - k] = self._node_unit(i)
                    self.labels[start + n - 1 - k] = self.label[i]
                match = start
                self.table[sig] = match
            self.free.extend(chain)
            self.child[stack[-1]] = match
        stack.pop()

    # Unit accessors, as DawgBuilder's.
    def d_child(self, i: int) -> int:
        return self.units[i] >> 2

    def d_sibling(self, i: int) -> int:
        return i + 1 if self.units[i] & 1 else 0

    def d_value(self, i: int) -> int:
        return self.units[i] >> 1


_BLOCK = 256
_NUM_EXTRA_BLOCKS = 16
_NUM_EXTRAS = _BLOCK * _NUM_EXTRA_BLOCKS
_UPPER_MASK = 0xFF << 21
_LOWER_MASK = 0xFF


class _DoubleArrayBuilder:
    """darts-clone's DoubleArrayBuilder::build_from_dawg: places each
    sibling group at the first free offset of the last 16 blocks, reusing
    the offset of a shared group when its relative offset is encodable."""

    def __init__(self, dawg: _Dawg):
        self.dawg = dawg
        self.units: List[int] = []
        self.prev = [0] * _NUM_EXTRAS
        self.next = [0] * _NUM_EXTRAS
        self.fixed = [False] * _NUM_EXTRAS
        self.used = [False] * _NUM_EXTRAS
        self.head = 0
        self.labels: List[int] = []
        self.table = [0] * len(dawg.rank)
        self._reserve(0)
        self.used[0] = True
        self._set_offset(0, 1)
        self._set_label(0, 0)
        if dawg.d_child(0) != 0:
            self._build(0, 0)
        self._fix_all_blocks()

    # Unit bit fields (DoubleArrayBuilderUnit).
    def _set_has_leaf(self, i: int) -> None:
        self.units[i] |= 1 << 8

    def _set_value(self, i: int, value: int) -> None:
        self.units[i] = (value | (1 << 31)) & 0xFFFFFFFF

    def _set_label(self, i: int, label: int) -> None:
        self.units[i] = (self.units[i] & ~0xFF) | label

    def _set_offset(self, i: int, offset: int) -> None:
        if offset >= 1 << 29:
            raise CharsMapError("failed to modify unit: too large offset")
        u = self.units[i] & ((1 << 31) | (1 << 8) | 0xFF)
        if offset < 1 << 21:
            u |= offset << 10
        else:
            u |= (offset << 2) | (1 << 9)
        self.units[i] = u & 0xFFFFFFFF

    def _build(self, dawg_id: int, dic_id: int) -> None:
        d = self.dawg
        child = d.d_child(dawg_id)
        if d.inter[child]:
            offset = self.table[d.rank[child]]
            if offset:
                offset ^= dic_id
                if not (offset & _UPPER_MASK) or not (offset & _LOWER_MASK):
                    if d.labels[child] == 0:
                        self._set_has_leaf(dic_id)
                    self._set_offset(dic_id, offset)
                    return
        offset = self._arrange(dawg_id, dic_id)
        if d.inter[child]:
            self.table[d.rank[child]] = offset
        while True:
            label = d.labels[child]
            if label != 0:
                self._build(child, offset ^ label)
            child = d.d_sibling(child)
            if child == 0:
                break

    def _arrange(self, dawg_id: int, dic_id: int) -> int:
        d = self.dawg
        labels = self.labels = []
        child = d.d_child(dawg_id)
        while child:
            labels.append(d.labels[child])
            child = d.d_sibling(child)
        offset = self._find_valid_offset(dic_id)
        self._set_offset(dic_id, dic_id ^ offset)
        child = d.d_child(dawg_id)
        for label in labels:
            dic_child = offset ^ label
            self._reserve(dic_child)
            if d.labels[child] == 0:
                self._set_has_leaf(dic_id)
                self._set_value(dic_child, d.d_value(child))
            else:
                self._set_label(dic_child, label)
            child = d.d_sibling(child)
        self.used[offset % _NUM_EXTRAS] = True
        return offset

    def _find_valid_offset(self, i: int) -> int:
        n = len(self.units)
        if self.head >= n:
            return n | (i & _LOWER_MASK)
        unfixed = self.head
        while True:
            offset = unfixed ^ self.labels[0]
            if self._is_valid_offset(i, offset):
                return offset
            unfixed = self.next[unfixed % _NUM_EXTRAS]
            if unfixed == self.head:
                return n | (i & _LOWER_MASK)

    def _is_valid_offset(self, i: int, offset: int) -> bool:
        if self.used[offset % _NUM_EXTRAS]:
            return False
        rel = i ^ offset
        if (rel & _LOWER_MASK) and (rel & _UPPER_MASK):
            return False
        for label in self.labels[1:]:
            if self.fixed[(offset ^ label) % _NUM_EXTRAS]:
                return False
        return True

    def _reserve(self, i: int) -> None:
        if i >= len(self.units):
            self._expand()
        E = _NUM_EXTRAS
        if i == self.head:
            self.head = self.next[i % E]
            if self.head == i:
                self.head = len(self.units)
        p, nx = self.prev[i % E], self.next[i % E]
        self.next[p % E] = nx
        self.prev[nx % E] = p
        self.fixed[i % E] = True

    def _expand(self) -> None:
        E = _NUM_EXTRAS
        src = len(self.units)
        src_blocks = src // _BLOCK
        dest = src + _BLOCK
        if src_blocks + 1 > _NUM_EXTRA_BLOCKS:
            self._fix_block(src_blocks - _NUM_EXTRA_BLOCKS)
        self.units.extend([0] * _BLOCK)
        if src_blocks + 1 > _NUM_EXTRA_BLOCKS:
            for i in range(src, dest):
                self.used[i % E] = False
                self.fixed[i % E] = False
        for i in range(src + 1, dest):
            self.next[(i - 1) % E] = i
            self.prev[i % E] = i - 1
        self.prev[src % E] = dest - 1
        self.next[(dest - 1) % E] = src
        head = self.head
        self.prev[src % E] = self.prev[head % E]
        self.next[(dest - 1) % E] = head
        self.next[self.prev[head % E] % E] = src
        self.prev[head % E] = dest - 1

    def _fix_all_blocks(self) -> None:
        blocks = len(self.units) // _BLOCK
        for b in range(max(0, blocks - _NUM_EXTRA_BLOCKS), blocks):
            self._fix_block(b)

    def _fix_block(self, block: int) -> None:
        begin, end = block * _BLOCK, (block + 1) * _BLOCK
        unused = 0
        for offset in range(begin, end):
            if not self.used[offset % _NUM_EXTRAS]:
                unused = offset
                break
        for i in range(begin, end):
            if not self.fixed[i % _NUM_EXTRAS]:
                self._reserve(i)
                self._set_label(i, (i ^ unused) & 0xFF)


class _KeysetBuilder(_DoubleArrayBuilder):
    """DoubleArrayBuilder::build_from_keyset: every node of the sorted keys'
    trie gets its own sibling group, placed as build_from_dawg places them."""

    def __init__(self, keys: List[bytes]):  # same state as the DAWG builder, without a DAWG
        self.units = []
        self.prev = [0] * _NUM_EXTRAS
        self.next = [0] * _NUM_EXTRAS
        self.fixed = [False] * _NUM_EXTRAS
        self.used = [False] * _NUM_EXTRAS
        self.head = 0
        self.labels = []
        self.keys = keys
        self._reserve(0)
        self.used[0] = True
        self._set_offset(0, 1)
        self._set_label(0, 0)
        if keys:
            self._build_keys(0, len(keys), 0, 0)
        self._fix_all_blocks()

    def _label_at(self, i: int, depth: int) -> int:
        k = self.keys[i]
        return k[depth] if depth < len(k) else 0

    def _build_keys(self, begin: int, end: int, depth: int, dic_id: int) -> None:
        offset = self._arrange_keys(begin, end, depth, dic_id)
        while begin < end and self._label_at(begin, depth) == 0:
            begin += 1
        if begin == end:
            return
        last_begin, last_label = begin, self._label_at(begin, depth)
        begin += 1
        while begin < end:
            label = self._label_at(begin, depth)
            if label != last_label:
                self._build_keys(last_begin, begin, depth + 1, offset ^ last_label)
                last_begin, last_label = begin, label
            begin += 1
        self._build_keys(last_begin, end, depth + 1, offset ^ last_label)

    def _arrange_keys(self, begin: int, end: int, depth: int, dic_id: int) -> int:
        labels: List[int] = []
        value = -1
        for i in range(begin, end):
            label = self._label_at(i, depth)
            if label == 0 and value == -1:
                value = i
            if not labels:
                labels.append(label)
            elif label != labels[-1]:
                if label < labels[-1]:
                    raise CharsMapError("failed to build double-array: wrong key order")
                labels.append(label)
        self.labels = labels
        offset = self._find_valid_offset(dic_id)
        self._set_offset(dic_id, dic_id ^ offset)
        for label in labels:
            dic_child = offset ^ label
            self._reserve(dic_child)
            if label == 0:
                self._set_has_leaf(dic_id)
                self._set_value(dic_child, value)
            else:
                self._set_label(dic_child, label)
        self.used[offset % _NUM_EXTRAS] = True
        return offset
