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
 * on non-ASCII text (utf8_str.c says how).
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

#include "utf8_str.h"

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
    PyObject *str = sp_utf8_to_str(data.buf, (size_t)data.len, errors, portable);
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
        PyObject *item = as_str ? sp_utf8_to_str((const uint8_t *)s, (size_t)n, errors, 0) : PyBytes_FromStringAndSize(s, n);
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
        size_t size = (size_t)n;                                                         \
        unsigned bad = 0;                                                                \
        /* 32-bit sums per block of 4096 characters (at most 3 each): a sum    */        \
        /* in size_t's 64-bit lanes halved the vectorized loop's width.        */        \
        for (Py_ssize_t i = 0; i < n;) {                                                 \
            Py_ssize_t end = n - i < 4096 ? n : i + 4096;                                \
            uint32_t extra = 0;                                                          \
            for (; i < end; i++) {                                                       \
                uint32_t c = p[i];                                                       \
                extra += (uint32_t)(c >= 0x80) + (c >= 0x800) + (c >= 0x10000);         \
                bad |= (c - 0xD800u) < 0x800u;                                           \
            }                                                                            \
            size += extra;                                                               \
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
    sp_utf8_str_init();
    return PyModuleDef_Init(&pylists_module);
}
