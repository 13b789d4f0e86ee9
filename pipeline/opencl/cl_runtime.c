/* OpenCL runtime: see cl_runtime.h. */
#include "opencl/cl_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "opencl/kernel_sources.h"

#define MAX_PROGRAMS 32
#define MAX_KERNELS 64
/* No -cl-fast-relaxed-math: the C reference and the kernels must agree to
 * 1e-5 of the signal's range. */
#define BUILD_OPTIONS "-cl-std=CL1.2"

struct ms_cl {
    cl_context context;
    cl_command_queue queue;
    cl_device_id device;
    char device_name[256];
    ms_cl_limits limits;
    cl_int last_error;
    cl_int armed_fault, armed_download_fault;
    struct {
        char name[64];
        cl_program program;
    } programs[MAX_PROGRAMS];
    size_t n_programs;
    struct {
        char program[64], name[64];
        cl_kernel kernel;
    } kernels[MAX_KERNELS];
    size_t n_kernels;
};

/* Record a failing call and set the message; returns MS_ERR_OPENCL. */
static int cl_fail(ms_cl *cl, cl_int err, const char *call, const char *what)
{
    if (cl)
        cl->last_error = err;
    return ms_fail(MS_ERR_OPENCL, "%s failed with %s%s%s", call,
                   ms_cl_error_name(err), what ? ": " : "", what ? what : "");
}

size_t ms_cl_list_devices(ms_cl_device_info **out)
{
    *out = NULL;
    cl_uint n_platforms = 0;
    if (clGetPlatformIDs(0, NULL, &n_platforms) != CL_SUCCESS || !n_platforms)
        return 0;
    cl_platform_id *platforms = calloc(n_platforms, sizeof *platforms);
    if (!platforms)
        return 0;
    clGetPlatformIDs(n_platforms, platforms, NULL);
    size_t n = 0, cap = 0;
    ms_cl_device_info *list = NULL;
    for (cl_uint p = 0; p < n_platforms; p++) {
        cl_uint n_dev = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL,
                           &n_dev) != CL_SUCCESS || !n_dev)
            continue;
        cl_device_id *devs = calloc(n_dev, sizeof *devs);
        if (!devs)
            break;
        clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, n_dev, devs, NULL);
        for (cl_uint d = 0; d < n_dev; d++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 4;
                ms_cl_device_info *grown = realloc(list, cap * sizeof *list);
                if (!grown)
                    break;
                list = grown;
            }
            ms_cl_device_info *info = &list[n++];
            memset(info, 0, sizeof *info);
            info->platform = platforms[p];
            info->device = devs[d];
            clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME,
                              sizeof info->platform_name - 1,
                              info->platform_name, NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_NAME,
                            sizeof info->device_name - 1, info->device_name,
                            NULL);
            clGetDeviceInfo(devs[d], CL_DEVICE_VERSION,
                            sizeof info->version - 1, info->version, NULL);
            cl_device_type type = 0;
            clGetDeviceInfo(devs[d], CL_DEVICE_TYPE, sizeof type, &type, NULL);
            info->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
        }
        free(devs);
    }
    free(platforms);
    *out = list;
    return n;
}

int ms_cl_pick_device(const ms_cl_device_info *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].is_gpu)
            return (int)i;
    return n ? 0 : -1;
}

static void read_limits(ms_cl *cl, int is_gpu)
{
    ms_cl_limits *l = &cl->limits;
    cl_ulong local = 0, global = 0, alloc = 0;
    cl_uint units = 1;
    size_t wg = 1;
    clGetDeviceInfo(cl->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg,
                    NULL);
    clGetDeviceInfo(cl->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local,
                    NULL);
    clGetDeviceInfo(cl->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global,
                    &global, NULL);
    clGetDeviceInfo(cl->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc,
                    &alloc, NULL);
    clGetDeviceInfo(cl->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units,
                    &units, NULL);
    *l = (ms_cl_limits){wg, (size_t)local, (size_t)global, (size_t)alloc,
                        units, is_gpu};
}

