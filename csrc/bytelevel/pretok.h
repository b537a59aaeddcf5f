/*
 * bytelevel/pretok.h - the built-in pre-tokenizers of the byte-level (GPT)
 * family: tiktoken 0.14's split patterns of r50k_base (GPT-2), cl100k_base,
 * o200k_base and Meta's Llama 3, reproduced exactly by hand-written
 * matchers (pretok.c) over the Unicode 16.0 classes of unicode_classes.h.
 *
 * This header is the interface the byte-level encoder codes against; it is
 * only ever extended by adding.
 */
#ifndef SP_PRETOK_H
#define SP_PRETOK_H

#include <stddef.h>
#include <stdint.h>

typedef enum { SP_PRETOK_R50K = 1, SP_PRETOK_CL100K = 2, SP_PRETOK_O200K = 3, SP_PRETOK_LLAMA3 = 4 } sp_pretok_kind;

/* End offset (> pos) of the chunk that starts at byte `pos` of text[0..len), pos < len.
   The four patterns match every character, so chunks tile the text: call again from the returned end.
   Invalid UTF-8 bytes count as one non-letter, non-number, non-space character each. Thread-safe, no allocation. */
size_t sp_pretok_next(sp_pretok_kind kind, const uint8_t *text, size_t len, size_t pos);

/* The plain twin of sp_pretok_next (pretok_plain.c): the same chunks, with
   every character decoded and classified one at a time and no fast path.
   For tests and fuzzers. */
size_t sp_pretok_next_plain(sp_pretok_kind kind, const uint8_t *text, size_t len, size_t pos);

#endif /* SP_PRETOK_H */
