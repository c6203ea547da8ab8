/*
 * Go 1.27's compress/flate at level 9 (BestCompression), in C: the same DEFLATE bytes as Go by
 * construction, with Go's own state (hashHead/hashPrev chains, the token block and its
 * histograms, the bit writer's table reuse).  Module butane_py._go._flate, one function:
 *
 *     deflate(data) -> bytes   what flate.NewWriter(w, 9) writes for one Write(data) and Close()
 *
 * butane_py/_go/flate.py wraps it in gzip and falls back to its pure-Python port when this
 * module cannot be imported.  Sections follow the Go files (GOROOT/src/compress/flate/), each
 * in the order of its Go source; C wants callees first, so the files come bottom-up:
 *
 *   huffman_code.go        huffmanEncoder: generate, bitCounts, assignEncodingAndSize
 *   token.go               tokens (block of tokens with histograms), EstimatedBits, offsetCode
 *   huffman_bit_writer.go  huffmanBitWriter: writeBlockDynamic and what it calls
 *   deflate.go             compressor at levels 7-9: fillDeflate, writeBlock, findMatch,
 *                          tryBetterMatchAtEnd, skipLiterals, deflateLazy, write, close
 *
 * Only the level-9 path is here: no dictionary, no Flush, no Reset, no Huffman-only blocks, and
 * writeBlockDynamic is never asked for the final block (Close ends with an empty fixed block).
 * Go's window is a 64 KiB copy of the input that slides by 32 KiB; here it is a pointer into
 * the input (d->win = data + base) and slides by moving the pointer.  Go's indices (index,
 * windowEnd, blockStart, hashOffset, ...) keep their meaning, relative to the window.
 * The compressor runs without the GIL; it only reads the caller's buffer.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------------------------------------------
 * Constants and tables (RFC 1951 and deflate.go / huffman_bit_writer.go / token.go)
 * -------------------------------------------------------------------------------------------- */

#define WINDOW_SIZE (1 << 15)
#define WINDOW_MASK (WINDOW_SIZE - 1)
#define MIN_MATCH 4
#define MAX_MATCH 258
#define MIN_OFFSET 1
#define MAX_BLOCK_TOKENS (1 << 15)
#define MAX_STORE_BLOCK 65535
#define HASH_BITS 17
#define HASH_SIZE (1 << HASH_BITS)
#define MAX_HASH_OFFSET (1 << 28)
#define PRIME_4BYTES 2654435761u

/* Level 9's parameters ("good" is not used by the lazy matcher). */
#define LEVEL_LAZY 258
#define LEVEL_NICE 258
#define LEVEL_CHAIN 1024
#define LOG_NEW_TABLE_PENALTY 8

#define LITERAL_COUNT 286
#define OFFSET_CODE_COUNT 30
#define CODEGEN_CODE_COUNT 19
#define END_BLOCK 256
#define LENGTH_CODES_START 257
#define BAD_CODE 255
#define MAX_PREDEFINED_TOKENS 250

/* A token: a literal byte, END_BLOCK, or MATCH_TYPE | xlength << 22 | offset code << 16 | xoffset */
#define MATCH_TYPE (1u << 30)
#define LENGTH_SHIFT 22
#define OFFSET_ONLY_MASK 0xffffu

static const uint8_t length_extra_bits[32] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint8_t length_base[32] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  10, 12, 14,  16,  20,  24,
    28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 255};
/* Codes 30 and 31 are the "extended window" entries Go keeps in its table: offsetCode(32768),
 * which findMatch's gain estimate asks for, is 14 (it wraps), never 30. */
static const uint8_t offset_extra_bits[32] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8,
    9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14};
static const uint32_t offset_base[32] = {
    0,    1,    2,    3,    4,    6,     8,     12,    16,    24,    32,
    48,   64,   96,   128,  192,  256,   384,   512,   768,   1024,  1536,
    2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768, 49152};
static const uint8_t codegen_order[CODEGEN_CODE_COUNT] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* Derived at module initialisation. */
static uint8_t length_codes[256]; /* xlength (length - 3) -> length code 0..28 */
static uint8_t offset_codes[256]; /* xoffset < 256 -> offset code; larger: [xoffset >> 7] + 14 */

static void init_tables(void) {
    int code = 0;
    for (int xl = 0; xl < 256; xl++) {
        while (code + 1 < 29 && length_base[code + 1] <= xl) code++;
        length_codes[xl] = (uint8_t)code;
    }
    code = 0;
    for (int off = 0; off < 256; off++) {
        while (code + 1 < 30 && offset_base[code + 1] <= (uint32_t)off) code++;
        offset_codes[off] = (uint8_t)code;
    }
}

