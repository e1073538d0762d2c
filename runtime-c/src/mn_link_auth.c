/* meshnn link layer: sealing and opening authenticated frames with Ascon-AEAD128 (the
 * frame format, nonce and key HAL are described in meshnn_link.h). */
#include <string.h>

#include "meshnn_link.h"
#include "mn_ascon.h"

#if MESHNN_LINK_AUTH

/* src | dst | tensor | frag_index | seq | epoch | 0 0, little endian: unique per frame
 * a device sends under one key (meshnn_link.h says why). */
static void frame_nonce(const meshnn_frame_t *f, uint8_t nonce[MN_ASCON_NONCE_BYTES])
{
    int b;
    nonce[0] = f->src;
    nonce[1] = f->dst;
    nonce[2] = (uint8_t)(f->tensor & 0xFF); nonce[3] = (uint8_t)(f->tensor >> 8);
    nonce[4] = (uint8_t)(f->frag_index & 0xFF); nonce[5] = (uint8_t)(f->frag_index >> 8);
    for (b = 0; b < 4; ++b) nonce[6 + b] = (uint8_t)(f->seq >> (8 * b));
    for (b = 0; b < 4; ++b) nonce[10 + b] = (uint8_t)(f->epoch >> (8 * b));
    nonce[14] = 0;
    nonce[15] = 0;
}

int mn_link_seal(meshnn_frame_t *f)
{
    uint8_t nonce[MN_ASCON_NONCE_BYTES], hdr[MESHNN_FRAME_HEADER_BYTES];
    const uint8_t *key = meshnn_link_key();
    if (!key || f->len > MESHNN_FRAME_PAYLOAD) return 1;
    f->epoch = meshnn_link_epoch();
    f->crc = 0;
    frame_nonce(f, nonce);
    mn_link_header(f, f->epoch, hdr);
    mn_ascon_encrypt(key, nonce, hdr, MESHNN_FRAME_HEADER_BYTES, f->payload, f->payload, f->len, f->tag);
    return 0;
}

int mn_link_open(const meshnn_frame_t *f, uint8_t *plain)
{
    uint8_t nonce[MN_ASCON_NONCE_BYTES], hdr[MESHNN_FRAME_HEADER_BYTES];
    const uint8_t *key = meshnn_link_key();
    if (!key || f->len > MESHNN_FRAME_PAYLOAD) return 1;
    frame_nonce(f, nonce);
    mn_link_header(f, f->epoch, hdr);
    return mn_ascon_decrypt(key, nonce, hdr, MESHNN_FRAME_HEADER_BYTES, f->payload, plain, f->len, f->tag);
}

#else
typedef int mn_link_auth_unused_t; /* ISO C: a translation unit must not be empty */
#endif
