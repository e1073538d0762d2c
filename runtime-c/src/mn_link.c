/* meshnn link layer: fragmentation, CRC and reassembly (see meshnn_link.h); the
 * authenticated frames' sealing and opening are in mn_link_auth.c. */
#include <string.h>

#include "meshnn_link.h"

void mn_link_header(const meshnn_frame_t *f, uint32_t last_word, uint8_t *hdr)
{
    int b;
    hdr[0] = f->version; hdr[1] = f->src; hdr[2] = f->dst; hdr[3] = f->reserved;
    hdr[4] = (uint8_t)(f->tensor & 0xFF); hdr[5] = (uint8_t)(f->tensor >> 8);
    hdr[6] = (uint8_t)(f->frag_index & 0xFF); hdr[7] = (uint8_t)(f->frag_index >> 8);
    hdr[8] = (uint8_t)(f->frag_count & 0xFF); hdr[9] = (uint8_t)(f->frag_count >> 8);
    hdr[10] = (uint8_t)(f->len & 0xFF); hdr[11] = (uint8_t)(f->len >> 8);
    for (b = 0; b < 4; ++b) hdr[12 + b] = (uint8_t)(f->seq >> (8 * b));
    for (b = 0; b < 4; ++b) hdr[16 + b] = (uint8_t)(last_word >> (8 * b));
}

uint32_t mn_link_crc(const meshnn_frame_t *f)
{
    uint8_t hdr[MESHNN_FRAME_HEADER_BYTES];
    uint32_t n = f->len <= MESHNN_FRAME_PAYLOAD ? f->len : MESHNN_FRAME_PAYLOAD;
    mn_link_header(f, 0, hdr); /* the crc field counts as zero */
    return mn_crc32(mn_crc32(0, hdr, MESHNN_FRAME_HEADER_BYTES), f->payload, n);
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
        f.crc = 0;
        f.tensor = tensor;
        f.frag_index = i;
        f.frag_count = count;
        f.len = (uint16_t)len;
        f.seq = seq;
        if (len) memcpy(f.payload, p + off, len);
#if MESHNN_LINK_AUTH
        if (mn_link_seal(&f) != 0) { refused++; continue; }
#else
        f.crc = mn_link_crc(&f);
#endif
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
        rx[i].done = 0;
    }
}

/* The tensor of `rx[0..n)` a well-formed fragment `f` for device `self` and inference
 * `seq` belongs to, or NULL. Checks only what the header says. */
static mn_rx_t *rx_target(mn_rx_t *rx, int n, uint8_t self, uint32_t seq, const meshnn_frame_t *f)
{
    int i;
    uint32_t off, expect;
    mn_rx_t *r = 0;
    if (f->version != MESHNN_FRAME_VERSION || f->dst != self || f->seq != seq) return 0;
    if (f->len > MESHNN_FRAME_PAYLOAD) return 0;
    for (i = 0; i < n; ++i) {
        if (rx[i].tensor == f->tensor && rx[i].src == f->src) { r = &rx[i]; break; }
    }
    if (!r || f->frag_count != r->frag_count || f->frag_index >= r->frag_count) return 0;
    off = (uint32_t)f->frag_index * MESHNN_FRAME_PAYLOAD;
    expect = r->bytes - off < MESHNN_FRAME_PAYLOAD ? r->bytes - off : MESHNN_FRAME_PAYLOAD;
    if (f->len != expect) return 0;
    return r;
}

/* Copy an authentic fragment's plaintext into its tensor and mark it received; returns
 * 1, or 0 for a duplicate or a fragment of a finished tensor (too late: its fallback is
 * in place and its buffer may be reused; it only shows that the sender is up). */
static int rx_store(mn_rx_t *r, const meshnn_frame_t *f, const uint8_t *plain)
{
    if (r->done) {
        r->missed = 0;
        return 0;
    }
    if (r->got[f->frag_index / 8] & (1u << (f->frag_index % 8))) return 0; /* duplicate */
    memcpy(r->data + (uint32_t)f->frag_index * MESHNN_FRAME_PAYLOAD, plain, f->len);
    r->got[f->frag_index / 8] = (uint8_t)(r->got[f->frag_index / 8] | (1u << (f->frag_index % 8)));
    r->n_got++;
    return 1;
}

int mn_link_rx_accept(mn_rx_t *rx, int n, uint8_t self, uint32_t seq, const meshnn_frame_t *f)
{
#if MESHNN_LINK_AUTH
    static uint8_t plain[MESHNN_FRAME_PAYLOAD]; /* decrypted here; used only if authentic */
    mn_rx_t *r = rx_target(rx, n, self, seq, f);
    if (!r) return 0;
    if (f->epoch < r->win_epoch || (f->epoch == r->win_epoch && f->seq < r->win_seq)) return 0; /* replay */
    if (mn_link_open(f, plain) != 0) return 0; /* forged, tampered or another key */
    r->win_epoch = f->epoch;
    r->win_seq = f->seq;
    return rx_store(r, f, plain);
#else
    mn_rx_t *r = rx_target(rx, n, self, seq, f);
    if (!r || f->crc != mn_link_crc(f)) return 0;
    return rx_store(r, f, f->payload);
#endif
}