const ms_cl_limits *ms_cl_device_limits(const ms_cl *cl) { return &cl->limits; }

int ms_cl_create(const ms_cl_device_info *dev, ms_cl **out)
{
    *out = NULL;
    ms_cl *cl = calloc(1, sizeof *cl);
    if (!cl)
        return ms_fail(MS_ERR_NOMEM, "out of memory creating OpenCL state");
    cl_int err;
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM,
                                     (cl_context_properties)dev->platform, 0};
    cl->device = dev->device;
    snprintf(cl->device_name, sizeof cl->device_name, "%s", dev->device_name);
    cl->context = clCreateContext(props, 1, &dev->device, NULL, NULL, &err);
    if (err != CL_SUCCESS) {
        int rc = cl_fail(cl, err, "clCreateContext", dev->device_name);
        free(cl);
        return rc;
    }
    /* clCreateCommandQueue is deprecated in 2.0 but is the one that exists
     * on every 1.2 runtime. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    cl->queue = clCreateCommandQueue(cl->context, dev->device, 0, &err);
#pragma GCC diagnostic pop
    if (err != CL_SUCCESS) {
        int rc = cl_fail(cl, err, "clCreateCommandQueue", dev->device_name);
        clReleaseContext(cl->context);
        free(cl);
        return rc;
    }
    read_limits(cl, dev->is_gpu);
    *out = cl;
    return 0;
}

void ms_cl_destroy(ms_cl *cl)
{
    if (!cl)
        return;
    for (size_t i = 0; i < cl->n_kernels; i++)
        clReleaseKernel(cl->kernels[i].kernel);
    for (size_t i = 0; i < cl->n_programs; i++)
        clReleaseProgram(cl->programs[i].program);
    if (cl->queue) {
        clFinish(cl->queue);
        clReleaseCommandQueue(cl->queue);
    }
    if (cl->context)
        clReleaseContext(cl->context);
    free(cl);
}

const char *ms_cl_device_name(const ms_cl *cl) { return cl->device_name; }
cl_context ms_cl_context(ms_cl *cl) { return cl->context; }
cl_command_queue ms_cl_queue(ms_cl *cl) { return cl->queue; }
cl_int ms_cl_last_error(const ms_cl *cl) { return cl->last_error; }
void ms_cl_clear_error(ms_cl *cl) { cl->last_error = CL_SUCCESS; }
void ms_cl_arm_fault(ms_cl *cl, cl_int err) { cl->armed_fault = err; }
void ms_cl_arm_download_fault(ms_cl *cl, cl_int err)
{
    cl->armed_download_fault = err;
}

/* Kernel source: from MINESCAN_KERNEL_DIR/NAME.cl during kernel development,
 * else the copy embedded in the binary. 0 and *out malloc'ed text, or a
 * negative ms_err with the message set. */
