/*
 * meshnn link layer: how devices exchange cut tensors.
 *
 * A tensor is sent as one or more frames; each frame carries at most
 * MESHNN_FRAME_PAYLOAD bytes (the deployment's MTU minus the 20-byte header and, when
 * authenticated, the 16-byte tag). Two frame formats, chosen per deployment by
 * MESHNN_LINK_AUTH (meshnn_config.h, from `[link] auth` in deploy.toml):
 *
 * Authenticated (MESHNN_LINK_AUTH 1, the default; version 2):
 *   version u8 | src u8 | dst u8 | reserved u8 | tensor u16 | frag_index u16 |
 *   frag_count u16 | len u16 | seq u32 | epoch u32 | ciphertext[len] | tag[16]
 * The payload is encrypted and the 20 header bytes authenticated with Ascon-AEAD128
 * (NIST SP 800-232, mn_ascon.h) under the deployment key; the full 128-bit tag is sent.
 * There is no CRC: a corrupted frame fails the tag (an accidental error passes with
 * probability 2^-128, far below a CRC-32's 2^-32).
 * The 16-byte nonce is src | dst | tensor u16 | frag_index u16 | seq u32 | epoch u32 |
 * 0 0 (little endian). It never repeats under one key as long as each device sends a
 * given (dst, tensor, fragment) at most once per (epoch, seq): seq numbers inferences
 * and must not go backwards within an epoch, and `epoch` (meshnn_link_epoch(), below)
 * must differ after every reset, so a device that restarts counting seq from 0 uses
 * fresh nonces. A receiver accepts a frame only if its tag is right, its seq is the
 * inference being received and its (epoch, seq) is not older than the last one it
 * accepted from that source for that tensor (the replay window); the fragment is
 * decrypted to a scratch buffer and copied into the tensor only after the tag checked.
 *
 * Unauthenticated (MESHNN_LINK_AUTH 0, `auth = "off"`; version 1) -- UNSAFE: anyone in
 * radio range can forge or replay frames and read every payload:
 *   version u8 | src u8 | dst u8 | reserved u8 | tensor u16 | frag_index u16 |
 *   frag_count u16 | len u16 | seq u32 | crc32 u32 | payload[len]
 * `crc32` (IEEE 802.3) covers the header (with crc = 0) and the payload.
 *
 * Receivers accept fragments in any order and copy each straight into the destination
 * tensor.
 *
 * The payload is the tensor's bytes as they lie in memory: float32 elements, or one byte
 * per element for an int8 tensor of a quantised model (scale and zero point are known
 * at compile time to both ends, so nothing about them is sent). Fragments, reassembly,
 * hold and mean work on bytes; a fragment boundary never splits a float (the payload
 * per frame is a multiple of 4). Only the ZERO fallback depends on the element type: it
 * fills with mn_rx_t.zero, 0 for float32 and the tensor's zero point for int8 (the
 * integer that means 0.0).
 *
 * Porting to a new radio (BLE, UART, human-body communication) means implementing the
 * HAL functions below; nothing else in generated code touches the hardware:
 *
 *   int meshnn_link_send(const meshnn_frame_t *frame);
 *       Queue one frame for transmission to frame->dst. Return 0 when queued, non-zero
 *       when it could not be (the frame is then lost, as on a lossy radio). Must not
 *       block for long; may copy the frame and return.
 *   int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame);
 *       If a frame addressed to device `self` has arrived, copy it to *frame and return
 *       1; otherwise return 0 at once. Never blocks.
 *   uint32_t meshnn_now_us(void);
 *       A free-running microsecond clock (wrap-around is fine).
 *
 * and, for authenticated links only:
 *
 *   const uint8_t *meshnn_link_key(void);
 *       The 16-byte deployment key, shared by every device of the deployment (e.g.
 *       provisioned into a protected flash page at manufacture; `meshnn keygen` writes
 *       one for host tests). Return NULL when there is none: the device then sends and
 *       accepts nothing. Generated sources never contain a key.
 *   uint32_t meshnn_link_epoch(void);
 *       A boot counter: a value this device has never used before with this key, fixed
 *       until the next reset (e.g. a counter in flash incremented at every boot). If it
 *       is not persistent, a reset device reuses nonces and an eavesdropper can XOR two
 *       ciphertexts; see the README's security model.
 */
