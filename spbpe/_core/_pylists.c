/* spbpe._core._pylists: int32 buffers <-> Python lists of ints, for spbpe._core.native.
 *
 * cffi binds the C core but cannot create Python objects in C, and building
 * list[int] one PyLong at a time was most of an encode call: for 2 MB of
 * English split into lines, the core takes 10 ms and array.tolist() plus
 * freeing the 38k lists took 24 ms more.  Here every id is a new reference
 * to one entry of a per-model tuple of ints (table[i] == i), so a list costs
 * one pointer store and one reference count per id, and freeing it releases
 * no int objects at all.  Ids outside the table (never produced by encode)
 * get a fresh int.
 *
 * concat() joins (part of) a list of str or bytes into one UTF-8 blob plus
 * the byte offset of each item, the input of a batch encode:
 * "".join(texts).encode() and the running sum of the lengths took longer
 * than the encoding itself.
 *
 * The reverse, pack(), reads a list or tuple of ints into an int32 buffer
 * for decode, raising TypeError for a non-integer and OverflowError for an
 * int outside int32, as array('i') does; pack_many() does a batch of them,
 * and split_text() cuts a batch decode's text back into str or bytes.
 * utf8_str() turns a decode's UTF-8 into str faster than CPython's decoder
 * on non-ASCII text (see utf8_scan below for how).
 *
 * Every function holds the GIL: each is a short memory-bound loop, and all
 * of them create or read Python objects.  Buffers are read through the
 * buffer protocol and every count is checked against the buffer's size.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Borrowed items of the id table, or NULL with TypeError set. */
static PyObject *const *table_items(PyObject *table, Py_ssize_t *size) {
    if (!PyTuple_CheckExact(table)) {
        PyErr_SetString(PyExc_TypeError, "the id table must be a tuple");
        return NULL;
    }
    *size = PyTuple_GET_SIZE(table);
    return &PyTuple_GET_ITEM(table, 0);
}

/* A new list of ids[first:last]; the caller has checked the bounds. */
static PyObject *list_of(const int32_t *ids, size_t first, size_t last, PyObject *const *items, Py_ssize_t size) {
    PyObject *list = PyList_New((Py_ssize_t)(last - first));
    if (list == NULL) return NULL;
    PyObject **dst = ((PyListObject *)list)->ob_item;
    for (size_t k = first; k < last; k++) {
        int32_t id = ids[k];
        PyObject *o;
        if ((uint32_t)id < (uint64_t)size) {
            o = items[id];
            Py_INCREF(o);
        } else if ((o = PyLong_FromLong(id)) == NULL) {
            Py_DECREF(list); /* the unset items are NULL, which list dealloc skips */
            return NULL;
        }
        *dst++ = o;
    }
    return list;
}

static int read_count(PyObject *arg, Py_ssize_t *out) {
    *out = PyLong_AsSsize_t(arg);
    if (*out == -1 && PyErr_Occurred()) return -1;
    if (*out < 0) {
        PyErr_SetString(PyExc_ValueError, "count must not be negative");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(to_list_doc, "to_list(ids, count, table) -> list[int]: the first count int32 of buffer ids.");

static PyObject *to_list(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "to_list() takes ids, count and table");
        return NULL;
    }
    Py_ssize_t count, size;
    PyObject *const *items = table_items(args[2], &size);
    if (items == NULL || read_count(args[1], &count) < 0) return NULL;
    Py_buffer ids;
    if (PyObject_GetBuffer(args[0], &ids, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *result = NULL;
    if ((size_t)count > (size_t)ids.len / sizeof(int32_t))
        PyErr_SetString(PyExc_ValueError, "count is beyond the end of the ids buffer");
    else if (count > 0 && (uintptr_t)ids.buf % sizeof(int32_t) != 0)
        PyErr_SetString(PyExc_ValueError, "the ids buffer is not aligned");
    else
        result = list_of(ids.buf, 0, (size_t)count, items, size);
    PyBuffer_Release(&ids);
    return result;
}

/* Gets the buffers of data (items of item_size bytes) and offsets (size_t
 * values), checking that offsets holds count + 1 aligned, non-decreasing
 * values that stay within data.  0, or -1 with an exception set and no
 * buffer held. */
static int get_cut_buffers(PyObject *data_obj, PyObject *offsets_obj, Py_ssize_t count, size_t item_size,
                           Py_buffer *data, Py_buffer *offsets) {
    if (PyObject_GetBuffer(data_obj, data, PyBUF_SIMPLE) < 0) return -1;
    if (PyObject_GetBuffer(offsets_obj, offsets, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(data);
        return -1;
    }
    const size_t *off = offsets->buf;
    size_t limit = (size_t)data->len / item_size;
    const char *problem = NULL;
    if ((size_t)count >= (size_t)offsets->len / sizeof(size_t))
        problem = "count is beyond the end of the offsets buffer";
    else if ((data->len > 0 && (uintptr_t)data->buf % item_size != 0) || (uintptr_t)off % sizeof(size_t) != 0)
        problem = "the buffers are not aligned";
    for (Py_ssize_t i = 0; problem == NULL && i < count; i++)
        if (off[i] > off[i + 1] || off[i + 1] > limit) problem = "offsets are not increasing within the buffer";
    if (problem == NULL) return 0;
    PyErr_SetString(PyExc_ValueError, problem);
    PyBuffer_Release(offsets);
    PyBuffer_Release(data);
    return -1;
}

PyDoc_STRVAR(split_doc,
             "split(ids, offsets, count, table) -> list[list[int]]: list i holds the int32 of buffer ids\n"
             "from offsets[i] up to offsets[i + 1] (offsets: count + 1 size_t values).");

/* The caller has checked the offsets (get_cut_buffers). */
static PyObject *split_lists(const int32_t *ids, const size_t *offsets, Py_ssize_t count, PyObject *const *items,
                             Py_ssize_t size) {
    PyObject *outer = PyList_New(count);
    if (outer == NULL) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *list = list_of(ids, offsets[i], offsets[i + 1], items, size);
        if (list == NULL) {
            Py_DECREF(outer);
            return NULL;
        }
        PyList_SET_ITEM(outer, i, list);
    }
    return outer;
}

static PyObject *split(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "split() takes ids, offsets, count and table");
        return NULL;
    }
    Py_ssize_t count, size;
    PyObject *const *items = table_items(args[3], &size);
    if (items == NULL || read_count(args[2], &count) < 0) return NULL;
    Py_buffer ids, offsets;
    if (get_cut_buffers(args[0], args[1], count, sizeof(int32_t), &ids, &offsets) < 0) return NULL;
    PyObject *result = split_lists(ids.buf, offsets.buf, count, items, size);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&ids);
    return result;
}