static int kernel_source(const char *name, char **out)
{
    *out = NULL;
    const char *dir = getenv("MINESCAN_KERNEL_DIR");
    if (dir && *dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.cl", dir, name);
        FILE *f = fopen(path, "rb");
        if (!f)
            return ms_fail(MS_ERR_NOT_FOUND,
                           "%s: cannot open kernel source (MINESCAN_KERNEL_DIR "
                           "is set)", path);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        char header[1100];
        int hl = snprintf(header, sizeof header, "#line 1 \"%s\"\n", path);
        char *text = len >= 0 ? malloc((size_t)len + (size_t)hl + 1) : NULL;
        if (text) {
            memcpy(text, header, (size_t)hl);
            size_t got = fread(text + hl, 1, (size_t)len, f);
            text[hl + got] = '\0';
        }
        fclose(f);
        *out = text;
        return text ? 0 : ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    for (const ms_kernel_source *k = ms_kernel_sources; k->name; k++)
        if (strcmp(k->name, name) == 0) {
            *out = strdup(k->source);
            return *out ? 0 : ms_fail(MS_ERR_NOMEM, "out of memory");
        }
    return ms_fail(MS_ERR_NOT_FOUND,
                   "kernels/%s.cl: no such kernel file is built in", name);
}

int ms_cl_program(ms_cl *cl, const char *name, cl_program *out)
{
    for (size_t i = 0; i < cl->n_programs; i++)
        if (strcmp(cl->programs[i].name, name) == 0) {
            *out = cl->programs[i].program;
            return 0;
        }
    if (cl->n_programs == MAX_PROGRAMS)
        return ms_fail(MS_ERR_INTERNAL, "too many OpenCL programs");
    char *src;
    int rc = kernel_source(name, &src);
    if (rc)
        return rc;
    cl_int err;
    const char *srcs[1] = {src};
    cl_program prog =
        clCreateProgramWithSource(cl->context, 1, srcs, NULL, &err);
    free(src);
    if (err != CL_SUCCESS)
        return cl_fail(cl, err, "clCreateProgramWithSource", name);
    err = clBuildProgram(prog, 1, &cl->device, BUILD_OPTIONS, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t log_len = 0;
        clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG, 0, NULL,
                              &log_len);
        char *log = malloc(log_len + 1);
        if (log) {
            clGetProgramBuildInfo(prog, cl->device, CL_PROGRAM_BUILD_LOG,
                                  log_len, log, NULL);
            log[log_len] = '\0';
        }
        char what[64];
        snprintf(what, sizeof what, "kernels/%s.cl; build log:\n", name);
        cl->last_error = err;
        ms_fail(MS_ERR_OPENCL, "clBuildProgram failed with %s: %s%s",
                ms_cl_error_name(err), what, log ? log : "(no log)");
        free(log);
        clReleaseProgram(prog);
        return MS_ERR_OPENCL;
    }
    snprintf(cl->programs[cl->n_programs].name, 64, "%s", name);
    cl->programs[cl->n_programs++].program = prog;
    *out = prog;
    return 0;
}

static int get_kernel(ms_cl *cl, const char *program, const char *name,
                      cl_kernel *out)
{
    for (size_t i = 0; i < cl->n_kernels; i++)
        if (!strcmp(cl->kernels[i].program, program) &&
            !strcmp(cl->kernels[i].name, name)) {
            *out = cl->kernels[i].kernel;
            return 0;
        }
    if (cl->n_kernels == MAX_KERNELS)
        return ms_fail(MS_ERR_INTERNAL, "too many OpenCL kernels");
    cl_program prog;
    int rc = ms_cl_program(cl, program, &prog);
    if (rc)
        return rc;
    cl_int err;
    cl_kernel k = clCreateKernel(prog, name, &err);
    if (err != CL_SUCCESS)
        return cl_fail(cl, err, "clCreateKernel", name);
    snprintf(cl->kernels[cl->n_kernels].program, 64, "%s", program);
    snprintf(cl->kernels[cl->n_kernels].name, 64, "%s", name);
    cl->kernels[cl->n_kernels++].kernel = k;
    *out = k;
    return 0;
}

int ms_cl_reduction_size(ms_cl *cl, const char *program, const char *kernel,
                         size_t want, size_t *out)
{
    cl_kernel k = NULL;
    int rc = get_kernel(cl, program, kernel, &k);
    if (rc)
        return rc;
    size_t allowed = 1;
    cl_int err = clGetKernelWorkGroupInfo(k, cl->device,
                                          CL_KERNEL_WORK_GROUP_SIZE,
                                          sizeof allowed, &allowed, NULL);
    if (err != CL_SUCCESS)
        return cl_fail(cl, err, "clGetKernelWorkGroupInfo", kernel);
    if (allowed > cl->limits.max_work_group)
        allowed = cl->limits.max_work_group;
    size_t size = 1;
    while (size * 2 <= want && size * 2 <= allowed)
        size *= 2;
    *out = size;
    return 0;
}