#ifndef MESHNN_LINK_H
#define MESHNN_LINK_H

#include <stdint.h>

#include "meshnn_config.h" /* generated: MESHNN_MTU_BYTES, MESHNN_DEADLINE_US */

#ifndef MESHNN_LINK_AUTH
#define MESHNN_LINK_AUTH 1 /* secure by default */
#endif

#if MESHNN_LINK_AUTH
#define MESHNN_FRAME_VERSION 2
#define MESHNN_FRAME_TAG_BYTES 16
#else
#define MESHNN_FRAME_VERSION 1
#define MESHNN_FRAME_TAG_BYTES 0
#endif
#define MESHNN_FRAME_HEADER_BYTES 20
#define MESHNN_LINK_KEY_BYTES 16
/* Payload bytes per frame: what the MTU leaves after the header and tag, whole floats only. */
#define MESHNN_FRAME_PAYLOAD ((MESHNN_MTU_BYTES - MESHNN_FRAME_HEADER_BYTES - MESHNN_FRAME_TAG_BYTES) / 4 * 4)

typedef struct {
    uint8_t version;
    uint8_t src;
    uint8_t dst;
    uint8_t reserved;
    uint16_t tensor;
    uint16_t frag_index;
    uint16_t frag_count;
    uint16_t len;
    uint32_t seq;
    uint32_t crc;   /* unauthenticated frames only */
    uint32_t epoch; /* authenticated frames only: the sender's meshnn_link_epoch() */
    uint8_t payload[MESHNN_FRAME_PAYLOAD];
#if MESHNN_LINK_AUTH
    uint8_t tag[MESHNN_FRAME_TAG_BYTES];
#endif
} meshnn_frame_t;

/* The platform HAL (see above). */
int meshnn_link_send(const meshnn_frame_t *frame);
int meshnn_link_poll(uint8_t self, meshnn_frame_t *frame);
uint32_t meshnn_now_us(void);
#if MESHNN_LINK_AUTH
const uint8_t *meshnn_link_key(void);
uint32_t meshnn_link_epoch(void);
#endif

/* What replaces the elements of a received tensor that did not arrive by the deadline. */
typedef enum {
    MN_FALLBACK_ZERO = 0, /* zeros (models trained with failout expect this) */
    MN_FALLBACK_HOLD = 1, /* the last value received for that element */
    MN_FALLBACK_MEAN = 2  /* the per-element mean over calibration data */
} mn_fallback_t;

/* Adaptive waiting: a tensor of which nothing arrived in the last `down_after`
 * inferences comes from a sender that is down (out of range, battery): it is waited for
 * only a probe window instead of the whole deadline: 5/4 of the time the tensor usually
 * is complete (learned from the inferences in which it arrived whole), at least
 * MESHNN_PROBE_US, at most the deadline; MESHNN_PROBE_US while that time is unknown. A
 * sender that comes back is heard within the window, since its tensor arrives when it
 * usually does; as soon as a fragment arrives (within the window, or late for a finished
 * inference) the sender counts as up again and its tensor is waited for until the
 * deadline. down_after = 0: always wait until the deadline. */
#ifndef MESHNN_DOWN_AFTER
#define MESHNN_DOWN_AFTER 0
#endif
#ifndef MESHNN_PROBE_US
#define MESHNN_PROBE_US MESHNN_DEADLINE_US
#endif