/* The value of an exact int that fits one digit (|v| < 2^30, every token
 * id), read without a call; 0 when it takes more digits (then pack_one
 * asks PyLong_AsLongAndOverflow).  Decode packs thousands of ids per call,
 * and the call per id was most of the packing. */
static inline int small_int(PyObject *o, int32_t *out) {
#if PY_VERSION_HEX >= 0x030C0000
    if (!PyUnstable_Long_IsCompact((PyLongObject *)o)) return 0;
    *out = (int32_t)PyUnstable_Long_CompactValue((PyLongObject *)o);
    return 1;
#else
    Py_ssize_t size = Py_SIZE(o);
    if (size < -1 || size > 1) return 0;
    *out = size ? (int32_t)((PyLongObject *)o)->ob_digit[0] * (int32_t)size : 0; /* digit 0 is undefined for 0 */
    return 1;
#endif
}

/* One id of a sequence as int32, or -1 with an exception set. */
static int pack_one(PyObject *o, int32_t *out) {
    int overflow;
    long v;
    if (PyLong_CheckExact(o)) {
        if (small_int(o, out)) return 0;
        v = PyLong_AsLongAndOverflow(o, &overflow);
    } else {
        PyObject *index = PyNumber_Index(o); /* bool, IntEnum, NumPy integers: what array('i') takes */
        if (index == NULL) return -1;
        v = PyLong_AsLongAndOverflow(index, &overflow);
        Py_DECREF(index);
    }
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow || v < INT32_MIN || v > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "id is beyond int32");
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

PyDoc_STRVAR(pack_doc,
             "pack(ids, out) -> int: writes the list or tuple of ints ids into the writable buffer out\n"
             "as int32 and returns len(ids).  TypeError for a non-integer item, OverflowError for an\n"
             "int beyond int32, ValueError when out is too small.");

static PyObject *pack(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "pack() takes ids and out");
        return NULL;
    }
    PyObject *seq = args[0];
    if (!PyList_CheckExact(seq) && !PyTuple_CheckExact(seq)) {
        PyErr_SetString(PyExc_TypeError, "pack() takes a list or tuple");
        return NULL;
    }
    Py_buffer out;
    if (PyObject_GetBuffer(args[1], &out, PyBUF_WRITABLE) < 0) return NULL;
    /* Re-read the length every step: PyNumber_Index can run Python code
     * that shrinks a list. */
    Py_ssize_t i = 0;
    int ok = 1;
    /* Exact small ints first: nothing in this loop runs Python code. */
    PyObject **items = PySequence_Fast_ITEMS(seq);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), room = (Py_ssize_t)((size_t)out.len / sizeof(int32_t));
    for (int32_t v; i < n && i < room && PyLong_CheckExact(items[i]) && small_int(items[i], &v); i++)
        memcpy((char *)out.buf + (size_t)i * sizeof v, &v, sizeof v);
    for (; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if ((size_t)(i + 1) > (size_t)out.len / sizeof(int32_t)) {
            PyErr_SetString(PyExc_ValueError, "the output buffer is too small");
            ok = 0;
            break;
        }
        int32_t v;
        if (pack_one(PySequence_Fast_GET_ITEM(seq, i), &v) < 0) {
            ok = 0;
            break;
        }
        memcpy((char *)out.buf + (size_t)i * sizeof v, &v, sizeof v);
    }
    PyBuffer_Release(&out);
    return ok ? PyLong_FromSsize_t(i) : NULL;
}

/* A new bytes object of data_size bytes and one of count + 1 size_t, both
 * uninitialized; 0, or -1 with an exception set and neither made. */
static int new_data_and_starts(Py_ssize_t data_size, Py_ssize_t count, PyObject **data, PyObject **starts) {
    *data = PyBytes_FromStringAndSize(NULL, data_size);
    *starts = PyBytes_FromStringAndSize(NULL, (count + 1) * (Py_ssize_t)sizeof(size_t));
    if (*data != NULL && *starts != NULL) return 0;
    Py_CLEAR(*data);
    Py_CLEAR(*starts);
    return -1;
}

PyDoc_STRVAR(pack_many_doc,
             "pack_many(seqs) -> (ids, starts): the list of lists or tuples of ints seqs back to back as\n"
             "int32 in a bytes object, and where each starts, as size_t[len(seqs) + 1] in another.  Only\n"
             "exact ints: TypeError for anything else (the caller then takes the general path, which\n"
             "also runs __index__), OverflowError for an int beyond int32.");

static PyObject *pack_many(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 1 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "pack_many() takes a list");
        return NULL;
    }
    PyObject *seqs = args[0];
    Py_ssize_t count = PyList_GET_SIZE(seqs);
    size_t total = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *seq = PyList_GET_ITEM(seqs, i);
        if (!PyList_Check(seq) && !PyTuple_Check(seq)) {
            PyErr_SetString(PyExc_TypeError, "pack_many() takes lists or tuples");
            return NULL;
        }
        total += (size_t)PySequence_Fast_GET_SIZE(seq);
    }
    if (total > (size_t)PY_SSIZE_T_MAX / sizeof(int32_t)) return PyErr_NoMemory();
    PyObject *ids_obj, *starts_obj;
    if (new_data_and_starts((Py_ssize_t)(total * sizeof(int32_t)), count, &ids_obj, &starts_obj) < 0) return NULL;
    char *ids = PyBytes_AS_STRING(ids_obj);
    size_t *starts = (size_t *)(void *)PyBytes_AS_STRING(starts_obj);
    /* Nothing below runs Python code (exact ints only), so no sequence
     * changes size after the first pass. */
    size_t k = 0;
    starts[0] = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *seq = PyList_GET_ITEM(seqs, i);
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        PyObject **items = PySequence_Fast_ITEMS(seq);
        for (Py_ssize_t j = 0; j < n; j++, k++) {
            int32_t v;
            if (!PyLong_CheckExact(items[j])) {
                PyErr_SetString(PyExc_TypeError, "ids must be int");
                goto fail;
            }
            if (pack_one(items[j], &v) < 0) goto fail;
            memcpy(ids + k * sizeof v, &v, sizeof v);
        }
        starts[i + 1] = k;
    }
    return Py_BuildValue("(NN)", ids_obj, starts_obj);
fail:
    Py_DECREF(ids_obj);
    Py_DECREF(starts_obj);
    return NULL;
}