static inline uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const uint8_t *p) {
    return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

/* ----------------------------------------------------------------------------------------------
 * huffman_code.go
 * -------------------------------------------------------------------------------------------- */

/* huffmanEncoder: per symbol its code (bit-reversed, ready to write) and length (0: unused). */
typedef struct {
    uint16_t code[LITERAL_COUNT];
    uint8_t len[LITERAL_COUNT];
} huffman_encoder;

static uint16_t reverse_bits(uint16_t x, int nbits) {
    uint16_t r = 0;
    for (int i = 0; i < nbits; i++, x >>= 1) r = (uint16_t)(r << 1 | (x & 1));
    return r;
}

static huffman_encoder fixed_literal_encoding, fixed_offset_encoding;

static void generate_fixed_encodings(void) {
    for (int ch = 0; ch < LITERAL_COUNT; ch++) {
        int bits, size;
        if (ch < 144) bits = ch + 48, size = 8;
        else if (ch < 256) bits = ch + 400 - 144, size = 9;
        else if (ch < 280) bits = ch - 256, size = 7;
        else bits = ch + 192 - 280, size = 8;
        fixed_literal_encoding.code[ch] = reverse_bits((uint16_t)bits, size);
        fixed_literal_encoding.len[ch] = (uint8_t)size;
    }
    for (int ch = 0; ch < OFFSET_CODE_COUNT; ch++) {
        fixed_offset_encoding.code[ch] = reverse_bits((uint16_t)ch, 5);
        fixed_offset_encoding.len[ch] = 5;
    }
}

/* bitLength: bits to encode the frequencies freq[0:n] (n <= the encoder's size). */
static int bit_length(const huffman_encoder *h, const uint16_t *freq, int n) {
    int total = 0;
    for (int i = 0; i < n; i++)
        if (freq[i]) total += (int)freq[i] * h->len[i];
    return total;
}

/* A literalNode as one sortable key: frequency above, symbol below (Go sorts by this value). */
#define NODE(freq, lit) ((uint32_t)(freq) << 10 | (uint32_t)(lit))
#define NODE_FREQ(node) ((int32_t)((node) >> 10))
#define NODE_LIT(node) ((int)((node) & 1023))

/* bitCounts: how many of the n >= 3 symbols of list (sorted by frequency) get each code length,
 * limited to max_bits; the boundary package-merge of Go's implementation, level by level. */
static int bit_counts(const uint32_t *list, int32_t n, int32_t max_bits, int32_t *bit_count) {
    struct {
        int32_t level, last_freq, next_char_freq, next_pair_freq, needed;
    } levels[17]; /* one spare above level 15: "the level above" is written there when done */
    int32_t leaf_counts[16][16];
    memset(levels, 0, sizeof levels);
    memset(leaf_counts, 0, sizeof leaf_counts);
    if (max_bits > n - 1) max_bits = n - 1;
    for (int32_t level = 1; level <= max_bits; level++) {
        levels[level].level = level;
        levels[level].last_freq = NODE_FREQ(list[1]);
        levels[level].next_char_freq = NODE_FREQ(list[2]);
        levels[level].next_pair_freq = NODE_FREQ(list[0]) + NODE_FREQ(list[1]);
        leaf_counts[level][level] = 2;
        if (level == 1) levels[level].next_pair_freq = INT32_MAX;
    }
    levels[max_bits].needed = 2 * n - 4;

    uint32_t level = (uint32_t)max_bits;
    while (level < 16) {
        int32_t l = (int32_t)level;
        if (levels[l].next_pair_freq == INT32_MAX && levels[l].next_char_freq == INT32_MAX) {
            /* out of leaves and pairs: this level is done for good */
            levels[l].needed = 0;
            levels[l + 1].next_pair_freq = INT32_MAX;
            level++;
            continue;
        }
        int32_t prev_freq = levels[l].last_freq;
        if (levels[l].next_char_freq < levels[l].next_pair_freq) {
            int32_t k = leaf_counts[l][l] + 1; /* the next leaf */
            levels[l].last_freq = levels[l].next_char_freq;
            leaf_counts[l][l] = k;
            levels[l].next_char_freq = k < n ? NODE_FREQ(list[k]) : INT32_MAX;
        } else {
            /* a pair from the level below: its leaf counts, except this level's own */
            levels[l].last_freq = levels[l].next_pair_freq;
            int32_t save = leaf_counts[l][l];
            memcpy(leaf_counts[l], leaf_counts[l - 1], sizeof leaf_counts[l]);
            leaf_counts[l][l] = save;
            levels[levels[l].level - 1].needed = 2;
        }
        if (--levels[l].needed == 0) {
            if (levels[l].level == max_bits) break;
            levels[levels[l].level + 1].next_pair_freq = prev_freq + levels[l].last_freq;
            level++;
        } else {
            while (levels[level - 1].needed > 0) level--;
        }
    }
    /* leaf_counts[max_bits][max_bits] == n here (Go panics otherwise). */
    int bits = 1;
    for (int32_t lv = max_bits; lv > 0; lv--) {
        bit_count[bits] = leaf_counts[max_bits][lv] - leaf_counts[max_bits][lv - 1];
        bits++;
    }
    return max_bits;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_lit(const void *a, const void *b) {
    return NODE_LIT(*(const uint32_t *)a) - NODE_LIT(*(const uint32_t *)b);
}

/* assignEncodingAndSize: canonical codes; per length, consecutive codes in symbol order. */
static void assign_encoding_and_size(huffman_encoder *h, const int32_t *bit_count, int max_bits,
                                     uint32_t *list, int count) {
    uint16_t code = 0;
    for (int n = 0; n <= max_bits; n++) {
        code = (uint16_t)(code << 1);
        int32_t bits = bit_count[n];
        if (n == 0 || bits == 0) continue;
        uint32_t *chunk = list + count - bits; /* the `bits` most frequent symbols left */
        qsort(chunk, (size_t)bits, sizeof *chunk, cmp_lit);
        for (int32_t i = 0; i < bits; i++) {
            int lit = NODE_LIT(chunk[i]);
            h->code[lit] = reverse_bits(code, n);
            h->len[lit] = (uint8_t)n;
            code++;
        }
        count -= bits;
    }
}

/* generate: the length-limited Huffman code of freq[0:nfreq]. */
static void huffman_generate(huffman_encoder *h, const uint16_t *freq, int nfreq, int max_bits) {
    uint32_t list[LITERAL_COUNT + 1];
    int count = 0;
    for (int i = 0; i < nfreq; i++) {
        if (freq[i]) {
            list[count++] = NODE(freq[i], i);
        } else {
            h->code[i] = 0;
            h->len[i] = 0;
        }
    }
    if (count <= 2) {
        /* one or two symbols: one bit each, in symbol order */
        for (int i = 0; i < count; i++) {
            h->code[NODE_LIT(list[i])] = (uint16_t)i;
            h->len[NODE_LIT(list[i])] = 1;
        }
        return;
    }
    qsort(list, (size_t)count, sizeof *list, cmp_u32);
    int32_t bit_count[17] = {0};
    int bits = bit_counts(list, count, max_bits, bit_count);
    assign_encoding_and_size(h, bit_count, bits, list, count);
}

/* ----------------------------------------------------------------------------------------------
 * token.go
 * -------------------------------------------------------------------------------------------- */

typedef struct {
    uint16_t extra_hist[32]; /* [0]: end of block, [1 + length code]: matches */
    uint16_t off_hist[32];
    uint16_t lit_hist[256];
    int32_t n;
    uint32_t tokens[MAX_BLOCK_TOKENS + 2]; /* a full block, plus an end-of-block marker */
} tokens;

static void tokens_reset(tokens *t) {
    if (t->n == 0) return;
    t->n = 0;
    memset(t->lit_hist, 0, sizeof t->lit_hist);
    memset(t->extra_hist, 0, sizeof t->extra_hist);
    memset(t->off_hist, 0, sizeof t->off_hist);
}

static inline void add_literal(tokens *t, uint8_t lit) {
    t->tokens[t->n++] = lit;
    t->lit_hist[lit]++;
}

/* Floating-point steps of EstimatedBits, each rounded to float32 as Go computes them: the volatile
 * store keeps the compiler from fusing a multiply and an add, which Go does not do on amd64. */
static float f32(float x) {
    volatile float v = x;
    return v;
}

static float fast_log2(float val) {
    uint32_t ux;
    float uval;
    memcpy(&ux, &val, sizeof ux);
    float log2 = (float)((int32_t)((ux >> 23) & 255) - 128);
    ux &= 0x807fffffu;
    ux += 127u << 23;
    memcpy(&uval, &ux, sizeof uval);
    float t = f32(f32(f32(f32(-0.34484843f * uval) + 2.02466578f) * uval) - 0.67487759f);
    return f32(log2 + t);
}

static float shannon_term(uint16_t v, float inv_total) {
    float n = (float)v;
    float e = -fast_log2(f32(n * inv_total));
    if (e < 1.0f) e = 1.0f;
    if (e > 15.0f) e = 15.0f;
    return f32(e * n);
}

/* EstimatedBits: an estimate of the optimal size of t's block (1 to 15 bits per symbol). */
static int estimated_bits(const tokens *t) {
    float shannon = 0.0f;
    int bits = 0, n_matches = 0;
    int total = t->n;
    if (total > 0) {
        float inv_total = f32(1.0f / (float)total);
        for (int i = 0; i < 256; i++)
            if (t->lit_hist[i]) shannon = f32(shannon + shannon_term(t->lit_hist[i], inv_total));
        shannon = f32(shannon + 15.0f); /* end of block */
        for (int i = 0; i < LITERAL_COUNT - 257; i++) {
            uint16_t v = t->extra_hist[1 + i];
            if (v) {
                shannon = f32(shannon + shannon_term(v, inv_total));
                bits += length_extra_bits[i] * v;
                n_matches += v;
            }
        }
    }
    if (n_matches > 0) {
        float inv_total = f32(1.0f / (float)n_matches);
        for (int i = 0; i < OFFSET_CODE_COUNT; i++) {
            uint16_t v = t->off_hist[i];
            if (v) {
                shannon = f32(shannon + shannon_term(v, inv_total));
                bits += offset_extra_bits[i] * v;
            }
        }
    }
    return (int)shannon + bits;
}

static inline uint32_t offset_code(uint32_t off) {
    if (off < 256) return offset_codes[off];
    return offset_codes[(off >> 7) & 255] + 14u;
}

static inline void add_match(tokens *t, uint32_t xlength, uint32_t xoffset) {
    uint32_t ocode = offset_code(xoffset);
    t->extra_hist[length_codes[xlength & 255] + 1]++;
    t->off_hist[ocode & 31]++;
    t->tokens[t->n++] = MATCH_TYPE | xlength << LENGTH_SHIFT | ocode << 16 | xoffset;
}

static inline void add_eob(tokens *t) {
    t->tokens[t->n++] = END_BLOCK;
    t->extra_hist[0]++;
}

/* ----------------------------------------------------------------------------------------------
 * huffman_bit_writer.go
 * -------------------------------------------------------------------------------------------- */

typedef struct {
    /* the output so far; bits not yet whole bytes wait in `bits` (LSB first) */
    uint8_t *out;
    size_t len, cap;
    int failed; /* out of memory: the writer's sticky error */
    uint64_t bits;
    unsigned nbits;

    /* > 0: the last dynamic table may be reused, and its end-of-block is still owed */
    int prev_header;
    huffman_encoder literal_encoding, offset_encoding, codegen_encoding;
    uint16_t literal_freq[LENGTH_CODES_START + 32];
    uint16_t offset_freq[32];
    uint16_t codegen_freq[CODEGEN_CODE_COUNT];
    uint8_t codegen[LITERAL_COUNT + OFFSET_CODE_COUNT + 1];
} huffman_bit_writer;

/* Room for `more` bytes of output (checked once per block, not per bit). */
static int reserve(huffman_bit_writer *w, size_t more) {
    if (w->failed) return 0;
    if (w->cap - w->len >= more + 8) return 1;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap - w->len < more + 8) cap *= 2;
    uint8_t *p = realloc(w->out, cap);
    if (!p) {
        w->failed = 1;
        return 0;
    }
    w->out = p;
    w->cap = cap;
    return 1;
}

static inline void write_bits(huffman_bit_writer *w, uint32_t b, unsigned nb) {
    w->bits |= (uint64_t)b << w->nbits;
    w->nbits += nb;
    if (w->nbits >= 32) {
        uint8_t *p = w->out + w->len;
        uint64_t x = w->bits;
        p[0] = (uint8_t)x, p[1] = (uint8_t)(x >> 8), p[2] = (uint8_t)(x >> 16), p[3] = (uint8_t)(x >> 24);
        w->len += 4;
        w->bits >>= 32;
        w->nbits -= 32;
    }
}

static inline void write_code(huffman_bit_writer *w, const huffman_encoder *h, int sym) {
    write_bits(w, h->code[sym], h->len[sym]);
}

/* canReuse: the last table has a code for every symbol t uses. */
static int can_reuse(const huffman_bit_writer *w, const tokens *t) {
    for (int i = 0; i < OFFSET_CODE_COUNT; i++)
        if (t->off_hist[i] && !w->offset_encoding.len[i]) return 0;
    for (int i = 0; i < LITERAL_COUNT - 256; i++)
        if (t->extra_hist[i] && !w->literal_encoding.len[256 + i]) return 0;
    for (int i = 0; i < 256; i++)
        if (t->lit_hist[i] && !w->literal_encoding.len[i]) return 0;
    return 1;
}

/* flush: the owed end-of-block, then the pending bits padded to a byte. */
static void flush(huffman_bit_writer *w) {
    if (!reserve(w, 16)) return;
    if (w->prev_header > 0) {
        write_code(w, &w->literal_encoding, END_BLOCK);
        w->prev_header = 0;
    }
    while (w->nbits > 0) {
        w->out[w->len++] = (uint8_t)w->bits;
        w->bits >>= 8;
        w->nbits = w->nbits > 8 ? w->nbits - 8 : 0;
    }
    w->bits = 0;
}

/* writeBytes: raw bytes after a byte-aligned stored header (callers reserved the room). */
static void write_bytes(huffman_bit_writer *w, const uint8_t *bytes, size_t n) {
    while (w->nbits) {
        w->out[w->len++] = (uint8_t)w->bits;
        w->bits >>= 8;
        w->nbits -= 8;
    }
    memcpy(w->out + w->len, bytes, n);
    w->len += n;
}

/* generateCodegen: the run-length coded code lengths of a dynamic header (16: repeat the previous
 * length 3-6 times, 17: 3-10 zeros, 18: 11-138 zeros), and the frequencies of its symbols. */
static void generate_codegen(huffman_bit_writer *w, int num_literals, int num_offsets,
                             const huffman_encoder *lit_enc, const huffman_encoder *off_enc) {
    uint8_t *codegen = w->codegen;
    memset(w->codegen_freq, 0, sizeof w->codegen_freq);
    /* the lengths are copied into codegen first and overwritten by the output as it goes
     * (which never overtakes the input) */
    for (int i = 0; i < num_literals; i++) codegen[i] = lit_enc->len[i];
    for (int i = 0; i < num_offsets; i++) codegen[num_literals + i] = off_enc->len[i];
    codegen[num_literals + num_offsets] = BAD_CODE;

    uint8_t size = codegen[0];
    int count = 1, out_index = 0;
    for (int in_index = 1; size != BAD_CODE; in_index++) {
        uint8_t next_size = codegen[in_index];
        if (next_size == size) {
            count++;
            continue;
        }
        if (size != 0) {
            codegen[out_index++] = size;
            w->codegen_freq[size]++;
            count--;
            while (count >= 3) {
                int n = count < 6 ? count : 6;
                codegen[out_index++] = 16;
                codegen[out_index++] = (uint8_t)(n - 3);
                w->codegen_freq[16]++;
                count -= n;
            }
        } else {
            while (count >= 11) {
                int n = count < 138 ? count : 138;
                codegen[out_index++] = 18;
                codegen[out_index++] = (uint8_t)(n - 11);
                w->codegen_freq[18]++;
                count -= n;
            }
            if (count >= 3) {
                codegen[out_index++] = 17;
                codegen[out_index++] = (uint8_t)(count - 3);
                w->codegen_freq[17]++;
                count = 0;
            }
        }
        for (count--; count >= 0; count--) {
            codegen[out_index++] = size;
            w->codegen_freq[size]++;
        }
        size = next_size;
        count = 1;
    }
    codegen[out_index] = BAD_CODE;
}

/* headerSize: bits of the dynamic header; *num_codegens: how many code lengths it lists. */
static int header_size(const huffman_bit_writer *w, int *num_codegens) {
    int n = CODEGEN_CODE_COUNT;
    while (n > 4 && w->codegen_freq[codegen_order[n - 1]] == 0) n--;
    if (num_codegens) *num_codegens = n;
    return 3 + 5 + 5 + 4 + 3 * n + bit_length(&w->codegen_encoding, w->codegen_freq, CODEGEN_CODE_COUNT) +
           w->codegen_freq[16] * 2 + w->codegen_freq[17] * 3 + w->codegen_freq[18] * 7;
}

static int dynamic_reuse_size(const huffman_bit_writer *w) {
    return bit_length(&w->literal_encoding, w->literal_freq, LITERAL_COUNT) +
           bit_length(&w->offset_encoding, w->offset_freq, OFFSET_CODE_COUNT);
}

static int dynamic_size(const huffman_bit_writer *w, int extra_bits, int *num_codegens) {
    return header_size(w, num_codegens) + dynamic_reuse_size(w) + extra_bits;
}

/* extraBitSize: the extra bits of the block's lengths and offsets. */
static int extra_bit_size(const huffman_bit_writer *w) {
    int total = 0;
    for (int i = 0; i < LITERAL_COUNT - 257; i++) total += w->literal_freq[257 + i] * length_extra_bits[i];
    for (int i = 0; i < OFFSET_CODE_COUNT; i++) total += w->offset_freq[i] * offset_extra_bits[i];
    return total;
}

static int fixed_size(const huffman_bit_writer *w, int extra_bits) {
    return 3 + bit_length(&fixed_literal_encoding, w->literal_freq, LITERAL_COUNT) +
           bit_length(&fixed_offset_encoding, w->offset_freq, OFFSET_CODE_COUNT) + extra_bits;
}

static void write_dynamic_header(huffman_bit_writer *w, int num_literals, int num_offsets, int num_codegens,
                                 int is_eof) {
    write_bits(w, is_eof ? 5 : 4, 3);
    write_bits(w, (uint32_t)(num_literals - 257), 5);
    write_bits(w, (uint32_t)(num_offsets - 1), 5);
    write_bits(w, (uint32_t)(num_codegens - 4), 4);
    for (int i = 0; i < num_codegens; i++) write_bits(w, w->codegen_encoding.len[codegen_order[i]], 3);
    for (int i = 0;;) {
        int code_word = w->codegen[i++];
        if (code_word == BAD_CODE) break;
        write_code(w, &w->codegen_encoding, code_word);
        if (code_word == 16) write_bits(w, w->codegen[i++], 2);
        else if (code_word == 17) write_bits(w, w->codegen[i++], 3);
        else if (code_word == 18) write_bits(w, w->codegen[i++], 7);
    }
}

/* writeStoredHeader; an empty final block is written as a fixed one (10 bits, not 5 bytes). */
static void write_fixed_header(huffman_bit_writer *w, int is_eof);

static void write_stored_header(huffman_bit_writer *w, int length, int is_eof) {
    if (w->prev_header > 0) {
        write_code(w, &w->literal_encoding, END_BLOCK);
        w->prev_header = 0;
    }
    if (length == 0 && is_eof) {
        write_fixed_header(w, is_eof);
        write_bits(w, 0, 7); /* the fixed code's end of block */
        flush(w);
        return;
    }
    write_bits(w, is_eof ? 1 : 0, 3);
    flush(w);
    write_bits(w, (uint32_t)length, 16);
    write_bits(w, (uint16_t)~(uint32_t)length, 16);
}

static void write_fixed_header(huffman_bit_writer *w, int is_eof) {
    if (w->prev_header > 0) {
        write_code(w, &w->literal_encoding, END_BLOCK);
        w->prev_header = 0;
    }
    write_bits(w, is_eof ? 3 : 2, 3);
}

static void index_tokens(huffman_bit_writer *w, const tokens *t, int *num_literals, int *num_offsets);
static void write_tokens(huffman_bit_writer *w, const tokens *t, const huffman_encoder *lit,
                         const huffman_encoder *off);

static void write_stored(huffman_bit_writer *w, const uint8_t *input, int in_len) {
    write_stored_header(w, in_len, 0);
    write_bytes(w, input, (size_t)in_len);
}

/* writeBlockDynamic for a block that is never the last one (level 9 ends the stream with an empty
 * fixed block): reuse the previous table, or a new dynamic table, a fixed or a stored block,
 * whichever the size estimates prefer.  input: the block's bytes, NULL when they have left the
 * window. */
static void write_block_dynamic(huffman_bit_writer *w, tokens *t, const uint8_t *input, int in_len, int sync) {
    /* room for a new header, the tokens (at most 48 bits each) and the block stored */
    if (!reserve(w, 1024 + (size_t)t->n * 6 + (input ? (size_t)in_len : 0))) return;
    if (sync) add_eob(t);
    else t->extra_hist[0] = 1; /* an end of block can always be written */

    if (w->prev_header > 0 && !can_reuse(w, t)) {
        write_code(w, &w->literal_encoding, END_BLOCK);
        w->prev_header = 0;
    }

    int num_literals, num_offsets;
    index_tokens(w, t, &num_literals, &num_offsets);
    int extra_bits = 0;
    int storable = input != NULL && in_len <= MAX_STORE_BLOCK;
    int ssize = storable ? (in_len + 5) * 8 : 0;
    if (storable || w->prev_header > 0) extra_bits = extra_bit_size(w);

    int size = 0;
    if (w->prev_header > 0) {
        /* a new table's estimated cost, with a penalty, against reusing the previous one */
        int new_size = w->prev_header + estimated_bits(t);
        new_size += w->literal_encoding.len[END_BLOCK] + (new_size >> LOG_NEW_TABLE_PENALTY);
        int reuse_size = dynamic_reuse_size(w) + extra_bits;
        if (new_size < reuse_size) {
            write_code(w, &w->literal_encoding, END_BLOCK);
            size = new_size;
            w->prev_header = 0;
        } else {
            size = reuse_size;
        }
        if (t->n < MAX_PREDEFINED_TOKENS) {
            int pre_size = fixed_size(w, extra_bits) + 7;
            if (pre_size < size) {
                if (storable && ssize <= size) {
                    write_stored(w, input, in_len);
                    return;
                }
                write_fixed_header(w, 0);
                if (!sync) add_eob(t);
                write_tokens(w, t, &fixed_literal_encoding, &fixed_offset_encoding);
                return;
            }
        }
        if (storable && ssize <= size) {
            write_stored(w, input, in_len);
            return;
        }
    }

    if (w->prev_header == 0) {
        w->literal_freq[END_BLOCK] = 1;
        huffman_generate(&w->literal_encoding, w->literal_freq, LITERAL_COUNT, 15);
        huffman_generate(&w->offset_encoding, w->offset_freq, OFFSET_CODE_COUNT, 15);
        generate_codegen(w, num_literals, num_offsets, &w->literal_encoding, &w->offset_encoding);
        huffman_generate(&w->codegen_encoding, w->codegen_freq, CODEGEN_CODE_COUNT, 7);
        int num_codegens;
        size = dynamic_size(w, extra_bits, &num_codegens);
        if (t->n < MAX_PREDEFINED_TOKENS) {
            int pre_size = fixed_size(w, extra_bits);
            if (pre_size <= size) {
                if (storable && ssize <= pre_size) {
                    write_stored(w, input, in_len);
                    return;
                }
                write_fixed_header(w, 0);
                if (!sync) add_eob(t);
                write_tokens(w, t, &fixed_literal_encoding, &fixed_offset_encoding);
                return;
            }
        }
        if (storable && ssize <= size) {
            write_stored(w, input, in_len);
            return;
        }
        write_dynamic_header(w, num_literals, num_offsets, num_codegens, 0);
        if (!sync) w->prev_header = header_size(w, NULL);
    }
    if (sync) w->prev_header = 0;
    write_tokens(w, t, &w->literal_encoding, &w->offset_encoding);
}

/* indexTokens: the block's histograms become the writer's frequencies; the number of literal/length
 * and offset codes the header must list. */
static void index_tokens(huffman_bit_writer *w, const tokens *t, int *num_literals, int *num_offsets) {
    memcpy(w->literal_freq, t->lit_hist, sizeof t->lit_hist);
    memcpy(w->literal_freq + 256, t->extra_hist, sizeof t->extra_hist);
    memcpy(w->offset_freq, t->off_hist, sizeof t->off_hist);
    *num_literals = *num_offsets = 0;
    if (t->n == 0) return;
    int nl = LENGTH_CODES_START + 32;
    while (w->literal_freq[nl - 1] == 0) nl--;
    int no = 32;
    while (no > 0 && w->offset_freq[no - 1] == 0) no--;
    if (no == 0) {
        /* no match: one offset code all the same, so that a dynamic header can be written */
        w->offset_freq[0] = 1;
        no = 1;
    }
    *num_literals = nl;
    *num_offsets = no;
}

/* writeTokens: the tokens in the given codes; a final end-of-block marker is written last. */
static void write_tokens(huffman_bit_writer *w, const tokens *t, const huffman_encoder *lit,
                         const huffman_encoder *off) {
    int n = t->n;
    if (n == 0) return;
    int defer_eob = t->tokens[n - 1] == END_BLOCK;
    if (defer_eob) n--;
    const uint16_t *lcode = lit->code, *ocode = off->code;
    const uint8_t *llen = lit->len, *olen = off->len;
    uint64_t bits = w->bits;
    unsigned nbits = w->nbits;
    uint8_t *p = w->out + w->len;
    for (int i = 0; i < n; i++) {
        uint32_t tok = t->tokens[i];
        if (tok < 256) {
            bits |= (uint64_t)lcode[tok] << nbits;
            nbits += llen[tok];
        } else {
            uint32_t length = (tok >> LENGTH_SHIFT) & 255;
            uint32_t len_code = length_codes[length];
            bits |= (uint64_t)lcode[LENGTH_CODES_START + len_code] << nbits;
            nbits += llen[LENGTH_CODES_START + len_code];
            if (len_code >= 8) {
                bits |= (uint64_t)(length - length_base[len_code]) << nbits;
                nbits += length_extra_bits[len_code];
            }
            uint32_t offset = tok & OFFSET_ONLY_MASK;
            uint32_t off_code = (tok >> 16) & 31;
            /* at most 15 + 5 bits so far beyond the 31 pending: write some out first */
            if (nbits >= 32) {
                p[0] = (uint8_t)bits, p[1] = (uint8_t)(bits >> 8), p[2] = (uint8_t)(bits >> 16),
                p[3] = (uint8_t)(bits >> 24);
                p += 4;
                bits >>= 32;
                nbits -= 32;
            }
            bits |= (uint64_t)ocode[off_code] << nbits;
            nbits += olen[off_code];
            if (off_code >= 4) {
                bits |= (uint64_t)(offset - offset_base[off_code]) << nbits;
                nbits += offset_extra_bits[off_code];
            }
        }
        if (nbits >= 32) {
            p[0] = (uint8_t)bits, p[1] = (uint8_t)(bits >> 8), p[2] = (uint8_t)(bits >> 16),
            p[3] = (uint8_t)(bits >> 24);
            p += 4;
            bits >>= 32;
            nbits -= 32;
        }
    }
    w->bits = bits;
    w->nbits = nbits;
    w->len = (size_t)(p - w->out);
    if (defer_eob) write_code(w, lit, END_BLOCK);
}

/* ----------------------------------------------------------------------------------------------
 * deflate.go (levels 7-9; level 9's parameters)
 * -------------------------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *data; /* the whole input */
    size_t n;
    size_t base;        /* where Go's window starts in data */
    const uint8_t *win; /* data + base */

    /* compressor */
    int32_t window_end;  /* bytes of the window filled */
    int32_t block_start; /* where the current tokens start in the window; INT32_MAX: slid out */
    int sync;            /* Close has been called */
    int byte_available;  /* win[index - 1] is still to be emitted */
    int failed;
    tokens tokens;
    huffman_bit_writer w;

    /* d.h: Huffman code lengths of the bytes ahead, at the start of each deflateLazy call; its
     * bitLengthRaw over win[index:index+n] is cost[index + n] - cost[index]. */
    huffman_encoder h;
    int32_t cost[2 * WINDOW_SIZE + 1];

    /* advancedState */
    int32_t length, offset, max_insert_index, chain_head, hash_offset;
    uint16_t literal_counter; /* consecutive literals; wraps after 64 KiB like Go's */
    int32_t index;
    int32_t hash_head[HASH_SIZE];   /* newest position + hash_offset per hash; 0: none */
    int32_t hash_prev[WINDOW_SIZE]; /* the chain: previous position + hash_offset with the same hash */
} compressor;

