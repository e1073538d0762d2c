/*
 * Ascon-AEAD128 against the official known-answer vectors (tests/ascon_aead128_kat.txt,
 * a subset of the designers' LWC_AEAD_KAT_128_128.txt): every vector must encrypt to
 * its CT (ciphertext then tag), in place too, decrypt back, and fail to decrypt (with the
 * output zeroed) when any single bit of the ciphertext, tag, associated data or nonce is
 * flipped. Usage: test_ascon KAT_FILE
 */
#include <stdio.h>
#include <string.h>

#include "mn_ascon.h"

static int passed, failed;
#define CHECK(cond, what)                                                  \
    do {                                                                   \
        if (cond) { passed++; } else { failed++; printf("FAIL %s (vector %d, line %d)\n", what, count, __LINE__); } \
    } while (0)

#define MAXB 64

typedef struct {
    uint8_t key[16], nonce[16], pt[MAXB], ad[MAXB], ct[MAXB + 16];
    uint32_t pt_len, ad_len, ct_len;
} kat_t;

/* Hex after "NAME = " into out; returns the byte count, or -1 when malformed. */
static int parse_hex(const char *s, uint8_t *out, int cap)
{
    int n = 0;
    unsigned v;
    while (s[0] && s[0] != '\n' && s[0] != '\r') {
        if (n == cap || sscanf(s, "%2x", &v) != 1) return -1;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

/* Read the next vector; returns 1, or 0 at the end of the file. */
static int next_vector(FILE *f, kat_t *k, int *count)
{
    char line[512];
    int have = 0, n;
    while (fgets(line, sizeof line, f)) {
        char *eq = strstr(line, " = ");
        const char *v = eq ? eq + 3 : "";
        if (line[0] == '#' || !eq) {
            if (have == 6) return 1;
            continue;
        }
        if (!strncmp(line, "Count", 5)) { sscanf(v, "%d", count); have = 1; continue; }
        if (!strncmp(line, "Key", 3)) n = parse_hex(v, k->key, 16);
        else if (!strncmp(line, "Nonce", 5)) n = parse_hex(v, k->nonce, 16);
        else if (!strncmp(line, "PT", 2)) n = parse_hex(v, k->pt, MAXB), k->pt_len = (uint32_t)n;
        else if (!strncmp(line, "AD", 2)) n = parse_hex(v, k->ad, MAXB), k->ad_len = (uint32_t)n;
        else n = parse_hex(v, k->ct, MAXB + 16), k->ct_len = (uint32_t)n;
        if (n < 0) { printf("malformed KAT line: %s", line); return 0; }
        have++;
    }
    return have == 6;
}

static void check_vector(const kat_t *k, int count)
{
    uint8_t out[MAXB], tag[16], buf[MAXB], nonce[16], ad[MAXB], ct[MAXB + 16];
    uint32_t len = k->pt_len, bit;
    CHECK(k->ct_len == len + 16, "CT is PT + 16 bytes");
    mn_ascon_encrypt(k->key, k->nonce, k->ad, k->ad_len, k->pt, out, len, tag);
    CHECK(memcmp(out, k->ct, len) == 0 && memcmp(tag, k->ct + len, 16) == 0, "encrypt matches KAT");
    memcpy(buf, k->pt, len);
    mn_ascon_encrypt(k->key, k->nonce, k->ad, k->ad_len, buf, buf, len, tag);
    CHECK(memcmp(buf, k->ct, len) == 0 && memcmp(tag, k->ct + len, 16) == 0, "in-place encrypt matches KAT");
    memset(out, 0xEE, sizeof out);
    CHECK(mn_ascon_decrypt(k->key, k->nonce, k->ad, k->ad_len, k->ct, out, len, k->ct + len) == 0, "decrypt accepts KAT");
    CHECK(memcmp(out, k->pt, len) == 0, "decrypt gives PT");
    /* every single-bit flip of ciphertext+tag, associated data and nonce is rejected */
    for (bit = 0; bit < (len + 16) * 8; ++bit) {
        memcpy(ct, k->ct, len + 16);
        ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        memset(out, 0xEE, sizeof out);
        CHECK(mn_ascon_decrypt(k->key, k->nonce, k->ad, k->ad_len, ct, out, len, ct + len) == 1, "flipped CT/tag rejected");
        CHECK(len == 0 || (out[0] == 0 && memcmp(out, out + 1, len - 1) == 0), "rejected output zeroed");
    }
    for (bit = 0; bit < k->ad_len * 8; ++bit) {
        memcpy(ad, k->ad, k->ad_len);
        ad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(mn_ascon_decrypt(k->key, k->nonce, ad, k->ad_len, k->ct, out, len, k->ct + len) == 1, "flipped AD rejected");
    }
    for (bit = 0; bit < 128; ++bit) {
        memcpy(nonce, k->nonce, 16);
        nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(mn_ascon_decrypt(k->key, nonce, k->ad, k->ad_len, k->ct, out, len, k->ct + len) == 1, "flipped nonce rejected");
    }
}

int main(int argc, char **argv)
{
    kat_t k;
    int count = 0, vectors = 0;
    FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
    if (!f) {
        printf("usage: test_ascon KAT_FILE (could not open it)\n");
        return 1;
    }
    memset(&k, 0, sizeof k);
    while (next_vector(f, &k, &count)) {
        check_vector(&k, count);
        vectors++;
        memset(&k, 0, sizeof k);
    }
    fclose(f);
    if (vectors != 63) {
        printf("FAIL read %d KAT vectors, expected 63\n", vectors);
        failed++;
    }
    printf("test_ascon: %d KAT vectors, %d checks passed, %d failed\n", vectors, passed, failed);
    return failed != 0;
}