/* UTF-8 -> str in two passes, for decode (ids -> str).
 *
 * CPython's decoder writes UCS1 until it meets a wider character, then
 * widens what it has written (UCS1 -> UCS2 -> UCS4) and over-allocates and
 * reallocates as it goes: on multilingual text that was most of a decode.
 * Here a first pass over the bytes counts the characters (the bytes that
 * are not continuation bytes 0x80-0xBF) and finds the largest byte, which
 * for valid UTF-8 gives the canonical kind: below 0x80 ASCII, below 0xC4
 * (leads C2, C3: U+0080-U+00FF) UCS1, below 0xF0 UCS2, else UCS4.  The
 * str is made of exactly that size and kind, and the second pass fills it
 * while validating as CPython does (no overlongs, no surrogates, nothing
 * above U+10FFFF, no truncated sequence).  On the first invalid byte the
 * str is dropped and the whole text goes to PyUnicode_DecodeUTF8 with the
 * caller's errors handler, so every handler behaves exactly as CPython's;
 * valid text never reaches a handler, so it decodes alike under all.
 *
 * The fill runs with AVX2 (utf8_avx2_init checks the CPU at import); the
 * portable fill below decodes what the AVX2 loop leaves at the end.  On
 * their own, the portable fills are no faster than CPython's decoder, so
 * without AVX2 (and for texts of 0 or 1 character, which CPython returns
 * from its cache) the text goes to PyUnicode_DecodeUTF8; tests run them on
 * whole texts through utf8_str(..., portable=True).  On the multilingual
 * documents of benchmarks/bench_gpt.py, CPython's decoder makes 0.85 GB/s
 * of UCS2 and 1.0 of UCS4, the AVX2 fill 3.0 and 1.8. */

/* The characters of valid UTF-8 s[0:n] and its largest byte. */
static size_t utf8_scan(const uint8_t *s, size_t n, unsigned *max_byte) {
    size_t continuation = 0, i = 0;
    uint8_t top = 0;
    while (i < n) {
        /* Blocks of at most 255 bytes, so that a byte counter cannot
         * overflow and the compiler vectorizes the inner loop. */
        size_t end = n - i < 255 ? n : i + 255;
        uint8_t count = 0;
        for (; i < end; i++) {
            uint8_t b = s[i];
            count += (uint8_t)((int8_t)b < -64); /* 0x80-0xBF */
            top = b > top ? b : top;
        }
        continuation += count;
    }
    *max_byte = top;
    return n - continuation;
}

/* The second pass works on blocks of 64 bytes in two loops.  The first
 * decodes, at every byte, the sequence that would start there (lead byte
 * and up to 3 more, read past the block), and checks it when the byte does
 * start one (any byte but a continuation byte 0x80-0xBF): a valid lead,
 * continuation bytes, no overlong, no surrogate, nothing above MAX.  It has
 * no branch and no dependence between bytes, so the compiler vectorizes it.
 * The second stores every byte's value at the next character slot and
 * advances the slot only at a start, so the value of a continuation byte
 * is overwritten by the next character's (one slot past the last
 * character may be written: the str's terminating NUL, restored after).
 * The sequences' lengths must add up to the text's length: each start's
 * sequence covers only continuation bytes, so the sequences do not
 * overlap, and their sum is the length exactly when no continuation byte
 * is left outside one.  A loop that steps from one sequence to the next by
 * its length waits at every character for the load, the length and the
 * add, and branches on each length: on mixed scripts that was slower than
 * CPython's decoder. */
#define UTF8_BLOCK 64

/* The first loop, for characters up to U+FFFF (UCS1 when max is 0xFF,
 * UCS2) in 16-bit lanes: value[i] and the sum of the starts' lengths;
 * returns nonzero for an invalid start.  Selections are masks (all ones
 * or zero) so that the compiler vectorizes the loop. */
static inline unsigned utf8_values16(const uint8_t *restrict p, uint16_t max, uint16_t *restrict value,
                                     unsigned *restrict sum) {
    uint16_t bad = 0, total = 0;
    for (int i = 0; i < UTF8_BLOCK; i++) {
        uint16_t c = p[i], d1 = p[i + 1], d2 = p[i + 2];
        uint16_t two = -(uint16_t)(c >= 0xC0), three = -(uint16_t)(c >= 0xE0), four = -(uint16_t)(c >= 0xF0);
        uint16_t start = -(uint16_t)((c & 0xC0) != 0x80);
        uint16_t v2 = (uint16_t)(((c & 0x1F) << 6) | (d1 & 0x3F));
        uint16_t v3 = (uint16_t)(((c & 0x0F) << 12) | ((d1 & 0x3F) << 6) | (d2 & 0x3F));
        uint16_t v = (v3 & three) | (v2 & two & ~three) | (c & ~two);
        uint16_t low = (0x800 & three) | (0x80 & two & ~three);
        uint16_t wrong = (two & -(uint16_t)((d1 & 0xC0) != 0x80)) | (three & -(uint16_t)((d2 & 0xC0) != 0x80)) |
                         four | -(uint16_t)(v < low) | -(uint16_t)((v & 0xF800) == 0xD800) | -(uint16_t)(v > max);
        bad |= start & wrong;
        total += start & (1 + (two & 1) + (three & 1));
        value[i] = v;
    }
    *sum += total; /* at most 3 * 64 */
    return bad;
}

/* The same for any character, in 32-bit lanes (UCS4). */
static inline unsigned utf8_values32(const uint8_t *restrict p, uint32_t *restrict value, unsigned *restrict sum) {
    uint32_t bad = 0, total = 0;
    for (int i = 0; i < UTF8_BLOCK; i++) {
        uint32_t c = p[i], d1 = p[i + 1], d2 = p[i + 2], d3 = p[i + 3];
        uint32_t two = -(uint32_t)(c >= 0xC0), three = -(uint32_t)(c >= 0xE0), four = -(uint32_t)(c >= 0xF0);
        uint32_t start = -(uint32_t)((c & 0xC0) != 0x80);
        uint32_t v2 = ((c & 0x1F) << 6) | (d1 & 0x3F);
        uint32_t v3 = ((c & 0x0F) << 12) | ((d1 & 0x3F) << 6) | (d2 & 0x3F);
        uint32_t v4 = ((c & 0x07) << 18) | ((d1 & 0x3F) << 12) | ((d2 & 0x3F) << 6) | (d3 & 0x3F);
        uint32_t v = (v4 & four) | (v3 & three & ~four) | (v2 & two & ~three) | (c & ~two);
        uint32_t low = (0x10000 & four) | (0x800 & three & ~four) | (0x80 & two & ~three);
        uint32_t wrong = (two & -(uint32_t)((d1 & 0xC0) != 0x80)) | (three & -(uint32_t)((d2 & 0xC0) != 0x80)) |
                         (four & -(uint32_t)((d3 & 0xC0) != 0x80)) | -(uint32_t)(c >= 0xF5) |
                         -(uint32_t)(v < low) | -(uint32_t)((v & 0xFFFFF800u) == 0xD800) | -(uint32_t)(v > 0x10FFFF);
        bad |= start & wrong;
        total += start & (1 + (two & 1) + (three & 1) + (four & 1));
        value[i] = v;
    }
    *sum += total;
    return bad;
}

