/* Bulk keccak256 for Merkle trees: one C loop over many rows, with the GIL released.
 *
 * Why this exists: a million-claim OpenZeppelin tree needs ~4 million keccak256 calls
 * (double-hashed leaves, internal nodes, EIP-55 checksums). Through a per-call Python
 * binding (safe-pysha3) each call costs ~1.5 us of object and bytes overhead around a
 * ~0.3 us permutation; here a whole level is one call, four rows share each permutation
 * (below), and two threads can hash halves at once. `distributor/trees/hashing.py` falls
 * back to safe-pysha3 when this module is not built, and tests/test_trees_keccak.py
 * checks both, and each CPU variant, against each other.
 *
 * Keccak-f[1600] as specified in FIPS 202 section 3 (theta, rho, pi, chi, iota), with
 * Ethereum's original Keccak padding (0x01 ... 0x80, not SHA-3's 0x06), rate 136 bytes,
 * 32-byte output: the `keccak256` of the EVM, eth-hash and @openzeppelin/merkle-tree.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define RATE 136

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
    0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

/* rho rotation offsets and pi lane order, walked as one cycle starting from lane 1 */
static const int ROTC[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                             27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const int PILN[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                             15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

#define ROL(x, n) (((x) << (n)) | ((x) >> (64 - (n))))

/* Four messages are hashed at once, one per element of a 4 x 64-bit vector: every lane
 * of the state is a `lanes` value, so each xor, and-not and rotation of the permutation
 * serves four hashes (GCC/Clang vector extensions; AVX2 or AVX-512 where the CPU has
 * them, chosen at load time by `target_clones`, else plain 64-bit code). A Merkle tree
 * hashes millions of independent rows, so there are always four to do. */
typedef uint64_t lanes __attribute__((vector_size(32)));

#ifdef CLONES  /* given on the command line (tests build each variant this way) */
#elif defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define CLONES
#endif
#define INLINE static inline __attribute__((always_inline))

INLINE void keccak_f(lanes s[25]) {
    lanes c[5], d, t;
    for (int round = 0; round < 24; round++) {
#pragma GCC unroll 5
        for (int x = 0; x < 5; x++)
            c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
#pragma GCC unroll 5
        for (int x = 0; x < 5; x++) {
            d = c[(x + 4) % 5] ^ ROL(c[(x + 1) % 5], 1);
#pragma GCC unroll 5
            for (int y = 0; y < 25; y += 5) s[y + x] ^= d;
        }
        t = s[1];
#pragma GCC unroll 24
        for (int i = 0; i < 24; i++) {
            lanes u = s[PILN[i]];
            s[PILN[i]] = ROL(t, ROTC[i]);
            t = u;
        }
#pragma GCC unroll 5
        for (int y = 0; y < 25; y += 5) {
#pragma GCC unroll 5
            for (int x = 0; x < 5; x++) c[x] = s[y + x];
#pragma GCC unroll 5
            for (int x = 0; x < 5; x++) s[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
        }
        s[0] ^= RC[round];
    }
}

INLINE uint64_t load_le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

INLINE void store_le(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

INLINE void absorb(lanes s[25], const uint8_t *const blk[4]) {
    for (int i = 0; i < RATE / 8; i++)
        s[i] ^= (lanes){load_le(blk[0] + 8 * i), load_le(blk[1] + 8 * i),
                        load_le(blk[2] + 8 * i), load_le(blk[3] + 8 * i)};
    keccak_f(s);
}

/* keccak256 of four messages of `len` bytes each: msg[k] -> out[k] (32 bytes). */
INLINE void keccak256_x4(const uint8_t *const msg[4], size_t len, uint8_t *const out[4]) {
    lanes s[25];
    memset(s, 0, sizeof s);
    size_t off = 0;
    for (; len - off >= RATE; off += RATE) {
        const uint8_t *blk[4] = {msg[0] + off, msg[1] + off, msg[2] + off, msg[3] + off};
        absorb(s, blk);
    }
    uint8_t last[4][RATE];
    for (int k = 0; k < 4; k++) {
        memset(last[k], 0, RATE);
        memcpy(last[k], msg[k] + off, len - off);
        last[k][len - off] ^= 0x01;
        last[k][RATE - 1] ^= 0x80;
    }
    const uint8_t *blk[4] = {last[0], last[1], last[2], last[3]};
    absorb(s, blk);
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 4; i++) store_le(out[k] + 8 * i, s[i][k]);
}

/* Rows i..i+3 of a batch of `rows`: past the end, the last row is hashed again into a
 * scratch output (four at a time, always). */
INLINE Py_ssize_t clamp(Py_ssize_t i, Py_ssize_t rows) { return i < rows ? i : rows - 1; }

CLONES static void hash_rows(const uint8_t *src, Py_ssize_t width, Py_ssize_t rows, uint8_t *dst) {
    uint8_t spare[32];
    for (Py_ssize_t i = 0; i < rows; i += 4) {
        const uint8_t *msg[4];
        uint8_t *out[4];
        for (int k = 0; k < 4; k++) {
            msg[k] = src + width * clamp(i + k, rows);
            out[k] = i + k < rows ? dst + 32 * (i + k) : spare;
        }
        keccak256_x4(msg, (size_t)width, out);
    }
}

CLONES static void hash_pairs(const uint8_t *l, const uint8_t *r, Py_ssize_t rows, uint8_t *dst) {
    uint8_t pair[4][64], spare[32];
    for (Py_ssize_t i = 0; i < rows; i += 4) {
        const uint8_t *msg[4] = {pair[0], pair[1], pair[2], pair[3]};
        uint8_t *out[4];
        for (int k = 0; k < 4; k++) {
            Py_ssize_t j = clamp(i + k, rows);
            const uint8_t *a = l + 32 * j, *b = r + 32 * j;
            if (memcmp(a, b, 32) > 0) {
                const uint8_t *t = a;
                a = b;
                b = t;
            }
            memcpy(pair[k], a, 32);
            memcpy(pair[k] + 32, b, 32);
            out[k] = i + k < rows ? dst + 32 * (i + k) : spare;
        }
        keccak256_x4(msg, 64, out);
    }
}

/* keccak256_rows(data, width, out): out[32*i:32*i+32] = keccak256(data[width*i:width*(i+1)]) */
static PyObject *keccak256_rows(PyObject *self, PyObject *args) {
    Py_buffer data, out;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*nw*", &data, &width, &out)) return NULL;
    PyObject *result = NULL;
    if (width < 0 || (width == 0 && data.len != 0) || (width > 0 && data.len % width != 0)) {
        PyErr_SetString(PyExc_ValueError, "data length is not a multiple of width");
        goto done;
    }
    Py_ssize_t rows = width ? data.len / width : out.len / 32;
    if (out.len != 32 * rows) {
        PyErr_SetString(PyExc_ValueError, "out must hold 32 bytes per row");
        goto done;
    }
    const uint8_t *src = data.buf;
    uint8_t *dst = out.buf;
    Py_BEGIN_ALLOW_THREADS
    hash_rows(src, width, rows, dst);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&out);
    return result;
}

/* pair_rows(left, right, out): out row i = keccak256(min(l_i, r_i) || max(l_i, r_i)),
 * comparing the 32-byte rows as big-endian byte strings: OpenZeppelin MerkleProof's
 * `_hashPair` (commutative keccak), also Uniswap's and Balancer's sorted pairs. */
static PyObject *pair_rows(PyObject *self, PyObject *args) {
    Py_buffer left, right, out;
    if (!PyArg_ParseTuple(args, "y*y*w*", &left, &right, &out)) return NULL;
    PyObject *result = NULL;
    if (left.len != right.len || left.len % 32 != 0 || out.len != left.len) {
        PyErr_SetString(PyExc_ValueError, "left, right and out must be equal runs of 32-byte rows");
        goto done;
    }
    Py_ssize_t rows = left.len / 32;
    const uint8_t *l = left.buf, *r = right.buf;
    uint8_t *dst = out.buf;
    Py_BEGIN_ALLOW_THREADS
    hash_pairs(l, r, rows, dst);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&left);
    PyBuffer_Release(&right);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"keccak256_rows", keccak256_rows, METH_VARARGS,
     "keccak256_rows(data, width, out): keccak256 of each width-byte row of data into out."},
    {"pair_rows", pair_rows, METH_VARARGS,
     "pair_rows(left, right, out): sorted-pair keccak256 of 32-byte rows into out."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_keccak",
                                    "Bulk keccak256 over rows (GIL released).", -1, methods};

PyMODINIT_FUNC PyInit__keccak(void) { return PyModule_Create(&module); }
