/*
 * Probe for compiler/tests/ascon_differential.rs: runs runtime-c's Ascon-AEAD128 on the
 * cases read from stdin, one per line, fields in hex ("-" for empty):
 *   E key nonce ad plaintext          -> "ciphertext tag"
 *   D key nonce ad ciphertext tag     -> "ok plaintext" or "fail" (and checks that a
 *                                        rejected plaintext is all zeros)
 */
#include <stdio.h>
#include <string.h>

#include "mn_ascon.h"

#define MAXB 512

static int hex_in(const char *s, uint8_t *out, int cap)
{
    int n = 0;
    unsigned v;
    if (!strcmp(s, "-")) return 0;
    while (*s) {
        if (n == cap || sscanf(s, "%2x", &v) != 1) return -1;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void hex_out(const uint8_t *b, int n)
{
    int i;
    if (!n) putchar('-');
    for (i = 0; i < n; ++i) printf("%02x", b[i]);
}

int main(void)
{
    static char line[8192];
    static char op[4], f1[64], f2[64], f3[2 * MAXB + 2], f4[2 * MAXB + 2], f5[64];
    static uint8_t key[16], nonce[16], ad[MAXB], in[MAXB], out[MAXB], tag[16];
    while (fgets(line, sizeof line, stdin)) {
        int ad_len, len, i, bad = 0;
        if (sscanf(line, "%3s %63s %63s %1024s %1024s %63s", op, f1, f2, f3, f4, f5) < 5) return 2;
        if (hex_in(f1, key, 16) != 16 || hex_in(f2, nonce, 16) != 16) return 2;
        ad_len = hex_in(f3, ad, MAXB);
        len = hex_in(f4, in, MAXB);
        if (ad_len < 0 || len < 0) return 2;
        if (op[0] == 'E') {
            mn_ascon_encrypt(key, nonce, ad, (uint32_t)ad_len, in, out, (uint32_t)len, tag);
            hex_out(out, len);
            putchar(' ');
            hex_out(tag, 16);
        } else {
            if (hex_in(f5, tag, 16) != 16) return 2;
            memset(out, 0xEE, sizeof out);
            if (mn_ascon_decrypt(key, nonce, ad, (uint32_t)ad_len, in, out, (uint32_t)len, tag) == 0) {
                printf("ok ");
                hex_out(out, len);
            } else {
                for (i = 0; i < len; ++i) bad |= out[i];
                printf(bad ? "fail-not-zeroed" : "fail");
            }
        }
        putchar('\n');
    }
    return 0;
}