/* The second loop: every value at the next slot, which advances at the
 * starts. */
#define UTF8_STORE(CHAR, p, value, o)                 \
    for (int i = 0; i < UTF8_BLOCK; i++) {            \
        *(o) = (CHAR)(value)[i];                      \
        (o) += ((p)[i] & 0xC0) != 0x80;               \
    }

static Py_UCS1 *ucs1_block(const uint8_t *p, Py_UCS1 *o, unsigned *sum, unsigned *bad) {
    uint16_t value[UTF8_BLOCK];
    *bad |= utf8_values16(p, 0xFF, value, sum);
    UTF8_STORE(Py_UCS1, p, value, o)
    return o;
}

static Py_UCS2 *ucs2_block(const uint8_t *p, Py_UCS2 *o, unsigned *sum, unsigned *bad) {
    uint16_t value[UTF8_BLOCK];
    *bad |= utf8_values16(p, 0xFFFF, value, sum);
    UTF8_STORE(Py_UCS2, p, value, o)
    return o;
}

static Py_UCS4 *ucs4_block(const uint8_t *p, Py_UCS4 *o, unsigned *sum, unsigned *bad) {
    uint32_t value[UTF8_BLOCK];
    *bad |= utf8_values32(p, value, sum);
    UTF8_STORE(Py_UCS4, p, value, o)
    return o;
}

/* Writes the characters of s[0:n] to out and returns how many, or -1 for
 * invalid UTF-8 or a character wider than the kind (out then holds
 * garbage).  All-ASCII blocks are widened as they are.  The last bytes are
 * decoded from a zero-padded copy into a scratch array: a sequence cut by
 * the end fails its continuation check, and each padding byte is a NUL
 * character of length 1, taken off the sum and the count. */
#define UTF8_FILL_KIND(NAME, CHAR)                                                              \
    static Py_ssize_t NAME##_fill(const uint8_t *s, size_t n, CHAR *out) {                      \
        CHAR *o = out;                                                                          \
        size_t at = 0, covered = 0;                                                             \
        unsigned bad = 0, sum;                                                                  \
        for (; n >= UTF8_BLOCK + 3 && at <= n - UTF8_BLOCK - 3; at += UTF8_BLOCK) {             \
            uint64_t word[UTF8_BLOCK / 8], any = 0;                                             \
            memcpy(word, s + at, UTF8_BLOCK);                                                   \
            for (int k = 0; k < UTF8_BLOCK / 8; k++) any |= word[k];                            \
            if ((any & 0x8080808080808080ull) == 0) { /* ASCII */                               \
                for (int k = 0; k < UTF8_BLOCK; k++) o[k] = (CHAR)s[at + k];                    \
                o += UTF8_BLOCK;                                                                \
                covered += UTF8_BLOCK;                                                          \
                continue;                                                                       \
            }                                                                                   \
            sum = 0;                                                                            \
            o = NAME##_block(s + at, o, &sum, &bad);                                            \
            covered += sum;                                                                     \
        }                                                                                       \
        uint8_t tail[2 * UTF8_BLOCK + 8] = {0};                                                 \
        CHAR chars[2 * UTF8_BLOCK + 1], *t = chars;                                             \
        size_t rest = n - at, blocks = (rest + UTF8_BLOCK - 1) / UTF8_BLOCK;                    \
        memcpy(tail, s + at, rest);                                                             \
        sum = 0;                                                                                \
        for (size_t k = 0; k < blocks; k++) t = NAME##_block(tail + k * UTF8_BLOCK, t, &sum, &bad); \
        size_t pad = blocks * UTF8_BLOCK - rest, got = (size_t)(t - chars);                     \
        if (bad || got < pad || covered + sum != n + pad) return -1;                            \
        memcpy(o, chars, (got - pad) * sizeof(CHAR));                                           \
        return (o - out) + (Py_ssize_t)(got - pad);                                             \
    }
UTF8_FILL_KIND(ucs1, Py_UCS1)
UTF8_FILL_KIND(ucs2, Py_UCS2)
UTF8_FILL_KIND(ucs4, Py_UCS4)

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define UTF8_AVX2 1
/* UCS2 and UCS4 32 bytes at a time with AVX2, when the CPU has it: the
 * portable store loop above costs a cycle or two per byte.  The checks are
 * made on the 32 bytes at once; the values are computed as in
 * utf8_values16/32, in 16- or 32-bit lanes, and the starts' values are
 * gathered to the front of each group of 8 lanes with a shuffle from a
 * table (for mask m, the lanes of m's set bits in order), made once at
 * import and only read afterwards. */
static uint8_t utf8_gather16[256][16]; /* pshufb control, 16-bit lanes */
static uint32_t utf8_gather32[256][8]; /* vpermd indices, 32-bit lanes */
static int utf8_use_avx2;

static void utf8_avx2_init(void) {
    __builtin_cpu_init();
    utf8_use_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    for (int m = 0; m < 256; m++) {
        int k = 0;
        for (int j = 0; j < 8; j++)
            if (m >> j & 1) {
                utf8_gather16[m][2 * k] = (uint8_t)(2 * j);
                utf8_gather16[m][2 * k + 1] = (uint8_t)(2 * j + 1);
                utf8_gather32[m][k++] = (uint32_t)j;
            }
        for (; k < 8; k++) {
            utf8_gather16[m][2 * k] = utf8_gather16[m][2 * k + 1] = 0x80; /* zero */
            utf8_gather32[m][k] = 0;
        }
    }
}

#define UTF8_AVX2_TARGET __attribute__((target("avx2,popcnt")))

/* x >= k for unsigned bytes. */
UTF8_AVX2_TARGET static inline __m256i utf8_ge(__m256i x, uint8_t k) {
    __m256i kk = _mm256_set1_epi8((char)k);
    return _mm256_cmpeq_epi8(_mm256_max_epu8(x, kk), x);
}

/* The checks of the sequences starting in the 32 bytes x0 (x1, x2, x3: the
 * same shifted by 1, 2, 3 bytes), as utf8_values16/32 make them; ORs the
 * invalid starts into *bad, adds the starts' lengths to *sum (64-bit
 * lanes) and returns the mask of the bytes that start no sequence. */
