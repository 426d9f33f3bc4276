// Forced into every translation unit of the verilated model and of
// Verilator's runtime (`-include cosim_hooks.h`): the declaration of the
// printf replacement named by -DVL_PRINTF=cosim_vl_printf. The definitions of
// it and of vl_finish / vl_stop / vl_fatal (-DVL_USER_*) are in shim.cc.
#ifndef COSIM_HOOKS_H_
#define COSIM_HOOKS_H_
#ifdef __cplusplus
void cosim_vl_printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
#endif
