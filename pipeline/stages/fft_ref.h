/* Fourier transforms shared by the stages that filter in frequency
 * (bandpass, migrate_stolt): a radix-2 FFT in double for the C references,
 * and VkFFT's 2-D complex transform for migrate_stolt's OpenCL path. */
#ifndef MINESCAN_STAGES_FFT_REF_H
#define MINESCAN_STAGES_FFT_REF_H

#include <stddef.h>

#include "opencl/cl_runtime.h"

/* The smallest power of two >= n, and at least 16: VkFFT 1.2.x corrupts
 * the heap planning a 2-point axis (seen with a single trace on PoCL). */
size_t ms_fft_size(size_t n);

/* Twiddle factors of an n-point radix-2 FFT (n a power of two). */
typedef struct ms_fft_plan {
    size_t n;
    double *tw; /* cos, sin of -2 pi k / n, k < n / 2, interleaved */
} ms_fft_plan;

/* 0 or MS_ERR_NOMEM. */
int ms_fft_plan_make(ms_fft_plan *p, size_t n);
void ms_fft_plan_free(ms_fft_plan *p);

/* In place: n complex values (re, im interleaved) at stride `step`
 * complex values; sign -1 forward, +1 inverse (unscaled). */
void ms_fft_run(const ms_fft_plan *p, double *z, size_t step, int sign);

/* VkFFT's n0 x n1 complex transform of `buf` (float2, in place, n0 the
 * contiguous axis); `who` names the stage in errors. (Its 1-D plans crash
 * PoCL 3.1, see bandpass.c.) */
int ms_vkfft_2d(ms_cl *cl, cl_mem buf, size_t n0, size_t n1, int inverse,
                const char *who);

#endif
