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
/* Room for a stage's parameter struct (checked at compile time by
 * MS_STAGE_PARAMS). */
#define MS_PARAM_BYTES 128
/* Most metal-detector gates whose times ms_env carries. */
#define MS_MAX_EMI_GATES 16

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
    /* The depth axis of time bins (series from time_bins) and of volumes
     * gridded from them: plane k holds samples [k, k + 1) * plane_s / dt
     * (plane_s in seconds). A migrated volume is in depth instead: plane k
     * spans [k, k + 1) * plane_m metres below the surface. 0 = not known. */
    double plane_s, plane_m;
} ms_shape;

static inline size_t ms_shape_count(ms_shape s)
{
    return s.dims[0] * s.dims[1] * s.dims[2];
}

/* What every stage may know about the recording besides its inputs. */
typedef struct ms_env {
    double dt_s;        /* GPR sample interval */
    double time_zero_s; /* GPR time of the antenna feed point */
    /* GPR antenna centre frequency; 0 when the recording does not say (a
     * gprMax import): stages that scale with it then fall back to their
     * time parameters. */
    double centre_frequency_hz;
    double lane_x_min, lane_x_max, lane_y_min, lane_y_max; /* metres */
    /* Median distance between consecutive GPR traces (metres); 0 when not
     * known: stages with windows in metres along the track then fall back
     * to their trace counts. */
    double trace_spacing_m;
    /* Metal-detector gate times (seconds after the transmit pulse), one per
     * EMI channel, where the recording's channel names carry them
     * ("gate_15us", "55 us", "0.2ms"); n_emi_gates 0 where they do not:
     * stages that need them then fall back to their gate parameters. */
    unsigned n_emi_gates;
    double emi_gate_s[MS_MAX_EMI_GATES];
} ms_env;

/* A parameter is a field of the stage's own parameter struct: an `int`
 * for MS_PARAM_INT, a `double` for MS_PARAM_FLOAT. The table below (as
 * FFmpeg's AVOption tables) drives recipe parsing, --help, summary.json and
 * the PNG parameter text; the stage reads its struct by field name. */
typedef enum { MS_PARAM_INT, MS_PARAM_FLOAT } ms_param_type;

typedef struct ms_param_decl {
    const char *name;
    ms_param_type type;
    size_t offset;        /* of the field in the stage's parameter struct */
    double def, min, max; /* inclusive range */
    const char *unit;     /* "ns", "m", "traces", "" */
    const char *help;
} ms_param_decl;

/* Storage for any stage's parameter struct. */
typedef union ms_params {
    double align_d;
    long align_l;
    unsigned char bytes[MS_PARAM_BYTES];
} ms_params;

/* In a stage file: `typedef struct {...} NAME_params;` then
 * MS_STAGE_PARAMS(NAME_params) and the table with MS_PARAM_AT(NAME_params,
 * field). */
