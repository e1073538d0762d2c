/* Deployment settings for the runtime's own tests (meshnn generates this file per
 * deployment). */
#ifndef MESHNN_CONFIG_H
#define MESHNN_CONFIG_H
#define MESHNN_MTU_BYTES 64
#define MESHNN_DEADLINE_US 20000
#endif
