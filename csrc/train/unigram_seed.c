/*
 * unigram_seed.c - the seed vocabulary of unigram training, as
 * sentencepiece 0.2.3's MakeSeedSentencePieces (unigram_model_trainer.cc).
 *
 * All sentences (input order, rare characters already U+2585, a
 * pretokenizer's or pretokenization_delimiter's parts joined by U+001F, as
 * the wheel keeps them) are joined into one code point array, each
 * followed by a NUL boundary, a sentence of frequency f (tsv input) f
 * times over, as the wheel's array holds it (the GitHub source put a tsv
 * sentence in twice, whatever its frequency).  Over
 * it we build the suffix array (prefix doubling with radix sorts:
 * O(n log n), the same order as esaxx's SA-IS since both sort suffixes by
 * code point with the end of the array smallest), the LCP array (Kasai,
 * comparing NULs like any character, as esaxx's PLCP does) and walk the
 * LCP intervals with esaxx's stack, so the internal nodes come out with
 * the same (left, right, depth) in the same order.  The 0.2.3 wheel builds
 * its suffix array over the UTF-8 bytes (libsais), so a code point node is
 * a node there only when its children part at the first byte of the next
 * character; as the suffixes are sorted and first bytes are monotone in
 * the code point, that is: the first and last suffix of the interval have
 * different first bytes there (the end of the array lowest).  Nodes that
 * part only at a later byte (Japanese kana share E3 81/E3 82) are no seeds.
 * A node's piece is its string less a NUL that ends it: a node "T<NUL>"
 * exists where T ends the text and ends other sentences too, or ends
 * sentences followed by different characters (no dummy prefix).  The
 * piece must then hold no NUL, have 2..(max piece) characters and be
 * valid.  The wheel keeps its candidates by string, so "T<NUL>" adds its
 * count to the node "T" when both are candidates ("▁।" ends 53 of the 74
 * Hindi sentences holding it, the last one too: it counts 127), and N
 * copies of one sentence seed each of its suffixes with count N.  A piece
 * scores count x length; the seeds are every character by weighted count
 * (descending, then code point), then the seed_size best pieces by score
 * descending, ties by UTF-8 length descending, then bytes ascending (the
 * wheel's order, read off its seed list; ties by node index, as the GitHub
 * source has them, changed the model with split_digits, on Korean and
 * without dummy prefix), and every score becomes log(score) - log(sum),
 * the sum and its log in double as the 0.2.3 wheel computes them (the
 * GitHub source has both in float).  The wheel cuts a big corpus into
 * chunks; one chunk held 92 MB of text (gutenberg_en.txt four times), and
 * bigger inputs are not checked here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train_internal.h"

int sp_upieces_add(sp_upieces *p, const uint8_t *s, size_t n, float score) {
    if (p->n + 1 >= p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 1024;
        uint32_t *off = realloc(p->off, (nc + 1) * sizeof *off);
        if (!off) return -1;
        p->off = off;
        float *sc = realloc(p->score, nc * sizeof *sc);
        if (!sc) return -1;
        p->score = sc;
        if (p->cap == 0) p->off[0] = 0;
        p->cap = nc;
    }
    if (p->arena_len + n > UINT32_MAX) return -1;
    if (n && sp_reserve_inline((void **)&p->arena, &p->arena_cap, p->arena_len + n, 1)) return -1;
    if (n) memcpy(p->arena + p->arena_len, s, n);
    p->arena_len += n;
    p->score[p->n] = score;
    p->off[++p->n] = (uint32_t)p->arena_len;
    return 0;
}

void sp_upieces_release(sp_upieces *p) {
    free(p->arena);
    free(p->off);
    free(p->score);
    memset(p, 0, sizeof *p);
}

/* -------------------------------------------------------- the text array */

typedef struct sp_cparray {
    uint32_t *a;
    size_t n, cap;
} sp_cparray;

static int cp_push(sp_cparray *c, uint32_t cp) {
    if (sp_reserve_inline((void **)&c->a, &c->cap, c->n + 1, sizeof *c->a)) return -1;
    c->a[c->n++] = cp;
    return 0;
}

static int cp_push_utf8(sp_cparray *c, const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t l;
        uint32_t cp = sp_utf8_decode(s + i, n - i, &l);
        i += l;
        if (cp_push(c, cp)) return -1;
    }
    return 0;
}

/* One sentence (a pretokenizer's or delimiter's U+001F kept), then the
 * boundary. */
static int push_sentence(sp_cparray *c, const uint8_t *s, size_t n) {
    return cp_push_utf8(c, s, n) || cp_push(c, 0) ? -1 : 0;
}

