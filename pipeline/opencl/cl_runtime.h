/* The OpenCL runtime: device choice, program building and caching, kernel
 * launches and buffers. Every cl* call goes through here so that an error
 * is reported by its symbolic name (CL_OUT_OF_RESOURCES, not -5) together
 * with the call and the stage that made it. */
#ifndef MINESCAN_CL_RUNTIME_H
#define MINESCAN_CL_RUNTIME_H

#include <stddef.h>

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>

typedef struct ms_cl ms_cl;

/* "CL_OUT_OF_RESOURCES" for -5, etc.; "CL_UNKNOWN_ERROR" otherwise. */
const char *ms_cl_error_name(cl_int err);
/* The code for a symbolic name, or 0 (CL_SUCCESS) if unknown. */
cl_int ms_cl_error_code(const char *name);

typedef struct ms_cl_device_info {
    cl_platform_id platform;
    cl_device_id device;
    char platform_name[128];
    char device_name[256];
    char version[128];
    int is_gpu;
} ms_cl_device_info;

/* All OpenCL devices of all platforms. Returns the count (0 when there is no
 * ICD or no device); *out is malloc'ed. */
size_t ms_cl_list_devices(ms_cl_device_info **out);
/* Index into the list that `auto` picks: the first GPU, else the first
 * device; -1 when the list is empty. */
int ms_cl_pick_device(const ms_cl_device_info *list, size_t n);

/* Create a context and queue on `dev`. Returns 0 or MS_ERR_OPENCL with the
 * message set. */
int ms_cl_create(const ms_cl_device_info *dev, ms_cl **out);
void ms_cl_destroy(ms_cl *cl);
const char *ms_cl_device_name(const ms_cl *cl);
cl_context ms_cl_context(ms_cl *cl);
cl_command_queue ms_cl_queue(ms_cl *cl);

/* The error of the last failing cl* call since ms_cl_clear_error
 * (CL_SUCCESS if none). */
cl_int ms_cl_last_error(const ms_cl *cl);
void ms_cl_clear_error(ms_cl *cl);

/* Fault injection for tests: the next kernel launch fails with `err`
 * (without running) while armed. 0 disarms. */
void ms_cl_arm_fault(ms_cl *cl, cl_int err);
/* Likewise the next copy from the device to the host, once. */
void ms_cl_arm_download_fault(ms_cl *cl, cl_int err);

/* One kernel argument: its size and a pointer to its value. */
typedef struct ms_cl_arg {
    size_t size;
    const void *value;
} ms_cl_arg;
#define MS_CL_MEM(m) ((ms_cl_arg){sizeof(cl_mem), &(m)})
#define MS_CL_INT(v) ((ms_cl_arg){sizeof(cl_int), &(cl_int){(cl_int)(v)}})
#define MS_CL_FLOAT(v)                                                         \
    ((ms_cl_arg){sizeof(cl_float), &(cl_float){(cl_float)(v)}})
#define MS_CL_LOCAL(bytes) ((ms_cl_arg){(bytes), NULL})

/* Launch kernel `kernel` of program kernels/`program`.cl over `global`
 * work-items (work_dim 1..3) in work-groups of `local` (NULL: the runtime
 * chooses). Global sizes are rounded up to a multiple of the local size
 * (or of a size that suits GPUs), since OpenCL 1.2 and PoCL have no
 * non-uniform work-groups, so kernels must guard their index against the
 * real size they receive as an argument. A local size larger than the
 * device or the kernel allows is an MS_ERR_OPENCL naming both. */
int ms_cl_launch(ms_cl *cl, const char *program, const char *kernel,
                 unsigned work_dim, const size_t global[], const size_t local[],
                 const ms_cl_arg *args, unsigned n_args);

/* A 1-D launch over n items of a kernel that strides by the global size:
 * one work-item per item on a GPU (groups the runtime picks); on a CPU
 * device 8 work-items per compute unit in groups of one, each taking a
 * run of items, so that PoCL runs them as plain loops that vectorise. */
int ms_cl_launch_runs(ms_cl *cl, const char *program, const char *kernel,
                      size_t n, const ms_cl_arg *args, unsigned n_args);

/* What a stage may plan with: the device's limits. */
typedef struct ms_cl_limits {
    size_t max_work_group; /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    size_t local_mem;      /* bytes of __local memory per work-group */
    size_t global_mem;     /* bytes of global memory */
    size_t max_alloc;      /* the largest single buffer */
    unsigned compute_units;
    int is_gpu;
} ms_cl_limits;
const ms_cl_limits *ms_cl_device_limits(const ms_cl *cl);
/* A work-group size for a reduction: the largest power of two <= `want`
 * that the device allows for this kernel. */
int ms_cl_reduction_size(ms_cl *cl, const char *program, const char *kernel,
                         size_t want, size_t *out);

/* Build (or fetch the cached build of) program `name`; exposed so that the
 * test suite can build every kernel file and print the build log. */
int ms_cl_program(ms_cl *cl, const char *name, cl_program *out);

/* Buffers. `bytes` may be 0 (a zero-sized array): a 1-float buffer is
 * created so that kernels always get a valid cl_mem. */
int ms_cl_alloc(ms_cl *cl, size_t bytes, cl_mem *out);
int ms_cl_upload(ms_cl *cl, cl_mem buf, const void *src, size_t bytes);
int ms_cl_download(ms_cl *cl, cl_mem buf, void *dst, size_t bytes);
/* The bytes from `offset` bytes into buf. */
int ms_cl_download_at(ms_cl *cl, cl_mem buf, size_t offset, void *dst,
                      size_t bytes);
int ms_cl_finish(ms_cl *cl);
void ms_cl_release(cl_mem buf);

#endif