UTF8_AVX2_TARGET static inline __m256i utf8_check(__m256i x0, __m256i x1, __m256i x2, __m256i x3, int four_ok,
                                                  __m256i *bad, __m256i *sum) {
    const __m256i xc0 = _mm256_set1_epi8((char)0xC0), x80 = _mm256_set1_epi8((char)0x80);
    __m256i inside = _mm256_cmpeq_epi8(_mm256_and_si256(x0, xc0), x80);
    __m256i two = utf8_ge(x0, 0xC0), three = utf8_ge(x0, 0xE0), four = utf8_ge(x0, 0xF0);
    __m256i cont1 = _mm256_cmpeq_epi8(_mm256_and_si256(x1, xc0), x80);
    __m256i cont2 = _mm256_cmpeq_epi8(_mm256_and_si256(x2, xc0), x80);
    __m256i wrong = _mm256_or_si256(_mm256_andnot_si256(cont1, two), _mm256_andnot_si256(cont2, three));
    wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(utf8_ge(x0, 0xC2), two)); /* C0, C1: overlong */
    __m256i x1_a0 = utf8_ge(x1, 0xA0);
    wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(x1_a0, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xE0))));
    wrong = _mm256_or_si256(wrong, _mm256_and_si256(x1_a0, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xED))));
    __m256i len = _mm256_sub_epi8(_mm256_sub_epi8(_mm256_set1_epi8(1), two), three);
    if (four_ok) {
        __m256i cont3 = _mm256_cmpeq_epi8(_mm256_and_si256(x3, xc0), x80), x1_90 = utf8_ge(x1, 0x90);
        wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(cont3, four));
        wrong = _mm256_or_si256(wrong, utf8_ge(x0, 0xF5));
        wrong = _mm256_or_si256(wrong, _mm256_andnot_si256(x1_90, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xF0))));
        wrong = _mm256_or_si256(wrong, _mm256_and_si256(x1_90, _mm256_cmpeq_epi8(x0, _mm256_set1_epi8((char)0xF4))));
        len = _mm256_sub_epi8(len, four);
    } else {
        wrong = _mm256_or_si256(wrong, four);
    }
    *bad = _mm256_or_si256(*bad, _mm256_andnot_si256(inside, wrong));
    *sum = _mm256_add_epi64(*sum, _mm256_sad_epu8(_mm256_andnot_si256(inside, len), _mm256_setzero_si256()));
    return inside;
}

UTF8_AVX2_TARGET static inline __m256i utf8_load(const uint8_t *p) {
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* The 16 UCS2 values of the sequences starting at the 16 bytes c (d1, d2:
 * the next bytes), in 16-bit lanes. */
UTF8_AVX2_TARGET static inline __m256i ucs2_values(__m128i c8, __m128i d1_8, __m128i d2_8) {
    __m256i c = _mm256_cvtepu8_epi16(c8), d1 = _mm256_cvtepu8_epi16(d1_8), d2 = _mm256_cvtepu8_epi16(d2_8);
    const __m256i x3f = _mm256_set1_epi16(0x3F);
    __m256i v2 = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(c, _mm256_set1_epi16(0x1F)), 6),
                                 _mm256_and_si256(d1, x3f));
    __m256i v3 = _mm256_or_si256(_mm256_slli_epi16(v2, 6), _mm256_and_si256(d2, x3f)); /* E0-EF: bit 4 is 0 */
    __m256i v = _mm256_blendv_epi8(c, v2, _mm256_cmpgt_epi16(c, _mm256_set1_epi16(0xBF)));
    return _mm256_blendv_epi8(v, v3, _mm256_cmpgt_epi16(c, _mm256_set1_epi16(0xDF)));
}

/* The 8 UCS4 values of the sequences starting at the low 8 bytes of c. */
UTF8_AVX2_TARGET static inline __m256i ucs4_values(__m128i c8, __m128i d1_8, __m128i d2_8, __m128i d3_8) {
    const __m256i x3f = _mm256_set1_epi32(0x3F);
    __m256i c = _mm256_cvtepu8_epi32(c8);
    __m256i e1 = _mm256_and_si256(_mm256_cvtepu8_epi32(d1_8), x3f);
    __m256i e2 = _mm256_and_si256(_mm256_cvtepu8_epi32(d2_8), x3f);
    __m256i e3 = _mm256_and_si256(_mm256_cvtepu8_epi32(d3_8), x3f);
    __m256i v2 = _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x1F)), 6), e1);
    __m256i v3 = _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x0F)), 12),
                                 _mm256_or_si256(_mm256_slli_epi32(e1, 6), e2));
    __m256i v4 = _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(c, _mm256_set1_epi32(0x07)), 18),
                                 _mm256_or_si256(_mm256_slli_epi32(e1, 12), _mm256_or_si256(_mm256_slli_epi32(e2, 6), e3)));
    __m256i v = _mm256_blendv_epi8(c, v2, _mm256_cmpgt_epi32(c, _mm256_set1_epi32(0xBF)));
    v = _mm256_blendv_epi8(v, v3, _mm256_cmpgt_epi32(c, _mm256_set1_epi32(0xDF)));
    return _mm256_blendv_epi8(v, v4, _mm256_cmpgt_epi32(c, _mm256_set1_epi32(0xEF)));
}

/* Stores the 8 16-bit lanes of v set in mask m at o; returns o past them. */
UTF8_AVX2_TARGET static inline Py_UCS2 *ucs2_gather(__m128i v, unsigned m, Py_UCS2 *o) {
    __m128i ctl = _mm_loadu_si128((const __m128i *)(const void *)utf8_gather16[m]);
    _mm_storeu_si128((__m128i *)(void *)o, _mm_shuffle_epi8(v, ctl));
    return o + __builtin_popcount(m);
}

UTF8_AVX2_TARGET static inline Py_UCS4 *ucs4_gather(__m256i v, unsigned m, Py_UCS4 *o) {
    __m256i idx = _mm256_loadu_si256((const __m256i *)(const void *)utf8_gather32[m]);
    _mm256_storeu_si256((__m256i *)(void *)o, _mm256_permutevar8x32_epi32(v, idx));
    return o + __builtin_popcount(m);
}

/* ucs2_fill and ucs4_fill with AVX2 while 35 bytes are left to read and 32
 * slots to write (each group of 8 stores 8 lanes), then the portable fill
 * from the next start (skipping the continuation bytes of the last
 * sequence, checked here).  ASCII runs of 32 are widened as they are. */