/* ------------------------------------------------------- suffix array */

/* sa = the suffix array of r[0..n), ranks 1..k (0 = past the end). */
static int suffix_array(const uint32_t *r0, size_t n, uint32_t k, uint32_t *sa) {
    uint32_t *rank = malloc(n * sizeof *rank), *tmp = malloc(n * sizeof *tmp), *sa2 = malloc(n * sizeof *sa2);
    size_t cn = (n > k ? n : k) + 2;
    uint32_t *cnt = malloc(cn * sizeof *cnt);
    int st = -1;
    if (!rank || !tmp || !sa2 || !cnt) goto out;
    memcpy(rank, r0, n * sizeof *rank);
    memset(cnt, 0, cn * sizeof *cnt);
    for (size_t i = 0; i < n; i++) cnt[rank[i]]++;
    for (size_t v = 1; v < cn; v++) cnt[v] += cnt[v - 1];
    for (size_t i = n; i-- > 0;) sa[--cnt[rank[i]]] = (uint32_t)i;
    for (size_t h = 1; h < n; h *= 2) {
        /* sa is ordered by the first h characters and rank numbers those
         * classes; order by (rank[i], rank[i + h]), the second key read
         * off the current order (suffixes shorter than h + 1 first). */
        size_t m = 0;
        for (size_t i = n - h; i < n; i++) sa2[m++] = (uint32_t)i;
        for (size_t j = 0; j < n; j++)
            if (sa[j] >= h) sa2[m++] = (uint32_t)(sa[j] - h);
        memset(cnt, 0, cn * sizeof *cnt);
        for (size_t i = 0; i < n; i++) cnt[rank[i]]++;
        for (size_t v = 1; v < cn; v++) cnt[v] += cnt[v - 1];
        for (size_t j = n; j-- > 0;) sa[--cnt[rank[sa2[j]]]] = sa2[j];
        uint32_t r = 1;
        tmp[sa[0]] = 1;
        for (size_t j = 1; j < n; j++) {
            size_t i = sa[j], p = sa[j - 1];
            uint32_t a2 = p + h < n ? rank[p + h] : 0;
            uint32_t b2 = i + h < n ? rank[i + h] : 0;
            if (rank[p] != rank[i] || a2 != b2) r++;
            tmp[i] = r;
        }
        memcpy(rank, tmp, n * sizeof *rank);
        if (r == n) break;
    }
    st = 0;
out:
    free(rank);
    free(tmp);
    free(sa2);
    free(cnt);
    return st;
}

/* ------------------------------------------------------------- seeds */

typedef struct sp_seedcand {
    int64_t score;        /* the count until scored: count x len */
    const uint32_t *s;    /* the piece's code points in the text */
    uint32_t len;         /* ... their number */
    uint32_t nbytes;      /* ... their UTF-8 length */
    uint32_t left;        /* first suffix of the node's interval */
    int trail;            /* from a node ending at a boundary */
} sp_seedcand;

/* The wheel's order: score descending, then UTF-8 length descending, then
 * the UTF-8 bytes ascending (code point order is byte order). */
static int by_score_bytes(const void *pa, const void *pb) {
    const sp_seedcand *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->nbytes != b->nbytes) return a->nbytes > b->nbytes ? -1 : 1;
    for (uint32_t k = 0; k < a->len && k < b->len; k++)
        if (a->s[k] != b->s[k]) return a->s[k] < b->s[k] ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

typedef struct sp_charcount {
    uint32_t cp;
    int64_t count;
} sp_charcount;

static int by_count_cp(const void *pa, const void *pb) {
    const sp_charcount *a = pa, *b = pb;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return (a->cp > b->cp) - (a->cp < b->cp);
}

static int add_utf8_piece(sp_upieces *out, const uint32_t *cps, size_t n, float score) {
    uint8_t buf[4 * 512];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 <= sizeof buf; i++) o += sp_utf8_encode(cps[i], buf + o);
    return sp_upieces_add(out, buf, o, score);
}

/* The wheel counts candidates by string: a node "T<NUL>" (a boundary ends
 * it) counts for "T", and adds to the node "T" when that is a candidate
 * too.  Both intervals start at the same suffix (NUL sorts first), so the
 * twins share (left, len). */
static int by_left_len(const void *pa, const void *pb) {
    const sp_seedcand *a = pa, *b = pb;
    if (a->left != b->left) return a->left < b->left ? -1 : 1;
    if (a->len != b->len) return a->len < b->len ? -1 : 1;
    return a->trail - b->trail;
}

