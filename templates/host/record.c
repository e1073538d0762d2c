/*
 * Frame recorder for `meshnn run --on qemu`, added by meshnn to the host harness: it wraps
 * the in-memory link's meshnn_link_send() (link_host.c, included below under another
 * name) and, when $MESHNN_RECORD_DIR is set, appends every frame to
 * $MESHNN_RECORD_DIR/rx_<dst>.bin (what device dst receives, in order) and
 * $MESHNN_RECORD_DIR/tx_<src>.bin (what device src sends). Each frame is stored as it
 * goes on air (mn_link_encode: the 20-byte header, `len` payload bytes, and the tag of
 * an authenticated frame).
 */
#include <stdio.h>
#include <stdlib.h>

#define meshnn_link_send meshnn_host_link_send_
#include "link_host.c.inc"
#undef meshnn_link_send

int meshnn_link_send(const meshnn_frame_t *frame);

#define REC_FRAME_MAX (MESHNN_FRAME_HEADER_BYTES + MESHNN_FRAME_PAYLOAD + MESHNN_FRAME_TAG_BYTES)

static void rec_append(const char *dir, const char *kind, int dev, const uint8_t *wire, uint32_t n)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s_%d.bin", dir, kind, dev);
    f = fopen(path, "ab");
    if (!f) return;
    fwrite(wire, 1, n, f);
    fclose(f);
}

int meshnn_link_send(const meshnn_frame_t *frame)
{
    const char *dir = getenv("MESHNN_RECORD_DIR");
    if (dir && *dir) {
        uint8_t wire[REC_FRAME_MAX];
        uint32_t n = mn_link_encode(frame, wire, sizeof wire);
        if (n) {
            rec_append(dir, "rx", frame->dst, wire, n);
            rec_append(dir, "tx", frame->src, wire, n);
        }
    }
    return meshnn_host_link_send_(frame);
}