#define UTF8_AVX2_FILL(NAME, CHAR, FOUR)                                                                      \
    UTF8_AVX2_TARGET static Py_ssize_t NAME##_fill_avx2(const uint8_t *s, size_t n, CHAR *out, size_t cap) {   \
        CHAR *o = out, *o_end = out + cap;                                                                    \
        size_t at = 0, ascii = 0;                                                                             \
        __m256i bad = _mm256_setzero_si256(), sum = _mm256_setzero_si256();                                   \
        for (; n >= 35 && at <= n - 35 && o_end - o >= 32; at += 32) {                                        \
            __m256i x0 = utf8_load(s + at);                                                                   \
            if (_mm256_movemask_epi8(x0) == 0) {                                                              \
                NAME##_ascii(x0, o);                                                                          \
                o += 32;                                                                                      \
                ascii += 32;                                                                                  \
                continue;                                                                                     \
            }                                                                                                 \
            __m256i x1 = utf8_load(s + at + 1), x2 = utf8_load(s + at + 2), x3 = utf8_load(s + at + 3);       \
            unsigned starts = ~(unsigned)_mm256_movemask_epi8(utf8_check(x0, x1, x2, x3, FOUR, &bad, &sum));  \
            NAME##_group(s + at, starts, &o);                                                                 \
        }                                                                                                     \
        if (!_mm256_testz_si256(bad, bad)) return -1;                                                         \
        size_t skip = 0;                                                                                      \
        while (skip < 3 && at + skip < n && (s[at + skip] & 0xC0) == 0x80) skip++;                            \
        uint64_t lanes[4];                                                                                    \
        _mm256_storeu_si256((__m256i *)(void *)lanes, sum);                                                   \
        if (ascii + lanes[0] + lanes[1] + lanes[2] + lanes[3] != at + skip) return -1; /* orphan */           \
        Py_ssize_t rest = NAME##_fill(s + at + skip, n - at - skip, o);                                       \
        return rest < 0 ? -1 : (o - out) + rest;                                                              \
    }

/* The 32 ASCII bytes x widened to o. */
UTF8_AVX2_TARGET static inline void ucs1_ascii(__m256i x, Py_UCS1 *o) { _mm256_storeu_si256((__m256i *)(void *)o, x); }

UTF8_AVX2_TARGET static inline void ucs2_ascii(__m256i x, Py_UCS2 *o) {
    _mm256_storeu_si256((__m256i *)(void *)o, _mm256_cvtepu8_epi16(_mm256_castsi256_si128(x)));
    _mm256_storeu_si256((__m256i *)(void *)(o + 16), _mm256_cvtepu8_epi16(_mm256_extracti128_si256(x, 1)));
}

UTF8_AVX2_TARGET static inline void ucs4_ascii(__m256i x, Py_UCS4 *o) {
    __m128i lo = _mm256_castsi256_si128(x), hi = _mm256_extracti128_si256(x, 1);
    _mm256_storeu_si256((__m256i *)(void *)o, _mm256_cvtepu8_epi32(lo));
    _mm256_storeu_si256((__m256i *)(void *)(o + 8), _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
    _mm256_storeu_si256((__m256i *)(void *)(o + 16), _mm256_cvtepu8_epi32(hi));
    _mm256_storeu_si256((__m256i *)(void *)(o + 24), _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
}

/* UCS1: the UCS2 values (the scan found no lead above C3, so each is at
 * most 0xFF) gathered and narrowed to bytes. */
UTF8_AVX2_TARGET static inline void ucs1_group(const uint8_t *p, unsigned starts, Py_UCS1 **o) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *q = p + 16 * h;
        __m256i v = ucs2_values(_mm_loadu_si128((const __m128i *)(const void *)q),
                                _mm_loadu_si128((const __m128i *)(const void *)(q + 1)),
                                _mm_loadu_si128((const __m128i *)(const void *)(q + 2)));
        for (int g = 0; g < 2; g++) {
            unsigned m = (starts >> (16 * h + 8 * g)) & 0xFF;
            __m128i half = g ? _mm256_extracti128_si256(v, 1) : _mm256_castsi256_si128(v);
            __m128i ctl = _mm_loadu_si128((const __m128i *)(const void *)utf8_gather16[m]);
            __m128i packed = _mm_packus_epi16(_mm_shuffle_epi8(half, ctl), _mm_setzero_si128());
            _mm_storel_epi64((__m128i *)(void *)*o, packed);
            *o += __builtin_popcount(m);
        }
    }
}

UTF8_AVX2_TARGET static inline void ucs2_group(const uint8_t *p, unsigned starts, Py_UCS2 **o) {
    for (int h = 0; h < 2; h++) {
        const uint8_t *q = p + 16 * h;
        __m256i v = ucs2_values(_mm_loadu_si128((const __m128i *)(const void *)q),
                                _mm_loadu_si128((const __m128i *)(const void *)(q + 1)),
                                _mm_loadu_si128((const __m128i *)(const void *)(q + 2)));
        unsigned m = starts >> (16 * h);
        *o = ucs2_gather(_mm256_castsi256_si128(v), m & 0xFF, *o);
        *o = ucs2_gather(_mm256_extracti128_si256(v, 1), (m >> 8) & 0xFF, *o);
    }
}

UTF8_AVX2_TARGET static inline void ucs4_group(const uint8_t *p, unsigned starts, Py_UCS4 **o) {
    for (int q = 0; q < 4; q++) {
        const uint8_t *b = p + 8 * q;
        __m256i v = ucs4_values(_mm_loadl_epi64((const __m128i *)(const void *)b),
                                _mm_loadl_epi64((const __m128i *)(const void *)(b + 1)),
                                _mm_loadl_epi64((const __m128i *)(const void *)(b + 2)),
                                _mm_loadl_epi64((const __m128i *)(const void *)(b + 3)));
        *o = ucs4_gather(v, (starts >> (8 * q)) & 0xFF, *o);
    }
}

/* utf8_scan with AVX2. */
UTF8_AVX2_TARGET static size_t utf8_scan_avx2(const uint8_t *s, size_t n, unsigned *max_byte) {
    const __m256i last_cont = _mm256_set1_epi8((char)0xBF);
    __m256i top = _mm256_setzero_si256();
    size_t starts = 0, i = 0;
    for (; n >= 32 && i <= n - 32; i += 32) {
        __m256i x = utf8_load(s + i);
        top = _mm256_max_epu8(top, x);
        starts += (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi8(x, last_cont)));
    }
    uint8_t lanes[32], m = 0;
    _mm256_storeu_si256((__m256i *)(void *)lanes, top);
    for (int k = 0; k < 32; k++) m = lanes[k] > m ? lanes[k] : m;
    unsigned rest_top;
    starts += utf8_scan(s + i, n - i, &rest_top);
    *max_byte = rest_top > m ? rest_top : m;
    return starts;
}

UTF8_AVX2_FILL(ucs1, Py_UCS1, 0)
UTF8_AVX2_FILL(ucs2, Py_UCS2, 0)
UTF8_AVX2_FILL(ucs4, Py_UCS4, 1)
#endif

