/* See fft_ref.h. */
#include "stages/fft_ref.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define VKFFT_BACKEND 3
#include <vkFFT.h>

#include "minescan/error.h"

#define FFT_PI 3.14159265358979323846

size_t ms_fft_size(size_t n)
{
    size_t p = 16;
    while (p < n)
        p *= 2;
    return p;
}

int ms_fft_plan_make(ms_fft_plan *p, size_t n)
{
    p->n = n;
    p->tw = malloc((n / 2 + 1) * 2 * sizeof *p->tw);
    if (!p->tw)
        return ms_fail(MS_ERR_NOMEM, "out of memory for a %zu-point FFT", n);
    for (size_t k = 0; k < n / 2; k++) {
        p->tw[2 * k] = cos(-2.0 * FFT_PI * (double)k / (double)n);
        p->tw[2 * k + 1] = sin(-2.0 * FFT_PI * (double)k / (double)n);
    }
    return 0;
}

void ms_fft_plan_free(ms_fft_plan *p)
{
    free(p->tw);
    p->tw = NULL;
}

void ms_fft_run(const ms_fft_plan *p, double *z, size_t step, int sign)
{
    size_t n = p->n;
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j)
            for (int c = 0; c < 2; c++) {
                double t = z[2 * i * step + c];
                z[2 * i * step + c] = z[2 * j * step + c];
                z[2 * j * step + c] = t;
            }
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t stride = n / len; /* twiddle k of this length is tw[k stride] */
        for (size_t i = 0; i < n; i += len)
            for (size_t k = 0; k < len / 2; k++) {
                /* tw holds the forward factor; the inverse conjugates */
                double wr = p->tw[2 * k * stride];
                double wi = sign < 0 ? p->tw[2 * k * stride + 1]
                                     : -p->tw[2 * k * stride + 1];
                double *a = z + 2 * (i + k) * step;
                double *b = z + 2 * (i + k + len / 2) * step;
                double br = b[0] * wr - b[1] * wi, bi = b[0] * wi + b[1] * wr;
                b[0] = a[0] - br;
                b[1] = a[1] - bi;
                a[0] += br;
                a[1] += bi;
            }
    }
}

int ms_vkfft_2d(ms_cl *cl, cl_mem buf, size_t n0, size_t n1, int inverse,
                const char *who)
{
    cl_command_queue queue = ms_cl_queue(cl);
    cl_context context = ms_cl_context(cl);
    cl_device_id device;
    if (clGetCommandQueueInfo(queue, CL_QUEUE_DEVICE, sizeof device, &device,
                              NULL) != CL_SUCCESS)
        return ms_fail(MS_ERR_OPENCL, "%s: no device for VkFFT", who);
    VkFFTConfiguration conf = {0};
    VkFFTApplication app = {0};
    uint64_t bytes = (uint64_t)n0 * n1 * 2 * sizeof(float);
    conf.FFTdim = 2;
    conf.size[0] = n0;
    conf.size[1] = n1;
    conf.device = &device;
    conf.context = &context;
    conf.buffer = &buf;
    conf.bufferSize = &bytes;
    VkFFTResult r = initializeVkFFT(&app, conf);
    if (r == VKFFT_SUCCESS) {
        VkFFTLaunchParams launch = {0};
        launch.commandQueue = &queue;
        launch.buffer = &buf;
        r = VkFFTAppend(&app, inverse ? 1 : -1, &launch);
    }
    deleteVkFFT(&app);
    if (r != VKFFT_SUCCESS)
        return ms_fail(MS_ERR_OPENCL, "%s: VkFFT failed (%d)", who, (int)r);
    return 0;
}