/* Reception state of one tensor a device receives. `data` points into the device's
 * arena; `got` is a bitmap with one bit per fragment (frag_count bits); `hold` (HOLD:
 * `bytes` bytes, the last good values) and `mean` (MEAN: `bytes` bytes in flash, the
 * tensor's element type: floats, or int8 quantised like the tensor) are NULL when
 * unused. `zero` is the byte the ZERO fallback writes to every missing byte: 0 for a
 * float32 tensor (0.0f is four zero bytes), the zero point for an int8 one. */
typedef struct {
    uint16_t tensor;
    uint8_t src;
    uint32_t bytes;
    uint16_t frag_count;
    uint16_t n_got;
    uint8_t *data;
    uint8_t *got;
    int32_t fallback; /* mn_fallback_t */
    void *hold;
    const void *mean;
    uint8_t zero;   /* ZERO fallback byte: 0 (float32) or the int8 zero point */
    uint8_t done;   /* finished for this inference: late fragments are not copied */
    uint8_t missed; /* consecutive inferences in which no fragment arrived (saturates) */
    uint32_t usual_us; /* when the tensor usually is complete, from the inference's start */
    uint32_t win_epoch; /* replay window: (epoch, seq) of the last authenticated */
    uint32_t win_seq;   /* fragment accepted; older frames are rejected */
} mn_rx_t;

/* Frames a tensor of `bytes` bytes needs. */
#define MN_LINK_FRAGS(bytes) ((uint16_t)(((bytes) + MESHNN_FRAME_PAYLOAD - 1) / MESHNN_FRAME_PAYLOAD))

/* CRC-32 (IEEE) of a frame's header (crc field taken as 0) and payload. */
uint32_t mn_link_crc(const meshnn_frame_t *f);

/* CRC-32 (IEEE 802.3, as zlib's crc32()) of `n` bytes at `p`, continuing from `crc`
 * (0 to start): mn_crc32(mn_crc32(0, a, na), b, nb) is the CRC of a then b, and
 * mn_crc32(0, "123456789", 9) == 0xCBF43926. Defined in mn_crc32.c: table-driven,
 * slice-by-4 (4 KB of flash) on 32-bit targets and slice-by-16 (16 KB) on 64-bit hosts
 * by default; compile with -DMESHNN_CRC_SMALL for a 64-byte
 * nibble table (about 2x slower, for the smallest parts), or with -DMESHNN_CRC_HAL to
 * use the MCU's CRC peripheral: the application then defines meshnn_crc32_hal() with
 * the same contract as mn_crc32() (the peripheral set to the IEEE polynomial, reflected
 * input and output, initial value and final XOR 0xFFFFFFFF). */
uint32_t mn_crc32(uint32_t crc, const uint8_t *p, uint32_t n);
#ifdef MESHNN_CRC_HAL
uint32_t meshnn_crc32_hal(uint32_t crc, const uint8_t *p, uint32_t n);
#endif

/* The 20 wire-order header bytes of `f`, with `last_word` in the last four (the crc of
 * an unauthenticated frame, the epoch of an authenticated one). */
void mn_link_header(const meshnn_frame_t *f, uint32_t last_word, uint8_t *hdr);

#if MESHNN_LINK_AUTH
/* Authenticated frames (mn_link_auth.c). mn_link_seal sets f->epoch from the HAL,
 * encrypts f->payload in place and writes f->tag; returns 0, or 1 when the HAL has no
 * key (the frame must not be sent). mn_link_open checks the tag of `f` and decrypts its
 * payload to `plain` (MESHNN_FRAME_PAYLOAD bytes); returns 0 when authentic, 1 (and
 * `plain` zeroed) otherwise. */
int mn_link_seal(meshnn_frame_t *f);
int mn_link_open(const meshnn_frame_t *f, uint8_t *plain);
#endif

/* Fragment `bytes` bytes of `data` into frames and hand them to meshnn_link_send().
 * Returns the number of frames the HAL refused (0 when all were queued). */
int mn_link_send_tensor(uint8_t src, uint8_t dst, uint16_t tensor, uint32_t seq,
                        const void *data, uint32_t bytes);