/* The str of valid UTF-8 s[0:n] in canonical form, or NULL with no
 * exception set when s is not valid UTF-8 or there is no AVX2 (NULL with
 * an exception: out of memory).  Without AVX2 the portable fill is no
 * faster than CPython's decoder, so it runs only when tests ask for it
 * (portable). */
static PyObject *utf8_to_str_fast(const uint8_t *s, size_t n, int portable) {
    int simd = 0;
#ifdef UTF8_AVX2
    simd = utf8_use_avx2 && !portable;
#endif
    if (!simd && !portable) return NULL;
    unsigned top;
    size_t chars;
#ifdef UTF8_AVX2
    if (simd) chars = utf8_scan_avx2(s, n, &top);
    else
#endif
        chars = utf8_scan(s, n, &top);
    if (chars <= 1) return NULL; /* CPython's decoder returns its cached "" and 1-character strs */
    Py_UCS4 maxchar = top < 0x80 ? 0x7F : top < 0xC4 ? 0xFF : top < 0xF0 ? 0xFFFF : 0x10FFFF;
    PyObject *str = PyUnicode_New((Py_ssize_t)chars, maxchar);
    if (str == NULL) return NULL;
    if (top < 0x80) { /* ASCII: n == chars */
        memcpy(PyUnicode_1BYTE_DATA(str), s, n);
        return str;
    }
    Py_ssize_t got;
    void *data = PyUnicode_DATA(str);
#ifdef UTF8_AVX2
    if (simd)
        got = maxchar == 0xFF     ? ucs1_fill_avx2(s, n, data, chars)
            : maxchar == 0xFFFF ? ucs2_fill_avx2(s, n, data, chars)
                                : ucs4_fill_avx2(s, n, data, chars);
    else
#endif
        got = maxchar == 0xFF     ? ucs1_fill(s, n, data)
            : maxchar == 0xFFFF ? ucs2_fill(s, n, data)
                                : ucs4_fill(s, n, data);
    if (got == (Py_ssize_t)chars) {
        PyUnicode_WRITE(PyUnicode_KIND(str), data, got, 0); /* the slot past the end */
        return str;
    }
    Py_DECREF(str); /* invalid UTF-8 (a count that differs is one too) */
    return NULL;
}

/* The UTF-8 of an errors argument as str() and bytes.decode() would take
 * it, or NULL with no exception set when they would raise (not a str,
 * embedded NUL, unencodable): the caller then takes the plain path, which
 * raises their exact exception. */
static const char *errors_name(PyObject *errors) {
    if (!PyUnicode_Check(errors)) return NULL;
    Py_ssize_t size;
    const char *name = PyUnicode_AsUTF8AndSize(errors, &size);
    if (name == NULL || strlen(name) != (size_t)size) {
        PyErr_Clear();
        return NULL;
    }
    return name;
}

/* str(s[0:n], "utf-8", errors) given a valid errors name. */
static PyObject *utf8_to_str(const uint8_t *s, size_t n, const char *errors, int portable) {
    PyObject *str = utf8_to_str_fast(s, n, portable);
    if (str != NULL || PyErr_Occurred()) return str;
    return PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, errors);
}

PyDoc_STRVAR(utf8_str_doc,
             "utf8_str(data, errors, portable=False) -> str | None: str(data, \"utf-8\", errors) for a buffer\n"
             "data, built in its final size and kind; None when errors is not a str without NUL (the caller\n"
             "then calls str() itself, which raises as it should).  portable: no SIMD path (for tests).");

static PyObject *utf8_str(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 && nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "utf8_str() takes data, errors and portable");
        return NULL;
    }
    int portable = nargs == 3 ? PyObject_IsTrue(args[2]) : 0;
    if (portable < 0) return NULL;
    const char *errors = errors_name(args[1]);
    if (errors == NULL) Py_RETURN_NONE;
    Py_buffer data;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *str = utf8_to_str(data.buf, (size_t)data.len, errors, portable);
    PyBuffer_Release(&data);
    return str;
}

PyDoc_STRVAR(split_text_doc,
             "split_text(text, offsets, count, as_str, errors='strict') -> list | None:\n"
             "text[offsets[i]:offsets[i + 1]] for each of count texts (offsets: count + 1 size_t values),\n"
             "as bytes or as str (UTF-8, invalid bytes handled by errors, each str made as utf8_str makes\n"
             "it).  None when errors is not a str without NUL.");

static PyObject *split_text(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 4 && nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "split_text() takes text, offsets, count, as_str and errors");
        return NULL;
    }
    Py_ssize_t count;
    int as_str = PyObject_IsTrue(args[3]);
    if (as_str < 0 || read_count(args[2], &count) < 0) return NULL;
    const char *errors = nargs == 5 ? errors_name(args[4]) : "strict";
    if (errors == NULL) Py_RETURN_NONE;
    Py_buffer text, offsets;
    if (get_cut_buffers(args[0], args[1], count, 1, &text, &offsets) < 0) return NULL;
    const size_t *off = offsets.buf;
    PyObject *out = PyList_New(count);
    if (out == NULL) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        const char *s = (const char *)text.buf + off[i];
        Py_ssize_t n = (Py_ssize_t)(off[i + 1] - off[i]);
        PyObject *item = as_str ? utf8_to_str((const uint8_t *)s, (size_t)n, errors, 0) : PyBytes_FromStringAndSize(s, n);
        if (item == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, item);
    }
done:
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&text);
    return out;
}

/* UTF-8 size and writer for each str storage kind (1, 2 or 4 bytes per
 * character); the size pass is branch-free so that the compiler can
 * vectorize it, and flags surrogates, which UTF-8 cannot encode. */
#define UTF8_KIND(NAME, CHAR)                                                            \
    static size_t NAME##_size(const CHAR *p, Py_ssize_t n, int *surrogate) {            \
        size_t size = 0;                                                                 \
        unsigned bad = 0;                                                                \
        for (Py_ssize_t i = 0; i < n; i++) {                                             \
            uint32_t c = p[i];                                                           \
            size += 1 + (c >= 0x80) + (c >= 0x800) + (c >= 0x10000);                     \
            bad |= (c - 0xD800u) < 0x800u;                                               \
        }                                                                                \
        *surrogate = (int)bad;                                                           \
        return size;                                                                     \
    }                                                                                    \
    static char *NAME##_write(const CHAR *p, Py_ssize_t n, char *out) {                 \
        for (Py_ssize_t i = 0; i < n; i++) {                                             \
            uint32_t c = p[i];                                                           \
            if (c < 0x80) {                                                              \
                *out++ = (char)c;                                                        \
            } else if (c < 0x800) {                                                      \
                *out++ = (char)(0xC0 | (c >> 6));                                        \
                *out++ = (char)(0x80 | (c & 0x3F));                                      \
            } else if (c < 0x10000) {                                                    \
                *out++ = (char)(0xE0 | (c >> 12));                                       \
                *out++ = (char)(0x80 | ((c >> 6) & 0x3F));                               \
                *out++ = (char)(0x80 | (c & 0x3F));                                      \
            } else {                                                                     \
                *out++ = (char)(0xF0 | (c >> 18));                                       \
                *out++ = (char)(0x80 | ((c >> 12) & 0x3F));                              \
                *out++ = (char)(0x80 | ((c >> 6) & 0x3F));                               \
                *out++ = (char)(0x80 | (c & 0x3F));                                      \
            }                                                                            \
        }                                                                                \
        return out;                                                                      \
    }