/* fillDeflate: slide the window by 32 KiB once index is near its end, then take more input. */
static void fill_deflate(compressor *d) {
    if (d->index >= 2 * WINDOW_SIZE - (MIN_MATCH + MAX_MATCH)) {
        d->base += WINDOW_SIZE;
        d->win = d->data + d->base;
        d->index -= WINDOW_SIZE;
        d->window_end -= WINDOW_SIZE;
        if (d->block_start >= WINDOW_SIZE) d->block_start -= WINDOW_SIZE;
        else d->block_start = INT32_MAX;
        d->hash_offset += WINDOW_SIZE;
        if (d->hash_offset > MAX_HASH_OFFSET) {
            int32_t delta = d->hash_offset - 1;
            d->hash_offset -= delta;
            d->chain_head -= delta;
            for (int i = 0; i < WINDOW_SIZE; i++) d->hash_prev[i] = d->hash_prev[i] > delta ? d->hash_prev[i] - delta : 0;
            for (int i = 0; i < HASH_SIZE; i++) d->hash_head[i] = d->hash_head[i] > delta ? d->hash_head[i] - delta : 0;
        }
    }
    size_t left = d->n - (d->base + (size_t)d->window_end);
    size_t room = (size_t)(2 * WINDOW_SIZE - d->window_end);
    d->window_end += (int32_t)(left < room ? left : room);
}

