/*
 * The forged-frame attack of issue 17 section 7, as a link HAL wrapped around the host
 * harness's in-memory link (link_host.c, included below under another name, as
 * templates/host/record.c does). An attacker in radio range without the key hears every
 * genuine frame addressed to the hub (device $ATTACK_HUB) and, before it arrives, injects
 * a forgery for the same fragment: same header (spoofed source, sniffed seq and epoch,
 * tensor, fragment), every payload float set to $ATTACK_VALUE. On a CRC-only link the
 * forgery carries a valid CRC; on an authenticated one the attacker cannot compute the
 * tag and sends the genuine frame's tag (the best it has) on the chosen payload.
 */
#include <stdlib.h>
#include <string.h>

#define meshnn_link_send meshnn_host_link_send_
#include "link_host.c.inc"
#undef meshnn_link_send

int meshnn_link_send(const meshnn_frame_t *frame);

int meshnn_link_send(const meshnn_frame_t *frame)
{
    static meshnn_frame_t forged;
    const char *hub = getenv("ATTACK_HUB");
    const char *value = getenv("ATTACK_VALUE");
    if (hub && value && frame->dst == (uint8_t)atoi(hub)) {
        float v = (float)atof(value);
        uint16_t k;
        memcpy(&forged, frame, sizeof forged);
        for (k = 0; k + 4 <= forged.len; k += 4) memcpy(forged.payload + k, &v, 4);
#if !MESHNN_LINK_AUTH
        forged.crc = mn_link_crc(&forged);
#endif
        (void)meshnn_host_link_send_(&forged);
    }
    return meshnn_host_link_send_(frame);
}