UTF8_KIND(ucs1, Py_UCS1)
UTF8_KIND(ucs2, Py_UCS2)
UTF8_KIND(ucs4, Py_UCS4)

/* UTF-8 size of a str, or -1 with the standard UnicodeEncodeError set when
 * it holds a surrogate. */
static Py_ssize_t utf8_size(PyObject *s) {
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(s) < 0) return -1;
#endif
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (PyUnicode_IS_ASCII(s)) return n;
    int surrogate = 0;
    size_t size;
    switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND: size = ucs1_size(PyUnicode_1BYTE_DATA(s), n, &surrogate); break;
    case PyUnicode_2BYTE_KIND: size = ucs2_size(PyUnicode_2BYTE_DATA(s), n, &surrogate); break;
    default: size = ucs4_size(PyUnicode_4BYTE_DATA(s), n, &surrogate); break;
    }
    if (surrogate) {
        PyObject *encoded = PyUnicode_AsUTF8String(s);
        Py_XDECREF(encoded);
        if (encoded != NULL) PyErr_SetString(PyExc_UnicodeError, "surrogate in str");
        return -1;
    }
    return (Py_ssize_t)size; /* at most 4 bytes per character of a str that fits in memory */
}

static char *write_utf8(PyObject *s, char *out) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (PyUnicode_IS_ASCII(s)) {
        memcpy(out, PyUnicode_DATA(s), (size_t)n);
        return out + n;
    }
    switch (PyUnicode_KIND(s)) {
    case PyUnicode_1BYTE_KIND: return ucs1_write(PyUnicode_1BYTE_DATA(s), n, out);
    case PyUnicode_2BYTE_KIND: return ucs2_write(PyUnicode_2BYTE_DATA(s), n, out);
    default: return ucs4_write(PyUnicode_4BYTE_DATA(s), n, out);
    }
}

PyDoc_STRVAR(concat_doc,
             "concat(texts, first, limit) -> (blob, starts, end): texts[first:end] (str or bytes) as one\n"
             "bytes blob, str in UTF-8, and where each starts in it, as size_t[end - first + 1] in a\n"
             "bytes object.  end is the first index at which the blob holds limit bytes or more, or\n"
             "len(texts).  TypeError for another item type, UnicodeEncodeError for a str with a surrogate.");

static PyObject *concat(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 3 || !PyList_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "concat() takes a list, a first index and a byte limit");
        return NULL;
    }
    PyObject *texts = args[0];
    Py_ssize_t count = PyList_GET_SIZE(texts);
    Py_ssize_t first = PyLong_AsSsize_t(args[1]);
    if (first == -1 && PyErr_Occurred()) return NULL;
    size_t limit = PyLong_AsSize_t(args[2]);
    if (limit == (size_t)-1 && PyErr_Occurred()) return NULL;
    if (first < 0 || first > count) {
        PyErr_SetString(PyExc_IndexError, "first is out of range");
        return NULL;
    }
    /* Sizes first, to know where to stop.  Nothing below runs Python code,
     * so the list cannot change between the two passes. */
    size_t total = 0;
    Py_ssize_t end = first;
    while (end < count && (total < limit || end == first)) {
        PyObject *item = PyList_GET_ITEM(texts, end);
        Py_ssize_t size;
        if (PyUnicode_Check(item)) {
            size = utf8_size(item);
        } else if (PyBytes_Check(item)) {
            size = PyBytes_GET_SIZE(item);
        } else {
            PyErr_Format(PyExc_TypeError, "Input must be str or bytes, not %.100s", Py_TYPE(item)->tp_name);
            return NULL;
        }
        if (size < 0) return NULL;
        if ((size_t)size > (size_t)PY_SSIZE_T_MAX - total) return PyErr_NoMemory();
        total += (size_t)size;
        end++;
    }
    PyObject *blob, *starts_obj;
    if (new_data_and_starts((Py_ssize_t)total, end - first, &blob, &starts_obj) < 0) return NULL;
    char *base = PyBytes_AS_STRING(blob), *out = base;
    size_t *starts = (size_t *)(void *)PyBytes_AS_STRING(starts_obj);
    for (Py_ssize_t i = first; i < end; i++) {
        PyObject *item = PyList_GET_ITEM(texts, i);
        starts[i - first] = (size_t)(out - base);
        if (PyUnicode_Check(item)) {
            out = write_utf8(item, out);
        } else {
            memcpy(out, PyBytes_AS_STRING(item), (size_t)PyBytes_GET_SIZE(item));
            out += PyBytes_GET_SIZE(item);
        }
    }
    starts[end - first] = (size_t)(out - base);
    return Py_BuildValue("(NNn)", blob, starts_obj, end);
}

static PyMethodDef pylists_methods[] = {
    {"concat", (PyCFunction)(void (*)(void))concat, METH_FASTCALL, concat_doc},
    {"to_list", (PyCFunction)(void (*)(void))to_list, METH_FASTCALL, to_list_doc},
    {"split", (PyCFunction)(void (*)(void))split, METH_FASTCALL, split_doc},
    {"pack", (PyCFunction)(void (*)(void))pack, METH_FASTCALL, pack_doc},
    {"pack_many", (PyCFunction)(void (*)(void))pack_many, METH_FASTCALL, pack_many_doc},
    {"split_text", (PyCFunction)(void (*)(void))split_text, METH_FASTCALL, split_text_doc},
    {"utf8_str", (PyCFunction)(void (*)(void))utf8_str, METH_FASTCALL, utf8_str_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pylists_module = {
    PyModuleDef_HEAD_INIT, "spbpe._core._pylists", "int32 buffers <-> lists of ints for spbpe._core.native.", 0,
    pylists_methods,       NULL,             NULL,                                                NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__pylists(void) {
#ifdef UTF8_AVX2
    utf8_avx2_init();
#endif
    return PyModuleDef_Init(&pylists_module);
}
