/* Ascon-AEAD128 of NIST SP 800-232 (see mn_ascon.h). Words are little endian, the rate
 * is 16 bytes, initialisation and finalisation use 12 rounds, data blocks 8. */
#include <string.h>

#include "mn_ascon.h"

#define ASCON_AEAD128_IV 0x00001000808C0001ull
#define RATE 16

typedef struct {
    uint64_t x[5];
} ascon_state_t;

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    int i;
    for (i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

static void store64(uint8_t *p, uint64_t v)
{
    int i;
    for (i = 0; i < 8; ++i) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rotr(uint64_t v, int n) { return (v >> n) | (v << (64 - n)); }

/* One round of the Ascon permutation with round constant `c`. */
static void ascon_round(ascon_state_t *s, uint8_t c)
{
    uint64_t x0 = s->x[0], x1 = s->x[1], x2 = s->x[2] ^ c, x3 = s->x[3], x4 = s->x[4];
    uint64_t t0, t1, t2, t3, t4;
    /* substitution layer (the 5-bit S-box, bitsliced) */
    x0 ^= x4; x4 ^= x3; x2 ^= x1;
    t0 = ~x0 & x1; t1 = ~x1 & x2; t2 = ~x2 & x3; t3 = ~x3 & x4; t4 = ~x4 & x0;
    x0 ^= t1; x1 ^= t2; x2 ^= t3; x3 ^= t4; x4 ^= t0;
    x1 ^= x0; x0 ^= x4; x3 ^= x2; x2 = ~x2;
    /* linear diffusion layer */
    s->x[0] = x0 ^ rotr(x0, 19) ^ rotr(x0, 28);
    s->x[1] = x1 ^ rotr(x1, 61) ^ rotr(x1, 39);
    s->x[2] = x2 ^ rotr(x2, 1) ^ rotr(x2, 6);
    s->x[3] = x3 ^ rotr(x3, 10) ^ rotr(x3, 17);
    s->x[4] = x4 ^ rotr(x4, 7) ^ rotr(x4, 41);
}

/* The last `rounds` rounds of the 12-round permutation (constants 0xf0, 0xe1, ...). */
static void ascon_permute(ascon_state_t *s, int rounds)
{
    int r;
    for (r = 12 - rounds; r < 12; ++r) ascon_round(s, (uint8_t)(0xF0 - r * 0x0F));
}

/* Byte `i` (0..15) of the rate (x0 then x1, little endian). */
static uint8_t rate_byte(const ascon_state_t *s, int i)
{
    return (uint8_t)(s->x[i / 8] >> (8 * (i % 8)));
}

/* XOR one padded 16-byte block into the rate. */
static void absorb(ascon_state_t *s, const uint8_t blk[RATE])
{
    s->x[0] ^= load64(blk);
    s->x[1] ^= load64(blk + 8);
}

static void initialise(ascon_state_t *s, const uint8_t *key, const uint8_t *nonce)
{
    uint64_t k0 = load64(key), k1 = load64(key + 8);
    s->x[0] = ASCON_AEAD128_IV;
    s->x[1] = k0;
    s->x[2] = k1;
    s->x[3] = load64(nonce);
    s->x[4] = load64(nonce + 8);
    ascon_permute(s, 12);
    s->x[3] ^= k0;
    s->x[4] ^= k1;
}

/* Absorb the associated data (nothing at all when empty), then the domain separation bit. */
static void absorb_ad(ascon_state_t *s, const uint8_t *ad, uint32_t len)
{
    uint8_t blk[RATE];
    if (len) {
        for (; len >= RATE; len -= RATE, ad += RATE) {
            absorb(s, ad);
            ascon_permute(s, 8);
        }
        memset(blk, 0, sizeof blk);
        if (len) memcpy(blk, ad, len);
        blk[len] = 0x01;
        absorb(s, blk);
        ascon_permute(s, 8);
    }
    s->x[4] ^= 0x8000000000000000ull;
}

/* One full 16-byte block through the duplex: the plaintext (given when encrypting, or
 * rate XOR ciphertext when decrypting) is XORed into the rate, which is then the
 * ciphertext; then the permutation. */
static void duplex_block(ascon_state_t *s, const uint8_t *in, uint8_t *out, int decrypt)
{
    uint64_t i0 = load64(in), i1 = load64(in + 8);
    if (decrypt) {
        store64(out, s->x[0] ^ i0);
        store64(out + 8, s->x[1] ^ i1);
        s->x[0] = i0;
        s->x[1] = i1;
    } else {
        s->x[0] ^= i0;
        s->x[1] ^= i1;
        store64(out, s->x[0]);
        store64(out + 8, s->x[1]);
    }
    ascon_permute(s, 8);
}

/* The data through the duplex: full blocks, then the last one (0..15 bytes) padded with
 * 0x01, byte by byte. */
static void duplex(ascon_state_t *s, const uint8_t *in, uint8_t *out, uint32_t len, int decrypt)
{
    uint8_t blk[RATE];
    uint32_t i;
    for (; len >= RATE; len -= RATE, in += RATE, out += RATE) duplex_block(s, in, out, decrypt);
    memset(blk, 0, sizeof blk);
    for (i = 0; i < len; ++i) blk[i] = decrypt ? (uint8_t)(in[i] ^ rate_byte(s, (int)i)) : in[i];
    blk[len] = 0x01;
    absorb(s, blk);
    for (i = 0; i < len; ++i) out[i] = decrypt ? blk[i] : rate_byte(s, (int)i);
    memset(blk, 0, sizeof blk);
}

static void finalise(ascon_state_t *s, const uint8_t *key, uint8_t tag[MN_ASCON_TAG_BYTES])
{
    uint64_t k0 = load64(key), k1 = load64(key + 8);
    s->x[2] ^= k0;
    s->x[3] ^= k1;
    ascon_permute(s, 12);
    store64(tag, s->x[3] ^ k0);
    store64(tag + 8, s->x[4] ^ k1);
}

void mn_ascon_encrypt(const uint8_t key[MN_ASCON_KEY_BYTES],
                      const uint8_t nonce[MN_ASCON_NONCE_BYTES], const uint8_t *ad,
                      uint32_t ad_len, const uint8_t *in, uint8_t *out, uint32_t len,
                      uint8_t tag[MN_ASCON_TAG_BYTES])
{
    ascon_state_t s;
    initialise(&s, key, nonce);
    absorb_ad(&s, ad, ad_len);
    duplex(&s, in, out, len, 0);
    finalise(&s, key, tag);
    memset(&s, 0, sizeof s);
}

/* 0 when the 16 bytes are equal; the time does not depend on where they differ. */
static int tags_differ(const uint8_t *a, const uint8_t *b)
{
    uint8_t diff = 0;
    int i;
    for (i = 0; i < MN_ASCON_TAG_BYTES; ++i) diff = (uint8_t)(diff | (a[i] ^ b[i]));
    return diff != 0;
}

int mn_ascon_decrypt(const uint8_t key[MN_ASCON_KEY_BYTES],
                     const uint8_t nonce[MN_ASCON_NONCE_BYTES], const uint8_t *ad,
                     uint32_t ad_len, const uint8_t *in, uint8_t *out, uint32_t len,
                     const uint8_t tag[MN_ASCON_TAG_BYTES])
{
    ascon_state_t s;
    uint8_t expect[MN_ASCON_TAG_BYTES];
    int bad;
    initialise(&s, key, nonce);
    absorb_ad(&s, ad, ad_len);
    duplex(&s, in, out, len, 1);
    finalise(&s, key, expect);
    bad = tags_differ(expect, tag);
    if (bad && len) memset(out, 0, len);
    memset(&s, 0, sizeof s);
    memset(expect, 0, sizeof expect);
    return bad;
}
