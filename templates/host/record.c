/*
 * Frame recorder for `meshnn run --on qemu`, added by meshnn to the host harness: it wraps
 * the in-memory link's meshnn_link_send() (link_host.c, included below under another
 * name) and, when $MESHNN_RECORD_DIR is set, appends every frame to
 * $MESHNN_RECORD_DIR/rx_<dst>.bin (what device dst receives, in order) and
 * $MESHNN_RECORD_DIR/tx_<src>.bin (what device src sends). Each frame is stored as the
 * 20-byte little-endian header of meshnn_link.h then `len` payload bytes.
 */
#include <stdio.h>
#include <stdlib.h>

#define meshnn_link_send meshnn_host_link_send_
#include "link_host.c.inc"
#undef meshnn_link_send

int meshnn_link_send(const meshnn_frame_t *frame);

static void rec_put(uint8_t *p, uint32_t v, int n)
{
    int i;
    for (i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void rec_append(const char *dir, const char *kind, int dev, const uint8_t *h,
                       const meshnn_frame_t *frame)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s_%d.bin", dir, kind, dev);
    f = fopen(path, "ab");
    if (!f) return;
    fwrite(h, 1, MESHNN_FRAME_HEADER_BYTES, f);
    if (frame->len <= MESHNN_FRAME_PAYLOAD) fwrite(frame->payload, 1, frame->len, f);
    fclose(f);
}

int meshnn_link_send(const meshnn_frame_t *frame)
{
    const char *dir = getenv("MESHNN_RECORD_DIR");
    if (dir && *dir) {
        uint8_t h[MESHNN_FRAME_HEADER_BYTES];
        h[0] = frame->version;
        h[1] = frame->src;
        h[2] = frame->dst;
        h[3] = frame->reserved;
        rec_put(h + 4, frame->tensor, 2);
        rec_put(h + 6, frame->frag_index, 2);
        rec_put(h + 8, frame->frag_count, 2);
        rec_put(h + 10, frame->len, 2);
        rec_put(h + 12, frame->seq, 4);
        rec_put(h + 16, frame->crc, 4);
        rec_append(dir, "rx", frame->dst, h, frame);
        rec_append(dir, "tx", frame->src, h, frame);
    }
    return meshnn_host_link_send_(frame);
}