/* writeBlock (never the final block at level 9): the tokens, and the bytes they cover when those
 * are still in the window. */
static void write_block(compressor *d, int32_t index) {
    if (index > 0) {
        const uint8_t *input = NULL;
        int32_t in_len = 0;
        if (d->block_start <= index) {
            input = d->win + d->block_start;
            in_len = index - d->block_start;
        }
        d->block_start = index;
        write_block_dynamic(&d->w, &d->tokens, input, in_len, d->sync);
        d->failed = d->w.failed;
    }
}

static inline int32_t trailing_zero_bytes(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (int32_t)(__builtin_ctzll(x) >> 3);
#else
    int32_t n = 0;
    while (!(x & 0xff)) x >>= 8, n++;
    return n;
#endif
}

/* matchLen: how many bytes a[0:max] and b[0:max] have in common at their start. */
static inline int32_t match_len(const uint8_t *a, const uint8_t *b, int32_t max) {
    int32_t n = 0;
    while (max - n >= 8) {
        uint64_t diff = load_le64(a + n) ^ load_le64(b + n);
        if (diff) return n + trailing_zero_bytes(diff);
        n += 8;
    }
    while (n < max && a[n] == b[n]) n++;
    return n;
}

/* findMatch: the best match for pos along the hash chain from prev_head (at most LEVEL_CHAIN
 * entries); a longer match is taken only if its estimated gain over literals is higher. */
