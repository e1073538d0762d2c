/* Link settings of the differential tests' C side (tests/link.rs): authenticated frames
 * (the default, MESHNN_LINK_AUTH 1), MTU 92: 92 - 20 - 16 = 56 payload bytes (14 floats)
 * per frame. The Rust side uses the same values (LinkConfig in tests/link.rs). */
#ifndef MESHNN_CONFIG_H
#define MESHNN_CONFIG_H
#define MESHNN_MTU_BYTES 92
#define MESHNN_DEADLINE_US 20000
#define MESHNN_LINK_AUTH 1
#define MESHNN_DOWN_AFTER 2
#define MESHNN_PROBE_US 1000
#endif