#define MS_STAGE_PARAMS(type)                                                  \
    _Static_assert(sizeof(type) <= MS_PARAM_BYTES,                            \
                   #type " does not fit in ms_params")
#define MS_PARAM_AT(type, field) offsetof(type, field)
/* The stage's parameters, typed: `const dewow_params *p = MS_P(ctx,
 * dewow_params);`. */
#define MS_P(ctx, type) MS_P_OF(&(ctx)->params, type)
#define MS_P_OF(params, type) ((const type *)(const void *)(params)->bytes)

typedef struct ms_stage_decl ms_stage_decl;
typedef struct ms_scratch ms_scratch;

/* One invocation of a stage: its parameters and the shapes of its arrays. */
typedef struct ms_stage_ctx {
    const ms_stage_decl *decl;
    ms_params params; /* the stage's parameter struct */
    ms_shape in[MS_MAX_IO];
    ms_shape out[MS_MAX_IO];
    const ms_env *env;
    /* Private state made by decl->init for this invocation on this device
     * (an FFT plan, filter taps, bins); decl->priv_size zeroed bytes. */
    void *priv;
    /* Scratch buffers handed out by ms_stage_scratch_*; owned and freed by
     * whoever runs the stage, also when it fails half-way. */
    ms_scratch *scratch;
    /* shape() may explain here why its parameters do little on this
     * recording (a time window past the end of the traces); the runner
     * prints it and records it in summary.json. */
    char warning[256];
    /* Where a stage records what it estimated from the data (a velocity):
     * summary.json's "estimates". NULL when nobody asks (tests). */
    struct ms_estimates *estimates;
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
    /* Optional: constraints between parameters (t_end after t_start). 0 or
     * MS_ERR_INVALID_INPUT with a message; the recipe adds its line. */
    int (*check)(const ms_params *params);
    /* Optional lifecycle. init runs before cpu()/opencl() with ctx->priv
     * zeroed (priv_size bytes) and cl NULL on the C path; uninit runs
     * afterwards whenever init was called, also when init or the stage
     * failed half-way, and must free what init made. */
    size_t priv_size;
    int (*init)(ms_stage_ctx *ctx, ms_cl *cl);
    void (*uninit)(ms_stage_ctx *ctx);
    /* Optional: device or host bytes the stage needs beyond its inputs and
     * outputs (scratch, plans), so that the runner can refuse or move a
     * volume that does not fit before anything is allocated. */
    size_t (*work_bytes)(const ms_stage_ctx *ctx);
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
    /* cpu() also works when out[k] is in[k] (the same buffer) for any
     * k < n_out: the runner then saves a copy of the array on the C path
     * when a step writes the slot it reads (peak memory). */
    int in_place;
};

/* The registry, NULL-terminated (registry.c). */
extern const ms_stage_decl *const ms_stage_registry[];
const ms_stage_decl *ms_stage_find(const char *name);

/* Parameter defaults into `p`; index of a parameter or -1; a parameter's
 * value as a double and setting it from one (already range-checked). */
void ms_stage_defaults(const ms_stage_decl *decl, ms_params *p);
int ms_stage_param_index(const ms_stage_decl *decl, const char *name);
double ms_param_get(const ms_param_decl *pd, const ms_params *p);
void ms_param_set(const ms_param_decl *pd, ms_params *p, double v);
/* By name, for tests and tools; MS_ERR_NOT_FOUND for an unknown name. */
int ms_param_set_named(const ms_stage_decl *decl, ms_params *p,
                       const char *name, double v);
double ms_param_get_named(const ms_stage_decl *decl, const ms_params *p,
                          const char *name);

/* Lifecycle, for whoever runs a stage (the runner, the parity test, the
 * benchmark): begin allocates ctx->priv and calls init (cl NULL on the C
 * path); end calls uninit, frees priv and every scratch buffer. end is
 * safe after a failed begin and on a zeroed ctx. */
int ms_stage_begin(ms_stage_ctx *ctx, ms_cl *cl);
void ms_stage_end(ms_stage_ctx *ctx);
/* Scratch memory for one invocation, freed by ms_stage_end. */
int ms_stage_scratch_host(const ms_stage_ctx *ctx, size_t bytes, void **out);
int ms_stage_scratch_device(const ms_stage_ctx *ctx, ms_cl *cl, size_t bytes,
                            cl_mem *out);
/* Bytes one invocation holds at once: inputs, outputs and work_bytes. */
size_t ms_stage_footprint(const ms_stage_ctx *ctx);

/* What the stages of one step estimated from the data, by key. */
#define MS_MAX_ESTIMATES 4
typedef struct ms_estimates {
    unsigned n;
    char key[MS_MAX_ESTIMATES][48];
    double value[MS_MAX_ESTIMATES];
} ms_estimates;
/* Record an estimate (replacing one of the same key); a no-op when
 * ctx->estimates is NULL or full. */
void ms_stage_estimate(const ms_stage_ctx *ctx, const char *key, double v);

/* Small helpers shared by the stage files. */
static inline size_t ms_clamp_index(long i, size_t n)
{
    return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

#endif
