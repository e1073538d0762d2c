/* meshnn link layer: the platform HAL seen as wire bytes (see meshnn_link.h), for a link
 * layer written in another language inside a C harness (the Rust runtime's CHal). */
#include <string.h>

#include "meshnn_link.h"

int meshnn_link_send_wire(const uint8_t *buf, uint32_t n)
{
    static meshnn_frame_t f; /* one frame buffer, reused (no stack-hungry locals) */
    if (!buf || mn_link_decode(buf, n, &f) != 0) return 1;
    return meshnn_link_send(&f) != 0;
}

uint32_t meshnn_link_poll_wire(uint8_t self, uint8_t *buf, uint32_t cap)
{
    static meshnn_frame_t f;
    uint32_t n;
    if (!buf) return 0;
    while (meshnn_link_poll(self, &f)) {
        n = mn_link_encode(&f, buf, cap);
        if (n) return n; /* else too long for `buf`: dropped, as a radio drops it */
    }
    return 0;
}

int meshnn_link_key_wire(uint8_t *key)
{
#if MESHNN_LINK_AUTH
    const uint8_t *k = meshnn_link_key();
    if (!k || !key) return 0;
    memcpy(key, k, MESHNN_LINK_KEY_BYTES);
    return 1;
#else
    (void)key;
    return 0;
#endif
}

uint32_t meshnn_link_epoch_wire(void)
{
#if MESHNN_LINK_AUTH
    return meshnn_link_epoch();
#else
    return 0;
#endif
}
