/*
 * meshnn: types shared by every generated device (the status of one inference step).
 */
#ifndef MESHNN_H
#define MESHNN_H

#include <stdint.h>

/* Outcome of one call to meshnn_<device>_step(). */
typedef enum {
    MESHNN_OK = 0,       /* inference completed normally */
    MESHNN_ERROR = 1,    /* the inference could not run */
    MESHNN_WAITING = 2,  /* poll() again: waiting for tensors from other devices */
    MESHNN_DEGRADED = 3  /* completed, but some received tensor was partly or wholly
                            replaced by its fallback (see rx[]) */
} meshnn_result_t;

/* What happened to one tensor a device receives, in one inference. */
typedef enum {
    MESHNN_RX_COMPLETE = 0, /* every fragment arrived before the deadline */
    MESHNN_RX_PARTIAL = 1,  /* some fragments arrived; the rest got the fallback */
    MESHNN_RX_FALLBACK = 2  /* nothing arrived; the whole tensor is the fallback */
} meshnn_rx_state_t;

/* Received tensors reported per status (a device's first MESHNN_MAX_RX, in the order
 * of its link_glue.c). */
#ifndef MESHNN_MAX_RX
#define MESHNN_MAX_RX 16
#endif

/* Status returned by meshnn_<device>_step() and meshnn_<device>_poll(). */
typedef struct {
    int32_t result;              /* meshnn_result_t */
    uint16_t n_rx;               /* received tensors reported in rx[] */
    uint8_t rx[MESHNN_MAX_RX];   /* meshnn_rx_state_t of each */
} meshnn_status_t;

#endif /* MESHNN_H */
