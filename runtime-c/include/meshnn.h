/*
 * meshnn: types shared by every generated device (the status of one inference step).
 */
#ifndef MESHNN_H
#define MESHNN_H

#include <stdint.h>

/* Outcome of one call to meshnn_<device>_step(). */
typedef enum {
    MESHNN_OK = 0,      /* inference completed normally */
    MESHNN_ERROR = 1,   /* the inference could not run */
    MESHNN_WAITING = 2  /* poll() again: waiting for tensors from other devices */
} meshnn_result_t;

/* Status returned by meshnn_<device>_step() and meshnn_<device>_poll(). */
typedef struct {
    int32_t result; /* meshnn_result_t */
} meshnn_status_t;

#endif /* MESHNN_H */