/* Serialise a frame to `buf` (little endian, header then payload, then the tag when
 * authenticated); returns the byte count (MESHNN_FRAME_HEADER_BYTES + len +
 * MESHNN_FRAME_TAG_BYTES), or 0 when `cap` is too small. */
uint32_t mn_link_encode(const meshnn_frame_t *f, uint8_t *buf, uint32_t cap);

/* Parse `n` received bytes into *f. Returns 0 on success, or non-zero (and leaves no
 * partial frame behind) when the bytes are truncated, oversized, of another version,
 * or fail the CRC (unauthenticated frames; authenticated ones are checked by
 * mn_link_rx_accept, which holds the key). */
int mn_link_decode(const uint8_t *buf, uint32_t n, meshnn_frame_t *f);

/* Forget what was received (start of inference); the replay windows are kept. */
void mn_link_rx_reset(mn_rx_t *rx, int n);

/* Offer a received frame to the tensors `rx[0..n)` of device `self` expecting inference
 * `seq`. Copies the payload into the matching tensor and returns 1, or returns 0 and
 * changes nothing when the frame is not for this device / inference / tensor, is
 * malformed (bad CRC or tag, version, fragment index, length), a duplicate, or older
 * than the tensor's replay window. A valid fragment of a tensor already finished
 * (mn_link_rx_finish: its fallback applied, its buffer maybe reused) is not copied
 * either; it only shows that its sender is up. */
int mn_link_rx_accept(mn_rx_t *rx, int n, uint8_t self, uint32_t seq, const meshnn_frame_t *f);

/* At the deadline: give every element whose fragment did not arrive its fallback value
 * (bytes of `hold` or `mean`, or `zero` in every byte), and remember the received ones
 * for HOLD. Returns the tensor's meshnn_rx_state_t. */
int mn_link_rx_finish(mn_rx_t *r);

/* How long after the start of an inference tensor `r` is waited for: the probe window
 * (see above; `probe_us` its minimum) while its sender counts as down (nothing arrived in
 * the last `down_after` inferences, nor yet in this one), else `deadline_us`. */
uint32_t mn_link_rx_wait_us(const mn_rx_t *r, uint32_t deadline_us, uint32_t probe_us,
                            uint32_t down_after);

/* Learn when tensor `r` usually is complete: call when it is seen complete, `elapsed_us`
 * after the start of the inference. Follows a later time at once and an earlier one
 * slowly (1/8 of the difference per inference). */
void mn_link_rx_arrived_at(mn_rx_t *r, uint32_t elapsed_us);

/* meshnn_rx_state_t of a tensor from what has arrived so far. */
int mn_link_rx_state(const mn_rx_t *r);

/* The platform HAL as wire bytes (mn_link_wire.c), for a link layer written in another
 * language that runs inside a C harness (the Rust runtime's CHal, feature `c-hal`): it
 * sees only encoded frames (mn_link_encode's format), and the key and epoch.
 * meshnn_link_send_wire decodes `n` bytes with mn_link_decode and hands the frame to
 * meshnn_link_send: 0 when queued, non-zero when the bytes are no frame of this build or
 * the HAL refused it. meshnn_link_poll_wire polls meshnn_link_poll for device `self` and
 * encodes the frame into `buf`: the byte count, or 0 when nothing arrived (frames longer
 * than `cap` are dropped). meshnn_link_key_wire copies the deployment key to `key` and
 * returns 1, or returns 0 when there is none (always on CRC-only builds);
 * meshnn_link_epoch_wire is meshnn_link_epoch() (0 on CRC-only builds). */
int meshnn_link_send_wire(const uint8_t *buf, uint32_t n);
uint32_t meshnn_link_poll_wire(uint8_t self, uint8_t *buf, uint32_t cap);
int meshnn_link_key_wire(uint8_t *key);
uint32_t meshnn_link_epoch_wire(void);

#endif /* MESHNN_LINK_H */
