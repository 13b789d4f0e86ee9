/* Helpers for minescan-bench: see bench_util.h. */
#define _DEFAULT_SOURCE /* wait4 */
#include "bench_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "minescan/error.h"

#define BU_MAX_REPS 1000

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bu_median(double *v, size_t n)
{
    if (n == 0)
        return -1.0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int bu_time(bu_fn fn, void *arg, int reps, int min_reps, double budget_s,
            double *median_ms, int *done)
{
    double t[BU_MAX_REPS];
    if (reps > BU_MAX_REPS)
        reps = BU_MAX_REPS;
    if (reps < 1)
        reps = 1;
    int n = 0;
    double start = ms_now_s();
    while (n < reps) {
        double t0 = ms_now_s();
        int rc = fn(arg);
        double t1 = ms_now_s();
        if (rc)
            return rc;
        t[n++] = t1 - t0;
        /* enough: the budget is spent and the minimum ran, or a slow stage
         * has taken four budgets already */
        if (t1 - start > budget_s && (n >= min_reps || t1 - start > 4 * budget_s))
            break;
    }
    *median_ms = 1000.0 * bu_median(t, (size_t)n);
    if (done)
        *done = n;
    return 0;
}

int bu_write_npy(const char *path, const float *data, const size_t *shape,
                 int ndim)
{
    char dict[256], dims[160] = "";
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        size_t len = strlen(dims);
        snprintf(dims + len, sizeof dims - len, "%zu,%s", shape[i],
                 i + 1 < ndim ? " " : "");
        count *= shape[i];
    }
    int dl = snprintf(dict, sizeof dict,
                      "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }",
                      dims);
    /* magic (6) + version (2) + length (2) + dict + padding + '\n': a
     * multiple of 64 */
    size_t total = 10 + (size_t)dl + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)dl + pad + 1;
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                              (unsigned char)(hlen & 0xff),
                              (unsigned char)(hlen >> 8)};
    int ok = fwrite(head, 1, 10, f) == 10 &&
             fwrite(dict, 1, (size_t)dl, f) == (size_t)dl;
    for (size_t i = 0; ok && i < pad; i++)
        ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    ok = ok && (count == 0 || fwrite(data, sizeof *data, count, f) == count);
    if (fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

/* ---- host copy bandwidth ------------------------------------------------ */

typedef struct copy_job {
    char *dst;
    const char *src;
    size_t bytes;
} copy_job;

static void *copy_thread(void *arg)
{
    copy_job *j = arg;
    memcpy(j->dst, j->src, j->bytes);
    return NULL;
}

typedef struct memcpy_arg {
    char *dst, *src;
    size_t bytes;
    int threads;
} memcpy_arg;

static int memcpy_once(void *p)
{
    memcpy_arg *a = p;
    if (a->threads <= 1) {
        memcpy(a->dst, a->src, a->bytes);
        return 0;
    }
    enum { MAX_THREADS = 64 };
    pthread_t th[MAX_THREADS];
    copy_job jobs[MAX_THREADS];
    int n = a->threads > MAX_THREADS ? MAX_THREADS : a->threads;
    size_t slice = (a->bytes / (size_t)n + 63) & ~(size_t)63;
    int started = 0;
    for (int i = 0; i < n; i++) {
        size_t off = (size_t)i * slice;
        if (off >= a->bytes)
            break;
        jobs[i] = (copy_job){a->dst + off, a->src + off,
                             off + slice > a->bytes ? a->bytes - off : slice};
        if (pthread_create(&th[i], NULL, copy_thread, &jobs[i]) != 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    return started ? 0 : -1;
}

double bu_memcpy_gbps(size_t bytes, int threads, int reps)
{
    memcpy_arg a = {malloc(bytes), malloc(bytes), bytes, threads};
    double gbps = -1.0;
    if (a.dst && a.src) {
        memset(a.src, 1, bytes);
        memset(a.dst, 0, bytes); /* fault the pages in before timing */
        double ms;
        memcpy_once(&a);
        if (bu_time(memcpy_once, &a, reps, reps, 0.0, &ms, NULL) == 0 && ms > 0)
            gbps = 2.0 * (double)bytes / (ms * 1e-3) / 1e9;
    }
    free(a.dst);
    free(a.src);
    return gbps;
}

/* ---- device copy bandwidth ---------------------------------------------- */

static const char copy_source[] =
    "__kernel void copy4(__global const float4 *restrict a,\n"
    "                    __global float4 *restrict b, int n)\n"
    "{\n"
    "    int i = get_global_id(0);\n"
    "    if (i < n)\n"
    "        b[i] = a[i];\n"
    "}\n";

typedef struct cl_copy_arg {
    cl_command_queue q;
    cl_kernel k;
    size_t global;
    const size_t *local;
} cl_copy_arg;

static int cl_copy_once(void *p)
{
    cl_copy_arg *a = p;
    cl_int err = clEnqueueNDRangeKernel(a->q, a->k, 1, NULL, &a->global,
                                        a->local, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFinish(a->q);
    return err == CL_SUCCESS ? 0 : -1;
}

double bu_cl_copy_gbps(ms_cl *cl, size_t bytes, int reps, char *local_desc,
                       size_t desc_len)
{
    cl_context ctx = ms_cl_context(cl);
    cl_command_queue q = ms_cl_queue(cl);
    const char *src = copy_source;
    cl_int err;
    double best = -1.0;
    snprintf(local_desc, desc_len, "?");
    cl_program prog = clCreateProgramWithSource(ctx, 1, &src, NULL, &err);
    if (err != CL_SUCCESS) {
        ms_fail(MS_ERR_OPENCL, "copy kernel: clCreateProgramWithSource: %s",
                ms_cl_error_name(err));
        return -1.0;
    }
    cl_kernel k = NULL;
    cl_mem a = NULL, b = NULL;
    err = clBuildProgram(prog, 0, NULL, "", NULL, NULL);
    if (err == CL_SUCCESS)
        k = clCreateKernel(prog, "copy4", &err);
    size_t n4 = bytes / 16;
    if (err == CL_SUCCESS && (ms_cl_alloc(cl, n4 * 16, &a) ||
                              ms_cl_alloc(cl, n4 * 16, &b)))
        err = CL_OUT_OF_RESOURCES;
    if (err == CL_SUCCESS) {
        float *host = malloc(n4 * 16);
        if (host) {
            for (size_t i = 0; i < n4 * 4; i++)
                host[i] = (float)(i % 1000);
            if (ms_cl_upload(cl, a, host, n4 * 16) ||
                ms_cl_upload(cl, b, host, n4 * 16))
                err = CL_OUT_OF_RESOURCES;
            free(host);
        } else
            err = CL_OUT_OF_HOST_MEMORY;
    }
    cl_int n = (cl_int)n4;
    if (err == CL_SUCCESS) {
        clSetKernelArg(k, 0, sizeof a, &a);
        clSetKernelArg(k, 1, sizeof b, &b);
        clSetKernelArg(k, 2, sizeof n, &n);
        size_t max_wg = ms_cl_device_limits(cl)->max_work_group;
        size_t locals[] = {0, 64, 256, 1024, 4096};
        for (size_t i = 0; i < sizeof locals / sizeof *locals; i++) {
            size_t lsz = locals[i];
            if (lsz > max_wg)
                continue;
            cl_copy_arg ca = {q, k, n4, lsz ? &lsz : NULL};
            if (lsz)
                ca.global = (n4 + lsz - 1) / lsz * lsz;
            double ms;
            if (cl_copy_once(&ca)) /* warm up (and check the size works) */
                continue;
            if (bu_time(cl_copy_once, &ca, reps, reps, 0.0, &ms, NULL) || ms <= 0)
                continue;
            double gbps = 2.0 * (double)(n4 * 16) / (ms * 1e-3) / 1e9;
            if (gbps > best) {
                best = gbps;
                if (lsz)
                    snprintf(local_desc, desc_len, "local size %zu", lsz);
                else
                    snprintf(local_desc, desc_len, "local size NULL");
            }
        }
    }
    if (err != CL_SUCCESS)
        ms_fail(MS_ERR_OPENCL, "copy kernel: %s", ms_cl_error_name(err));
    ms_cl_release(a);
    ms_cl_release(b);
    if (k)
        clReleaseKernel(k);
    clReleaseProgram(prog);
    return best;
}

/* ---- processes and files ------------------------------------------------ */

int bu_run(char *const argv[], const char *stdout_path, double *wall_s,
           long *max_rss_kb)
{
    fflush(stdout);
    fflush(stderr);
    double t0 = ms_now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        if (in >= 0) {
            dup2(in, 0);
            close(in);
        }
        if (stdout_path) {
            int out = open(stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (out < 0)
                _exit(127);
            dup2(out, 1);
            close(out);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "minescan-bench: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR)
            return -1;
    if (wall_s)
        *wall_s = ms_now_s() - t0;
    if (max_rss_kb)
        *max_rss_kb = ru.ru_maxrss;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

char *bu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

void bu_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                size_t len = strlen(path) + strlen(e->d_name) + 2;
                char *child = malloc(len);
                if (child) {
                    snprintf(child, len, "%s/%s", path, e->d_name);
                    bu_rmtree(child);
                    free(child);
                }
            }
            closedir(d);
        }
        rmdir(path);
    } else
        unlink(path);
}