static int find_match(const compressor *d, int32_t pos, int32_t prev_head, int32_t lookahead, int32_t *length_out,
                      int32_t *offset_out) {
    const uint8_t *win = d->win;
    int32_t min_match_look = lookahead < MAX_MATCH ? lookahead : MAX_MATCH;
    int32_t nice = LEVEL_NICE < min_match_look ? LEVEL_NICE : min_match_look;
    int32_t tries = LEVEL_CHAIN;
    int32_t length = MIN_MATCH - 1;
    uint8_t w_end = win[pos + length];
    const uint8_t *w_pos = win + pos;
    int32_t min_index = pos - WINDOW_SIZE > 0 ? pos - WINDOW_SIZE : 0;
    int32_t offset = 0;
    int ok = 0;
    int c_gain = 4; /* a match must gain more than this many bits */
    const int base_cost = 3;
    const int32_t cost_pos = d->cost[pos];

    for (int32_t i = prev_head; tries > 0; tries--) {
        if (w_end == win[i + length]) {
            int32_t n = match_len(win + i, w_pos, min_match_look);
            if (n > length) {
                int new_gain = (d->cost[pos + n] - cost_pos) - offset_extra_bits[offset_code((uint32_t)(pos - i))] -
                               base_cost - length_extra_bits[length_codes[(n - 3) & 255]];
                if (new_gain > c_gain) {
                    c_gain = new_gain;
                    length = n;
                    offset = pos - i;
                    ok = 1;
                    if (n >= nice) break;
                    w_end = win[pos + n];
                }
            }
        }
        if (i <= min_index) break; /* hash_prev[i] was overwritten by a newer position */
        i = d->hash_prev[i & WINDOW_MASK] - d->hash_offset;
        if (i < min_index) break;
    }
    *length_out = length;
    *offset_out = offset;
    return ok;
}

