/* meshnn link layer: fragmentation, CRC and reassembly (see meshnn_link.h). */
#include <string.h>

#include "meshnn_link.h"

uint32_t mn_link_crc(const meshnn_frame_t *f)
{
    uint8_t hdr[MESHNN_FRAME_HEADER_BYTES];
    uint32_t crc = 0xFFFFFFFFu;
    uint32_t i, n;
    int b;
    hdr[0] = f->version; hdr[1] = f->src; hdr[2] = f->dst; hdr[3] = f->reserved;
    hdr[4] = (uint8_t)(f->tensor & 0xFF); hdr[5] = (uint8_t)(f->tensor >> 8);
    hdr[6] = (uint8_t)(f->frag_index & 0xFF); hdr[7] = (uint8_t)(f->frag_index >> 8);
    hdr[8] = (uint8_t)(f->frag_count & 0xFF); hdr[9] = (uint8_t)(f->frag_count >> 8);
    hdr[10] = (uint8_t)(f->len & 0xFF); hdr[11] = (uint8_t)(f->len >> 8);
    for (b = 0; b < 4; ++b) hdr[12 + b] = (uint8_t)(f->seq >> (8 * b));
    for (b = 0; b < 4; ++b) hdr[16 + b] = 0; /* the crc field itself */
    n = f->len <= MESHNN_FRAME_PAYLOAD ? f->len : MESHNN_FRAME_PAYLOAD;
    for (i = 0; i < MESHNN_FRAME_HEADER_BYTES + n; ++i) {
        crc ^= i < MESHNN_FRAME_HEADER_BYTES ? hdr[i] : f->payload[i - MESHNN_FRAME_HEADER_BYTES];
        for (b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int mn_link_send_tensor(uint8_t src, uint8_t dst, uint16_t tensor, uint32_t seq,
                        const void *data, uint32_t bytes)
{
    static meshnn_frame_t f; /* one frame buffer, reused (no stack-hungry locals) */
    const uint8_t *p = (const uint8_t *)data;
    uint16_t count = MN_LINK_FRAGS(bytes), i;
    int refused = 0;
    if (count == 0) count = 1;
    for (i = 0; i < count; ++i) {
        uint32_t off = (uint32_t)i * MESHNN_FRAME_PAYLOAD;
        uint32_t len = bytes - off < MESHNN_FRAME_PAYLOAD ? bytes - off : MESHNN_FRAME_PAYLOAD;
        if (off > bytes) len = 0;
        f.version = MESHNN_FRAME_VERSION;
        f.src = src;
        f.dst = dst;
        f.reserved = 0;
        f.tensor = tensor;
        f.frag_index = i;
        f.frag_count = count;
        f.len = (uint16_t)len;
        f.seq = seq;
        if (len) memcpy(f.payload, p + off, len);
        f.crc = mn_link_crc(&f);
        if (meshnn_link_send(&f) != 0) refused++;
    }
    return refused;
}

void mn_link_rx_reset(mn_rx_t *rx, int n)
{
    int i;
    for (i = 0; i < n; ++i) {
        memset(rx[i].got, 0, (size_t)((rx[i].frag_count + 7) / 8));
        rx[i].n_got = 0;
    }
}

int mn_link_rx_accept(mn_rx_t *rx, int n, uint8_t self, uint32_t seq, const meshnn_frame_t *f)
{
    int i;
    uint32_t off, expect;
    mn_rx_t *r = 0;
    if (f->version != MESHNN_FRAME_VERSION || f->dst != self || f->seq != seq) return 0;
    if (f->len > MESHNN_FRAME_PAYLOAD || f->crc != mn_link_crc(f)) return 0;
    for (i = 0; i < n; ++i) {
        if (rx[i].tensor == f->tensor && rx[i].src == f->src) { r = &rx[i]; break; }
    }
    if (!r || f->frag_count != r->frag_count || f->frag_index >= r->frag_count) return 0;
    off = (uint32_t)f->frag_index * MESHNN_FRAME_PAYLOAD;
    expect = r->bytes - off < MESHNN_FRAME_PAYLOAD ? r->bytes - off : MESHNN_FRAME_PAYLOAD;
    if (f->len != expect) return 0;
    if (r->got[f->frag_index / 8] & (1u << (f->frag_index % 8))) return 0; /* duplicate */
    memcpy(r->data + off, f->payload, f->len);
    r->got[f->frag_index / 8] = (uint8_t)(r->got[f->frag_index / 8] | (1u << (f->frag_index % 8)));
    r->n_got++;
    return 1;
}