int ms_cl_launch(ms_cl *cl, const char *program, const char *kernel,
                 unsigned work_dim, const size_t global[], const size_t local[],
                 const ms_cl_arg *args, unsigned n_args)
{
    if (cl->armed_fault != CL_SUCCESS)
        return cl_fail(cl, cl->armed_fault, "clEnqueueNDRangeKernel",
                       "injected by MINESCAN_FAULT");
    cl_kernel k = NULL;
    int rc = get_kernel(cl, program, kernel, &k);
    if (rc)
        return rc;
    for (unsigned i = 0; i < n_args; i++) {
        cl_int err = clSetKernelArg(k, i, args[i].size, args[i].value);
        if (err != CL_SUCCESS)
            return cl_fail(cl, err, "clSetKernelArg", kernel);
    }
    /* Round up to a multiple of a work-group size that suits GPUs; PoCL
     * (and OpenCL 1.2) have no non-uniform work-groups. */
    size_t rounded[3];
    size_t multiple = work_dim == 1 ? 64 : work_dim == 2 ? 8 : 4;
    for (unsigned d = 0; d < work_dim; d++) {
        size_t g = global[d] ? global[d] : 1;
        size_t m = local ? (local[d] ? local[d] : 1) : multiple;
        rounded[d] = (g + m - 1) / m * m;
    }
    cl_int err = clEnqueueNDRangeKernel(cl->queue, k, work_dim, NULL, rounded,
                                        local, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        return cl_fail(cl, err, "clEnqueueNDRangeKernel", kernel);
    return 0;
}

int ms_cl_launch_runs(ms_cl *cl, const char *program, const char *kernel,
                      size_t n, const ms_cl_arg *args, unsigned n_args)
{
    const ms_cl_limits *lim = &cl->limits;
    size_t units = lim->compute_units ? lim->compute_units : 1;
    size_t global[1] = {lim->is_gpu ? n : 8 * units}, one[1] = {1};
    return ms_cl_launch(cl, program, kernel, 1, global,
                        lim->is_gpu ? NULL : one, args, n_args);
}

int ms_cl_alloc(ms_cl *cl, size_t bytes, cl_mem *out)
{
    cl_int err;
    *out = clCreateBuffer(cl->context, CL_MEM_READ_WRITE,
                          bytes ? bytes : sizeof(float), NULL, &err);
    if (err != CL_SUCCESS) {
        *out = NULL;
        char what[64];
        snprintf(what, sizeof what, "%zu bytes", bytes);
        return cl_fail(cl, err, "clCreateBuffer", what);
    }
    return 0;
}

int ms_cl_upload(ms_cl *cl, cl_mem buf, const void *src, size_t bytes)
{
    if (!bytes)
        return 0;
    cl_int err = clEnqueueWriteBuffer(cl->queue, buf, CL_TRUE, 0, bytes, src,
                                      0, NULL, NULL);
    return err == CL_SUCCESS ? 0
                             : cl_fail(cl, err, "clEnqueueWriteBuffer", NULL);
}

int ms_cl_download(ms_cl *cl, cl_mem buf, void *dst, size_t bytes)
{
    return ms_cl_download_at(cl, buf, 0, dst, bytes);
}

int ms_cl_download_at(ms_cl *cl, cl_mem buf, size_t offset, void *dst,
                      size_t bytes)
{
    if (!bytes)
        return 0;
    if (cl->armed_download_fault != CL_SUCCESS) {
        cl_int injected = cl->armed_download_fault;
        cl->armed_download_fault = CL_SUCCESS;
        return cl_fail(cl, injected, "clEnqueueReadBuffer",
                       "injected by MINESCAN_FAULT");
    }
    cl_int err = clEnqueueReadBuffer(cl->queue, buf, CL_TRUE, offset, bytes,
                                     dst, 0, NULL, NULL);
    return err == CL_SUCCESS ? 0
                             : cl_fail(cl, err, "clEnqueueReadBuffer", NULL);
}

int ms_cl_finish(ms_cl *cl)
{
    cl_int err = clFinish(cl->queue);
    return err == CL_SUCCESS ? 0 : cl_fail(cl, err, "clFinish", NULL);
}

void ms_cl_release(cl_mem buf)
{
    if (buf)
        clReleaseMemObject(buf);
}
