/*
 * The C side of the link differential tests (crates/runtime-diff/tests/link.rs): a
 * platform HAL that records every frame sent as its wire bytes and delivers an inbox,
 * with a settable clock, key and epoch, and a C receiver (mn_rx_t array) driven through
 * small functions, so the Rust tests need no mirror of the C structs.
 */
#include <string.h>

#include "meshnn_link.h"

#define MAX_SENT 256
#define MAX_RX 4
#define MAX_GOT 64

static uint8_t sent_[MAX_SENT][MESHNN_MTU_BYTES];
static uint32_t sent_len_[MAX_SENT];
static int n_sent_;
static meshnn_frame_t inbox_[MAX_SENT];
static int inbox_head_, inbox_len_;
static uint32_t now_;
static uint8_t key_[MESHNN_LINK_KEY_BYTES];
static int have_key_;
static uint32_t epoch_;

int meshnn_link_send(const meshnn_frame_t *frame)
{
    uint32_t n;
    if (n_sent_ == MAX_SENT) return 1;
    n = mn_link_encode(frame, sent_[n_sent_], MESHNN_MTU_BYTES);
    if (!n) return 1;
    sent_len_[n_sent_++] = n;
    return 0;
}

int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame)
{
    while (inbox_len_ > 0) {
        const meshnn_frame_t *f = &inbox_[inbox_head_];
        inbox_head_ = (inbox_head_ + 1) % MAX_SENT;
        inbox_len_--;
        if (f->dst == self) { *frame = *f; return 1; }
    }
    return 0;
}

uint32_t meshnn_now_us(void) { return now_; }
const uint8_t *meshnn_link_key(void) { return have_key_ ? key_ : 0; }
uint32_t meshnn_link_epoch(void) { return epoch_; }

void diff_set_now(uint32_t now) { now_ = now; }
void diff_set_epoch(uint32_t epoch) { epoch_ = epoch; }
/* The deployment key, or none (NULL). */
void diff_set_key(const uint8_t *key)
{
    have_key_ = key != 0;
    if (key) memcpy(key_, key, MESHNN_LINK_KEY_BYTES);
}

/* Frames sent so far, and the wire bytes of frame `i` (its length; 0 past the end). */
int diff_sent_count(void) { return n_sent_; }
uint32_t diff_sent(int i, uint8_t *buf, uint32_t cap)
{
    if (i < 0 || i >= n_sent_ || cap < sent_len_[i]) return 0;
    memcpy(buf, sent_[i], sent_len_[i]);
    return sent_len_[i];
}
void diff_sent_clear(void) { n_sent_ = 0; }

/* Queue wire bytes for meshnn_link_poll; 0 when queued, non-zero when not a frame. */
int diff_inbox_push(const uint8_t *buf, uint32_t n)
{
    meshnn_frame_t f;
    if (inbox_len_ == MAX_SENT || mn_link_decode(buf, n, &f) != 0) return 1;
    inbox_[(inbox_head_ + inbox_len_++) % MAX_SENT] = f;
    return 0;
}

/* ---- a C receiver: rx_[0..n_rx_) of device self_, expecting inference seq_ ---- */
static mn_rx_t rx_[MAX_RX];
static uint8_t got_[MAX_RX][MAX_GOT];
static int n_rx_;
static uint8_t self_;
static uint32_t seq_;

void diff_rx_init(uint8_t self, int n)
{
    memset(rx_, 0, sizeof rx_);
    self_ = self;
    n_rx_ = n < MAX_RX ? n : MAX_RX;
}

/* Tensor `i`: `tensor` of `bytes` bytes from `src` into `data`; `hold` and `mean` may be NULL. */
int diff_rx_add(int i, uint16_t tensor, uint8_t src, uint32_t bytes, int fallback, void *data,
                void *hold, const void *mean, uint8_t zero)
{
    mn_rx_t *r = &rx_[i];
    if (i < 0 || i >= n_rx_ || (MN_LINK_FRAGS(bytes) + 7) / 8 > MAX_GOT) return 1;
    r->tensor = tensor;
    r->src = src;
    r->bytes = bytes;
    r->frag_count = MN_LINK_FRAGS(bytes);
    r->data = (uint8_t *)data;
    r->got = got_[i];
    r->fallback = fallback;
    r->hold = hold;
    r->mean = mean;
    r->zero = zero;
    return 0;
}

void diff_rx_begin(uint32_t seq)
{
    seq_ = seq;
    mn_link_rx_reset(rx_, n_rx_);
}

/* mn_link_decode then mn_link_rx_accept: 1 when the fragment was copied. */
int diff_rx_offer(const uint8_t *buf, uint32_t n)
{
    meshnn_frame_t f;
    if (mn_link_decode(buf, n, &f) != 0) return 0;
    return mn_link_rx_accept(rx_, n_rx_, self_, seq_, &f);
}

int diff_rx_finish(int i) { return mn_link_rx_finish(&rx_[i]); }
int diff_rx_state(int i) { return mn_link_rx_state(&rx_[i]); }
uint32_t diff_rx_wait_us(int i)
{
    return mn_link_rx_wait_us(&rx_[i], MESHNN_DEADLINE_US, MESHNN_PROBE_US, MESHNN_DOWN_AFTER);
}
void diff_rx_arrived_at(int i, uint32_t elapsed) { mn_link_rx_arrived_at(&rx_[i], elapsed); }
/* n_got, missed, done, usual_us of tensor `i`, in that order. */
void diff_rx_counters(int i, uint32_t out[4])
{
    out[0] = rx_[i].n_got;
    out[1] = rx_[i].missed;
    out[2] = rx_[i].done;
    out[3] = rx_[i].usual_us;
}
