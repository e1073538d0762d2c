/*
 * Cost of the link layer per frame on an MCU: FRAMES one-fragment tensors of a full
 * payload (MESHNN_FRAME_PAYLOAD bytes) are sent (MODE >= 1: mn_link_send_tensor, which
 * seals or checksums each frame) and received (MODE 2: mn_link_rx_accept, which opens or
 * checks it and copies it into the tensor). MODE 0 is the empty loop. Built and run
 * under QEMU by scripts/link_cost.sh, which counts the instructions of each MODE and
 * divides the differences by FRAMES. Exit status 1 if a frame is not accepted.
 */
#include <stdio.h>

#include "meshnn_link.h"

static meshnn_frame_t last_;
int meshnn_link_send(const meshnn_frame_t *frame)
{
    last_ = *frame;
    return 0;
}
int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame)
{
    (void)self;
    (void)frame;
    return 0;
}
uint32_t meshnn_now_us(void) { return 0; }
#if MESHNN_LINK_AUTH
static const uint8_t key_[MESHNN_LINK_KEY_BYTES] = {0x6d, 0x65, 0x73, 0x68, 0x6e, 0x6e, 0x2d, 0x62,
                                                    0x65, 0x6e, 0x63, 0x68, 0x2d, 0x6b, 0x65, 0x79};
const uint8_t *meshnn_link_key(void) { return key_; }
uint32_t meshnn_link_epoch(void) { return 1; }
#endif

static uint8_t data_[MESHNN_FRAME_PAYLOAD], dst_[MESHNN_FRAME_PAYLOAD], got_[1];

int main(void)
{
    mn_rx_t rx;
    uint32_t i;
    for (i = 0; i < MESHNN_FRAME_PAYLOAD; ++i) data_[i] = (uint8_t)(i * 7);
    rx.tensor = 7; rx.src = 1; rx.bytes = MESHNN_FRAME_PAYLOAD; rx.frag_count = 1; rx.n_got = 0;
    rx.data = dst_; rx.got = got_; rx.fallback = MN_FALLBACK_ZERO; rx.hold = 0; rx.mean = 0;
    rx.win_epoch = 0; rx.win_seq = 0;
    for (i = 1; i <= FRAMES; ++i) {
        if (MODE >= 1) (void)mn_link_send_tensor(1, 2, 7, i, data_, MESHNN_FRAME_PAYLOAD);
        if (MODE >= 2) {
            mn_link_rx_reset(&rx, 1);
            if (mn_link_rx_accept(&rx, 1, 2, i, &last_) != 1 || dst_[5] != data_[5]) return 1;
        }
    }
    printf("%d frames\n", FRAMES);
    return 0;
}