static inline uint32_t hash4(const uint8_t *b) {
    return (load_le32(b) * PRIME_4BYTES) >> (32 - HASH_BITS);
}

/* Insert position `index` into its hash chain. */
static inline void insert_hash(compressor *d, int32_t index) {
    uint32_t h = hash4(d->win + index);
    int32_t ch = d->hash_head[h];
    d->chain_head = ch;
    d->hash_prev[index & WINDOW_MASK] = ch;
    d->hash_head[h] = index + d->hash_offset;
}

/* tryBetterMatchAtEnd: look for a longer match that covers the end of the previous one and starts
 * up to two bytes later; if found, emit those bytes as literals and take it. */
static void try_better_match_at_end(compressor *d, int32_t *prev_length, int32_t *prev_offset, int32_t lookahead) {
    const int32_t check_off = 2;
    if (*prev_length >= MAX_MATCH - check_off) return;
    int32_t prev_index = d->index - 1;
    if (prev_index + *prev_length >= d->max_insert_index) return;
    int32_t end = (lookahead < MAX_MATCH + check_off ? lookahead : MAX_MATCH + check_off) + prev_index;
    int32_t min_index = d->index - WINDOW_SIZE > 0 ? d->index - WINDOW_SIZE : 0;
    const uint8_t *win = d->win;
    uint32_t h = hash4(win + prev_index + *prev_length);
    int32_t ch2 = d->hash_head[h] - d->hash_offset - *prev_length;
    if (prev_index - ch2 == *prev_offset || ch2 <= min_index + check_off) return;
    int32_t length = match_len(win + prev_index + check_off, win + ch2 + check_off, end - (prev_index + check_off));
    if (length <= *prev_length) return;
    *prev_length = length;
    *prev_offset = prev_index - ch2;
    for (int32_t i = check_off - 1; i >= 0; i--) {
        if (*prev_length >= MAX_MATCH || win[prev_index + i] != win[ch2 + i]) {
            for (int32_t j = 0; j <= i; j++) {
                add_literal(&d->tokens, win[prev_index + j]);
                if (d->tokens.n == MAX_BLOCK_TOKENS) {
                    write_block(d, d->index);
                    if (d->failed) return;
                    tokens_reset(&d->tokens);
                }
                d->index++;
                if (d->index < d->max_insert_index) insert_hash(d, d->index);
            }
            break;
        }
        (*prev_length)++;
    }
}

