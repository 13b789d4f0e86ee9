/* Speed of every registered stage, C reference against OpenCL, on inputs
 * the size of a 5 m hand-held lane (or --traces/--samples). Prints one line
 * per stage: milliseconds per run on each path and the speed-up. Figures,
 * not pass/fail: speed targets live here, never in the test suite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "minescan/error.h"
#include "core/clock.h"
#include "runner/runner.h"

static float *filled(size_t n, unsigned seed, int mask)
{
    float *a = malloc((n ? n : 1) * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        a[i] = mask ? (float)((seed >> 8) % 100 != 0)
                    : (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return a;
}

/* Time `reps` runs of one path; returns ms per run, or -1 on failure. */
static double time_path(ms_cl *cl, ms_stage_ctx *ctx, float **in, float **out,
                        int reps)
{
    double t0 = ms_now_s();
    for (int r = 0; r < reps; r++) {
        int rc = cl ? ms_stage_exec_opencl(cl, ctx, (const float *const *)in, out)
                    : ms_stage_exec_cpu(ctx, (const float *const *)in, out);
        if (rc) {
            fprintf(stderr, "%s: %s\n", ctx->decl->name, ms_error_message());
            return -1;
        }
    }
    return (ms_now_s() - t0) * 1000.0 / reps;
}

int main(int argc, char **argv)
{
    size_t nt = 6400, ns = 160, reps = 3;
    double lane_x = 5.0, lane_y = 1.0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--traces"))
            nt = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--samples"))
            ns = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--reps"))
            reps = strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--lane-length"))
            lane_x = strtod(argv[i + 1], NULL);
    }
    ms_runner *runner;
    if (ms_runner_create(MS_DEVICE_OPENCL, &runner)) {
        fprintf(stderr, "no OpenCL device: %s\n", ms_error_message());
        return 3;
    }
    ms_cl *cl = ms_runner_cl(runner);
    printf("# %zu traces x %zu samples, lane %.1f x %.1f m, %zu reps; "
           "OpenCL: %s\n", nt, ns, lane_x, lane_y, reps,
           ms_runner_device_name(runner));
    printf("# OpenCL times include upload and download of the stage's "
           "arrays; in a run data stays on the device\n");
    printf("%-20s %12s %12s %9s\n", "stage", "cpu_ms", "opencl_ms", "speedup");
    ms_env env = {.dt_s = 6.25e-11, .time_zero_s = 1e-9, .lane_x_min = 0,
                  .lane_x_max = lane_x, .lane_y_min = 0, .lane_y_max = lane_y};
    for (size_t s = 0; ms_stage_registry[s]; s++) {
        const ms_stage_decl *d = ms_stage_registry[s];
        ms_stage_ctx ctx = {.decl = d, .env = &env};
        ms_stage_defaults(d, &ctx.params);
        float *in[MS_MAX_IO] = {0}, *out[MS_MAX_IO] = {0};
        for (unsigned i = 0; i < d->n_in; i++) {
            ms_shape sh = {d->in_kinds[i], {nt, ns, 1}};
            switch (d->in_kinds[i]) {
            case MS_ARRAY_SERIES: sh.dims[1] = !strcmp(d->name, "grid_volume") ? 20 : 2; break;
            case MS_ARRAY_POINTS: sh.dims[1] = 2; break;
            case MS_ARRAY_MAP: sh.dims[0] = (size_t)(lane_y / 0.02); sh.dims[1] = (size_t)(lane_x / 0.02); break;
            case MS_ARRAY_VOLUME: sh = (ms_shape){MS_ARRAY_VOLUME, {20, (size_t)(lane_y / 0.02), (size_t)(lane_x / 0.02)}}; break;
            case MS_ARRAY_MASK: /* qualifies the stage's first input */
                sh = ctx.in[0];
                sh.kind = MS_ARRAY_MASK;
                break;
            default: break;
            }
            ctx.in[i] = sh;
            size_t n = ms_shape_count(sh);
            in[i] = filled(n, 17u + i, d->in_kinds[i] == MS_ARRAY_MASK);
            if (d->in_kinds[i] == MS_ARRAY_POINTS)
                for (size_t k = 0; k < nt; k++) {
                    in[i][2 * k] = (float)(lane_x * (in[i][2 * k] + 0.5f));
                    in[i][2 * k + 1] = (float)(lane_y * (in[i][2 * k + 1] + 0.5f));
                }
        }
        if (d->shape(&ctx)) {
            printf("%-20s shape: %s\n", d->name, ms_error_message());
            continue;
        }
        for (unsigned o = 0; o < d->n_out; o++)
            out[o] = malloc((ms_shape_count(ctx.out[o]) + 1) * sizeof(float));
        time_path(cl, &ctx, in, out, 1); /* build the kernel, warm up */
        double t_cpu = time_path(NULL, &ctx, in, out, (int)reps);
        double t_cl = time_path(cl, &ctx, in, out, (int)reps);
        printf("%-20s %12.2f %12.2f %8.1fx\n", d->name, t_cpu, t_cl,
               t_cl > 0 ? t_cpu / t_cl : NAN);
        for (unsigned k = 0; k < MS_MAX_IO; k++) {
            free(in[k]);
            free(out[k]);
        }
    }
    ms_runner_free(runner);
    return 0;
}
