/*
 * Minimal Cortex-M start-up for meshnn firmware under QEMU (MPS2 boards), linked with
 * newlib's rdimon (semihosting) and `-nostartfiles`: vector table, .data copy, .bss
 * zeroing, FPU enable (when built hard-float), then exit(main()). A fault ends QEMU
 * with a non-zero exit code through the semihosting exit call.
 */
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_load__, __data_start__, __data_end__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __stack_top__;
extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

void Reset_Handler(void);
void Fault_Handler(void);

/* newlib's __libc_init_array calls these; -nostartfiles drops crti/crtn. */
void _init(void) {}
void _fini(void) {}

typedef void (*vector_t)(void);

__attribute__((section(".isr_vector"), used)) const vector_t meshnn_vectors[16] = {
    (vector_t)(uintptr_t)&__stack_top__, /* initial stack pointer */
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    Fault_Handler, /* SecureFault (ARMv8-M) */
    0, 0, 0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    Fault_Handler, /* SysTick */
};

void Fault_Handler(void)
{
    /* Semihosting SYS_EXIT (0x18) with ADP_Stopped_RunTimeErrorUnknown (0x20023). */
    __asm__ volatile("movs r0, #0x18\n"
                     "ldr r1, =0x20023\n"
                     "bkpt 0xab\n");
    for (;;) {
    }
}

void Reset_Handler(void)
{
    uint32_t *src = &__data_load__;
    uint32_t *dst = &__data_start__;
    while (dst < &__data_end__) *dst++ = *src++;
    for (dst = &__bss_start__; dst < &__bss_end__;) *dst++ = 0;
#if defined(__ARM_FP)
    /* CPACR: full access to CP10 and CP11, or the first float instruction faults. */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm__ volatile("dsb\n isb\n");
#endif
    initialise_monitor_handles();
    __libc_init_array();
    exit(main());
}