/* skipLiterals: after more than LEVEL_CHAIN literals in a row, emit more of them without
 * searching (1 + excess/64 at a time). */
static void skip_literals(compressor *d) {
    int32_t n = (int32_t)d->literal_counter - LEVEL_CHAIN;
    if (n <= 0) return;
    n = 1 + (n >> 6);
    for (; n > 0; n--) {
        if (d->index >= d->window_end - 1) break;
        add_literal(&d->tokens, d->win[d->index - 1]);
        if (d->tokens.n == MAX_BLOCK_TOKENS) {
            write_block(d, d->index);
            if (d->failed) return;
            tokens_reset(&d->tokens);
        }
        if (d->index < d->max_insert_index) insert_hash(d, d->index);
        d->index++;
    }
    add_literal(&d->tokens, d->win[d->index - 1]);
    d->byte_available = 0;
    if (d->tokens.n == MAX_BLOCK_TOKENS) {
        write_block(d, d->index);
        if (d->failed) return;
        tokens_reset(&d->tokens);
    }
}

/* deflateLazy: lazy matching over the window, up to MIN_MATCH + MAX_MATCH bytes before its end
 * (to the end when syncing). */
static void deflate_lazy(compressor *d) {
    if (d->window_end - d->index < MIN_MATCH + MAX_MATCH && !d->sync) return;
    if (d->window_end != d->index) {
        /* the literal cost estimate: a Huffman code of the next 32 KiB */
        uint16_t tmp[256] = {0};
        int32_t to = d->window_end - d->index < MAX_BLOCK_TOKENS ? d->window_end : d->index + MAX_BLOCK_TOKENS;
        for (int32_t p = d->index; p < to; p++) tmp[d->win[p]]++;
        huffman_generate(&d->h, tmp, 256, 15);
        uint8_t byte_cost[256];
        for (int i = 0; i < 256; i++) byte_cost[i] = d->h.len[i] ? d->h.len[i] : 1;
        int32_t sum = 0;
        for (int32_t p = d->index; p < d->window_end; p++) {
            d->cost[p] = sum;
            sum += byte_cost[d->win[p]];
        }
        d->cost[d->window_end] = sum;
    }
    d->max_insert_index = d->window_end - (MIN_MATCH - 1);

    for (;;) {
        int32_t lookahead = d->window_end - d->index;
        if (lookahead < MIN_MATCH + MAX_MATCH) {
            if (!d->sync) return;
            if (lookahead == 0) {
                if (d->byte_available) {
                    add_literal(&d->tokens, d->win[d->index - 1]);
                    d->byte_available = 0;
                }
                if (d->tokens.n > 0) {
                    write_block(d, d->index);
                    if (d->failed) return;
                    tokens_reset(&d->tokens);
                }
                return;
            }
        }
        if (d->index < d->max_insert_index) insert_hash(d, d->index);
        int32_t prev_length = d->length;
        int32_t prev_offset = d->offset;
        d->length = MIN_MATCH - 1;
        d->offset = 0;
        int32_t min_index = d->index - WINDOW_SIZE > 0 ? d->index - WINDOW_SIZE : 0;

        if (d->chain_head - d->hash_offset >= min_index && lookahead > prev_length && prev_length < LEVEL_LAZY) {
            int32_t new_length, new_offset;
            if (find_match(d, d->index, d->chain_head - d->hash_offset, lookahead, &new_length, &new_offset)) {
                d->length = new_length;
                d->offset = new_offset;
            }
        }

        if (prev_length >= MIN_MATCH && d->length <= prev_length) {
            /* the previous match wins: emit it */
            try_better_match_at_end(d, &prev_length, &prev_offset, lookahead);
            if (d->failed) return;
            add_match(&d->tokens, (uint32_t)(prev_length - 3), (uint32_t)(prev_offset - MIN_OFFSET));

            /* hash the positions it covers (index and index - 1 are in already) */
            int32_t new_index = d->index + prev_length - 1;
            int32_t end = (new_index < d->max_insert_index ? new_index : d->max_insert_index) + MIN_MATCH - 1;
            int32_t start = d->index + 1 < d->max_insert_index ? d->index + 1 : d->max_insert_index;
            for (int32_t di = start; di < end - (MIN_MATCH - 1); di++) {
                uint32_t h = hash4(d->win + di);
                d->hash_prev[di & WINDOW_MASK] = d->hash_head[h];
                d->hash_head[h] = di + d->hash_offset;
            }

            d->index = new_index;
            d->byte_available = 0;
            d->length = MIN_MATCH - 1;
            if (d->tokens.n == MAX_BLOCK_TOKENS) {
                write_block(d, d->index);
                if (d->failed) return;
                tokens_reset(&d->tokens);
            }
            d->literal_counter = 0;
            continue;
        }
        if (d->length >= MIN_MATCH) d->literal_counter = 0;
        if (d->byte_available) {
            d->literal_counter++;
            add_literal(&d->tokens, d->win[d->index - 1]);
            if (d->tokens.n == MAX_BLOCK_TOKENS) {
                write_block(d, d->index);
                if (d->failed) return;
                tokens_reset(&d->tokens);
            }
            d->index++;
            skip_literals(d);
            if (d->failed) return;
        } else {
            d->index++;
            d->byte_available = 1;
        }
    }
}

