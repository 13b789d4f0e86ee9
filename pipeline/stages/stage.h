/* The stage framework. A stage is declared once, in its own file
 * pipeline/stages/NAME.c with its kernel in kernels/NAME.cl, as a const
 * ms_stage_decl: name, parameter table, inputs and outputs, output shape,
 * the C reference, the OpenCL host call and the tolerance the two agree
 * within. Recipe parsing, --help, validation, the parity test and the
 * benchmark all read that one declaration. Add a stage by writing those two
 * files and one line in registry.c. */
#ifndef MINESCAN_STAGE_H
#define MINESCAN_STAGE_H

#include <stddef.h>

#include "opencl/cl_runtime.h"

#define MS_MAX_IO 3
#define MS_MAX_PARAMS 8

/* What an array holds; dims are {rows, cols, planes}, row-major. */
typedef enum {
    MS_ARRAY_TRACES, /* [n_traces][n_samples] radar traces */
    MS_ARRAY_MASK,   /* same shape as the data it qualifies; 1 = present */
    MS_ARRAY_SERIES, /* [n_readings][n_channels]: EMI, per-trace features */
    MS_ARRAY_POINTS, /* [n][2] x, y in metres relative to the lane origin */
    MS_ARRAY_MAP,    /* [ny][nx] over the lane, row 0 at y_min */
    MS_ARRAY_VOLUME, /* [nz][ny][nx] gridded depth volume */
} ms_array_kind;

typedef struct ms_shape {
    ms_array_kind kind;
    size_t dims[3]; /* unused trailing dims are 1 */
    /* Maps and volumes: the cell size in metres; cell (ix, iy) spans
     * [lane_x_min + ix * cell_m, lane_x_min + (ix + 1) * cell_m] and
     * likewise in y. 0 for other kinds. */
    double cell_m;
} ms_shape;

static inline size_t ms_shape_count(ms_shape s)
{
    return s.dims[0] * s.dims[1] * s.dims[2];
}

/* What every stage may know about the recording besides its inputs. */
typedef struct ms_env {
    double dt_s;        /* GPR sample interval */
    double time_zero_s; /* GPR time of the antenna feed point */
    double lane_x_min, lane_x_max, lane_y_min, lane_y_max; /* metres */
} ms_env;

typedef enum { MS_PARAM_INT, MS_PARAM_FLOAT } ms_param_type;

typedef struct ms_param_decl {
    const char *name;
    ms_param_type type;
    double def, min, max; /* inclusive range */
    const char *unit;     /* "ns", "m", "traces", "" */
    const char *help;
} ms_param_decl;

typedef struct ms_stage_decl ms_stage_decl;

/* One invocation of a stage: its parameters and the shapes of its arrays. */
typedef struct ms_stage_ctx {
    const ms_stage_decl *decl;
    double p[MS_MAX_PARAMS]; /* values in declaration order */
    ms_shape in[MS_MAX_IO];
    ms_shape out[MS_MAX_IO];
    const ms_env *env;
    /* shape() may explain here why its parameters do little on this
     * recording (a time window past the end of the traces); the runner
     * prints it and records it in summary.json. */
    char warning[256];
} ms_stage_ctx;

struct ms_stage_decl {
    const char *name;
    const char *summary;
    unsigned n_in, n_out;
    /* Default slot names the stage reads and writes; a recipe line may
     * rename them with in=a,b and out=c,d. */
    const char *in_slots[MS_MAX_IO];
    const char *out_slots[MS_MAX_IO];
    ms_array_kind in_kinds[MS_MAX_IO];
    const ms_param_decl *params;
    unsigned n_params;
    /* Check the input shapes and fill ctx->out. 0 or MS_ERR_INVALID_INPUT
     * with a message. */
    int (*shape)(ms_stage_ctx *ctx);
    /* The C reference. Must not modify its inputs. */
    int (*cpu)(const ms_stage_ctx *ctx, const float *const in[],
               float *const out[]);
    /* The OpenCL path (kernels/<name>.cl). Must not modify its inputs, so
     * that a failure can rerun on the CPU from them. */
    int (*opencl)(const ms_stage_ctx *ctx, ms_cl *cl, const cl_mem in[],
                  const cl_mem out[]);
    /* Agreement: max |cpu - opencl| <= tolerance * max |cpu|. */
    double tolerance;
};

/* The registry, NULL-terminated (registry.c). */
extern const ms_stage_decl *const ms_stage_registry[];
const ms_stage_decl *ms_stage_find(const char *name);

/* Parameter defaults into ctx->p; index of a parameter or -1. */
void ms_stage_defaults(const ms_stage_decl *decl, double p[MS_MAX_PARAMS]);
int ms_stage_param_index(const ms_stage_decl *decl, const char *name);

/* Small helpers shared by the stage files. */
static inline size_t ms_clamp_index(long i, size_t n)
{
    return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

#endif
