/*
 * Ascon-AEAD128 (NIST SP 800-232, August 2025): authenticated encryption with a
 * 128-bit key, a 128-bit nonce and a 128-bit tag. Portable C99, no heap, no tables;
 * the tag comparison takes the same time whatever the bytes.
 *
 * A nonce must never be used twice under one key (see meshnn_link.h for how the link
 * layer derives its nonces).
 */
#ifndef MN_ASCON_H
#define MN_ASCON_H

#include <stdint.h>

#define MN_ASCON_KEY_BYTES 16
#define MN_ASCON_NONCE_BYTES 16
#define MN_ASCON_TAG_BYTES 16

/* Encrypt `len` bytes of `in` to `out` (they may be the same buffer), authenticating
 * them and the `ad_len` bytes of associated data `ad`; writes the 16-byte tag. */
void mn_ascon_encrypt(const uint8_t key[MN_ASCON_KEY_BYTES],
                      const uint8_t nonce[MN_ASCON_NONCE_BYTES], const uint8_t *ad,
                      uint32_t ad_len, const uint8_t *in, uint8_t *out, uint32_t len,
                      uint8_t tag[MN_ASCON_TAG_BYTES]);

/* Decrypt `len` bytes of ciphertext `in` to `out` (may be the same buffer) and check
 * `tag`. Returns 0 when the tag is right; otherwise returns 1 and zeroes `out`, so no
 * unauthenticated plaintext is ever left behind. */
int mn_ascon_decrypt(const uint8_t key[MN_ASCON_KEY_BYTES],
                     const uint8_t nonce[MN_ASCON_NONCE_BYTES], const uint8_t *ad,
                     uint32_t ad_len, const uint8_t *in, uint8_t *out, uint32_t len,
                     const uint8_t tag[MN_ASCON_TAG_BYTES]);

#endif /* MN_ASCON_H */