static void merge_twins(sp_seedcand *cand, size_t *ncand) {
    size_t m = 0;
    qsort(cand, *ncand, sizeof *cand, by_left_len);
    for (size_t j = 0; j < *ncand; j++) {
        if (m && cand[m - 1].left == cand[j].left && cand[m - 1].len == cand[j].len) {
            cand[m - 1].score += cand[j].score;
            continue;
        }
        cand[m++] = cand[j];
    }
    *ncand = m;
}

static size_t utf8_len(uint32_t cp) {
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* The first UTF-8 byte of cp (monotone in cp, as the suffix order needs). */
static int lead_byte(uint32_t cp) {
    if (cp < 0x80) return (int)cp;
    if (cp < 0x800) return (int)(0xC0 | (cp >> 6));
    if (cp < 0x10000) return (int)(0xE0 | (cp >> 12));
    return (int)(0xF0 | (cp >> 18));
}

int sp_uni_seeds(const spbpe_trainer *t, const sp_sentlist *sents, sp_upieces *out, spbpe_error *err) {
    sp_cparray c = {0};
    uint32_t *map = NULL, *r = NULL, *sa = NULL, *lcp = NULL, *inv = NULL;
    int64_t *charcnt = NULL;
    sp_charcount *chars = NULL;
    sp_seedcand *cand = NULL;
    size_t ncand = 0, cand_cap = 0, ntrail = 0;
    int32_t *stk = NULL;
    int st = SPBPE_OK, too_big = 0;
    memset(out, 0, sizeof *out);
    /* the array, and the weighted character counts (all_chars) */
    map = calloc(0x110000, sizeof *map);
    charcnt = calloc(0x110000, sizeof *charcnt);
    if (!map || !charcnt) goto oom;
    for (size_t i = 0; i < sents->len; i++) {
        const uint8_t *s = sents->arena + sents->off[i];
        size_t n = (size_t)(sents->off[i + 1] - sents->off[i]);
        size_t before = c.n;
        if (push_sentence(&c, s, n)) goto oom;
        for (size_t j = before; j < c.n; j++) {
            uint32_t cp = c.a[j];
            if (cp < 0x110000 && cp != SP_UNK_CHAR && cp != 0) charcnt[cp] += sents->freq[i];
        }
        /* the wheel's array holds a sentence of frequency f (tsv) f times */
        size_t one = c.n - before;
        for (int64_t k = 1; k < sents->freq[i] && !too_big; k++) {
            too_big = c.n + one >= 0x7FFFFFFFu;
            if (!too_big && push_sentence(&c, s, n)) goto oom;
        }
        if (too_big) break;
    }
    size_t n = c.n;
    if (n == 0 || too_big || n >= 0x7FFFFFFFu) {
        st = sp_fail(err, SPBPE_ERR_LIMIT, 0, "Input corpus too large or empty for the suffix array (%zu)", n);
        goto done;
    }
    /* characters first */
    size_t nchars = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        if (charcnt[cp] > 0) nchars++;
    chars = malloc((nchars + 1) * sizeof *chars);
    if (!chars) goto oom;
    nchars = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        if (charcnt[cp] > 0) chars[nchars++] = (sp_charcount){cp, charcnt[cp]};
    qsort(chars, nchars, sizeof *chars, by_count_cp);
    for (size_t i = 0; i < nchars; i++)
        if (add_utf8_piece(out, &chars[i].cp, 1, (float)chars[i].count)) goto oom;
    free(charcnt);
    charcnt = NULL;
    /* dense ranks 1..k of the code points */
    for (size_t i = 0; i < n; i++) map[c.a[i] < 0x110000 ? c.a[i] : 0] = 1;
    uint32_t k = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++)
        if (map[cp]) map[cp] = ++k;
    r = malloc(n * sizeof *r);
    sa = malloc(n * sizeof *sa);
    if (!r || !sa) goto oom;
    for (size_t i = 0; i < n; i++) r[i] = map[c.a[i] < 0x110000 ? c.a[i] : 0];
    free(map);
    map = NULL;
    if (suffix_array(r, n, k, sa)) goto oom;
    /* LCP with the previous suffix (Kasai); lcp[0] = -1 as esaxx's H[0] */
    inv = malloc(n * sizeof *inv);
    lcp = malloc(n * sizeof *lcp);
    if (!inv || !lcp) goto oom;
    for (size_t i = 0; i < n; i++) inv[sa[i]] = (uint32_t)i;
    size_t h = 0;
    for (size_t i = 0; i < n; i++) {
        if (inv[i] == 0) {
            h = 0;
            continue;
        }
        size_t j = sa[inv[i] - 1];
        while (i + h < n && j + h < n && r[i + h] == r[j + h]) h++;
        lcp[inv[i]] = (uint32_t)h;
        if (h > 0) h--;
    }
    free(inv);
    inv = NULL;
    /* esaxx's walk over the LCP intervals: (first, depth) pairs */
    stk = malloc((2 * n + 4) * sizeof *stk);
    if (!stk) goto oom;
    size_t top = 0;
    stk[0] = -1;
    stk[1] = -1;
    top = 1;
    uint8_t *bmp = malloc(0x10000);
    sp_valid_opts vo = t->valid;
    if (bmp) sp_script_fill_bmp(bmp);
    vo.bmp_script = bmp;
    for (size_t i = 0;; i++) {
        int64_t cur_first = (int64_t)i, cur_depth = i == n ? -1 : (i == 0 ? -1 : (int64_t)lcp[i]);
        while (stk[2 * (top - 1) + 1] > cur_depth) {
            int64_t cf = stk[2 * (top - 1)], cd = stk[2 * (top - 1) + 1];
            if ((int64_t)i - cf > 1) {
                /* internal node (cf, i, cd); a boundary may end it (the
                 * piece is then the string before it) but not be inside */
                size_t offset = sa[cf], depth = (size_t)cd;
                const uint32_t *b = c.a + offset;
                size_t len = depth && b[depth - 1] == 0 ? depth - 1 : depth;
                if (len > 1 && len <= (size_t)vo.max_piece_chars) {
                    size_t z = 0;
                    while (z < len && b[z] != 0) z++;
                    /* the wheel's suffix array is over UTF-8 bytes: a node
                     * is one only where its children part at the first byte
                     * of the next character (sorted: first vs last suffix) */
                    size_t p0 = sa[cf] + depth, p1 = sa[i - 1] + depth;
                    int branches = (p0 < n ? lead_byte(c.a[p0]) : -1) != (p1 < n ? lead_byte(c.a[p1]) : -1);
                    if (z == len && branches && sp_piece_valid(&vo, b, len)) {
                        if (sp_reserve_inline((void **)&cand, &cand_cap, ncand + 1, sizeof *cand)) {
                            free(bmp);
                            goto oom;
                        }
                        size_t nb = 0;
                        for (size_t q = 0; q < len; q++) nb += utf8_len(b[q]);
                        cand[ncand++] = (sp_seedcand){(int64_t)i - cf, b, (uint32_t)len, (uint32_t)nb,
                                                      (uint32_t)cf, len != depth};
                        ntrail += len != depth;
                    }
                }
            }
            cur_first = cf;
            top--;
        }
        if (stk[2 * (top - 1) + 1] < cur_depth) {
            stk[2 * top] = (int32_t)cur_first;
            stk[2 * top + 1] = (int32_t)cur_depth;
            top++;
        }
        if (i == n) break;
        stk[2 * top] = (int32_t)i;
        stk[2 * top + 1] = (int32_t)(n - sa[i] + 1);
        top++;
    }
    free(bmp);
    if (ntrail) merge_twins(cand, &ncand);
    for (size_t j = 0; j < ncand; j++) cand[j].score = (int64_t)(int32_t)cand[j].score * (int32_t)cand[j].len;
    qsort(cand, ncand, sizeof *cand, by_score_bytes);
    size_t take = ncand < (size_t)t->seed_size ? ncand : (size_t)t->seed_size;
    for (size_t i = 0; i < take; i++)
        if (add_utf8_piece(out, cand[i].s, cand[i].len, (float)cand[i].score)) goto oom;
    /* ToLogProb, as the 0.2.3 wheel: the sum and its log in double (the
     * GitHub source rounds both to float, which moves a tenth of the final
     * scores by 1-3 ulps) */
    double sum = 0.0;
    for (size_t i = 0; i < out->n; i++) sum += (double)out->score[i];
    const double logsum = log(sum);
    for (size_t i = 0; i < out->n; i++) out->score[i] = (float)(log((double)out->score[i]) - logsum);
    goto done;
oom:
    st = sp_fail(err, SPBPE_ERR_NOMEM, 0, "out of memory making seed pieces");
    sp_upieces_release(out);
done:
    free(c.a);
    free(map);
    free(charcnt);
    free(chars);
    free(r);
    free(sa);
    free(lcp);
    free(inv);
    free(cand);
    free(stk);
    return st;
}