/* NewWriter(w, 9), Write(data), Close(): the output in d->w.out (unless d->failed). */
static void compress_all(compressor *d, const uint8_t *data, size_t n) {
    d->data = data;
    d->n = n;
    d->win = data;
    d->hash_offset = 1;
    d->length = MIN_MATCH - 1;
    d->chain_head = -1;
    /* write: step whenever the window is full, then fill it */
    fill_deflate(d);
    while (d->base + (size_t)d->window_end < n && !d->failed) {
        if (d->window_end == 2 * WINDOW_SIZE) deflate_lazy(d);
        fill_deflate(d);
    }
    if (d->failed) return;
    /* close */
    d->sync = 1;
    deflate_lazy(d);
    if (d->failed) return;
    if (!reserve(&d->w, 16)) {
        d->failed = 1;
        return;
    }
    write_stored_header(&d->w, 0, 1);
    flush(&d->w);
    d->failed = d->w.failed;
}

/* ----------------------------------------------------------------------------------------------
 * Python module
 * -------------------------------------------------------------------------------------------- */

PyDoc_STRVAR(deflate_doc,
             "deflate(data, /)\n--\n\n"
             "The raw DEFLATE stream Go 1.27's compress/flate writes at BestCompression\n"
             "(flate.NewWriter(w, 9), one Write(data), Close()).");

static PyObject *flate_deflate(PyObject *module, PyObject *arg) {
    (void)module;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    compressor *d = NULL;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    d = calloc(1, sizeof *d);
    if (d) {
        compress_all(d, view.buf, (size_t)view.len);
        failed = d->failed;
    } else {
        failed = 1;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&view);
    PyObject *result = NULL;
    if (failed) PyErr_NoMemory();
    else result = PyBytes_FromStringAndSize((const char *)d->w.out, (Py_ssize_t)d->w.len);
    if (d) free(d->w.out);
    free(d);
    return result;
}

static PyMethodDef flate_methods[] = {
    {"deflate", flate_deflate, METH_O, deflate_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef flate_module = {
    PyModuleDef_HEAD_INIT,
    "_flate",
    "Go 1.27's compress/flate at level 9 (see butane_py/_go/flate.py).",
    0,
    flate_methods,
};

PyMODINIT_FUNC PyInit__flate(void) {
    init_tables();
    generate_fixed_encodings();
    return PyModule_Create(&flate_module);
}