uint32_t mn_link_encode(const meshnn_frame_t *f, uint8_t *buf, uint32_t cap)
{
    uint32_t n = (uint32_t)MESHNN_FRAME_HEADER_BYTES + f->len + MESHNN_FRAME_TAG_BYTES;
    if (f->len > MESHNN_FRAME_PAYLOAD || cap < n) return 0;
#if MESHNN_LINK_AUTH
    mn_link_header(f, f->epoch, buf);
    memcpy(buf + MESHNN_FRAME_HEADER_BYTES + f->len, f->tag, MESHNN_FRAME_TAG_BYTES);
#else
    mn_link_header(f, f->crc, buf);
#endif
    memcpy(buf + MESHNN_FRAME_HEADER_BYTES, f->payload, f->len);
    return n;
}

int mn_link_decode(const uint8_t *buf, uint32_t n, meshnn_frame_t *f)
{
    static meshnn_frame_t t; /* parsed here first: *f is untouched on error */
    uint32_t len, last;
    if (n < MESHNN_FRAME_HEADER_BYTES) return 1;                    /* truncated header */
    len = (uint32_t)buf[10] | ((uint32_t)buf[11] << 8);
    if (len > MESHNN_FRAME_PAYLOAD) return 2;                       /* oversized */
    if (n != MESHNN_FRAME_HEADER_BYTES + len + MESHNN_FRAME_TAG_BYTES) return 3; /* truncated / trailing */
    t.version = buf[0];
    if (t.version != MESHNN_FRAME_VERSION) return 4;
    t.src = buf[1];
    t.dst = buf[2];
    t.reserved = buf[3];
    t.tensor = (uint16_t)(buf[4] | (buf[5] << 8));
    t.frag_index = (uint16_t)(buf[6] | (buf[7] << 8));
    t.frag_count = (uint16_t)(buf[8] | (buf[9] << 8));
    t.len = (uint16_t)len;
    t.seq = (uint32_t)buf[12] | ((uint32_t)buf[13] << 8) | ((uint32_t)buf[14] << 16) | ((uint32_t)buf[15] << 24);
    last = (uint32_t)buf[16] | ((uint32_t)buf[17] << 8) | ((uint32_t)buf[18] << 16) | ((uint32_t)buf[19] << 24);
    memcpy(t.payload, buf + MESHNN_FRAME_HEADER_BYTES, len);
#if MESHNN_LINK_AUTH
    t.crc = 0;
    t.epoch = last; /* the tag is checked by mn_link_rx_accept */
    memcpy(t.tag, buf + MESHNN_FRAME_HEADER_BYTES + len, MESHNN_FRAME_TAG_BYTES);
#else
    t.crc = last;
    t.epoch = 0;
    if (t.crc != mn_link_crc(&t)) return 5;
#endif
    memcpy(f, &t, sizeof t);
    return 0;
}

int mn_link_rx_state(const mn_rx_t *r)
{
    if (r->n_got == r->frag_count) return 0; /* MESHNN_RX_COMPLETE */
    return r->n_got ? 1 : 2;                 /* PARTIAL : FALLBACK */
}

uint32_t mn_link_rx_wait_us(const mn_rx_t *r, uint32_t deadline_us, uint32_t probe_us,
                            uint32_t down_after)
{
    uint32_t window = probe_us;
    if (!(down_after > 0 && r->missed >= down_after && r->n_got == 0)) return deadline_us;
    if (r->usual_us > 0) {
        uint32_t usual = r->usual_us < deadline_us ? r->usual_us : deadline_us;
        uint32_t learned = usual + usual / 4;
        if (learned > window) window = learned;
    }
    return window < deadline_us ? window : deadline_us;
}

void mn_link_rx_arrived_at(mn_rx_t *r, uint32_t elapsed_us)
{
    if (elapsed_us >= r->usual_us) r->usual_us = elapsed_us;
    else r->usual_us -= (r->usual_us - elapsed_us) / 8;
}

int mn_link_rx_finish(mn_rx_t *r)
{
    uint16_t i;
    r->done = 1;
    if (r->n_got) r->missed = 0;
    else if (r->missed < 255) r->missed++;
    for (i = 0; i < r->frag_count; ++i) {
        uint32_t off = (uint32_t)i * MESHNN_FRAME_PAYLOAD;
        uint32_t len = r->bytes - off < MESHNN_FRAME_PAYLOAD ? r->bytes - off : MESHNN_FRAME_PAYLOAD;
        uint8_t *dst = r->data + off;
        if (r->got[i / 8] & (1u << (i % 8))) {
            if (r->hold) memcpy((uint8_t *)r->hold + off, dst, len); /* remember for HOLD */
            continue;
        }
        if (r->fallback == MN_FALLBACK_HOLD && r->hold) memcpy(dst, (const uint8_t *)r->hold + off, len);
        else if (r->fallback == MN_FALLBACK_MEAN && r->mean) memcpy(dst, (const uint8_t *)r->mean + off, len);
        else memset(dst, r->zero, len);
    }
    return mn_link_rx_state(r);
}
