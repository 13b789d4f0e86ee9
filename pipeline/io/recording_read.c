/* The recording reader and validator (shared/spec/recording-format.md,
 * pipeline/io/FORMAT.md). It reads everything it can and records one line
 * per defect, so a user fixes a file in one go rather than one error per
 * run. Sizes are checked against memory before anything is allocated, and
 * the big data datasets are read in blocks of rows. */
#include "minescan/recording.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "io/isolate.h"

/* ---- GPR and EMI share one shape: rows of values with positions ------ */

typedef struct sensor_spec {
    const char *group; /* "/gpr" */
    const char *rows;  /* "traces" */
    const char *cols;  /* "samples" */
    size_t min_cols;   /* 2 samples; 1 channel */
} sensor_spec;

typedef struct sensor_data {
    size_t n_rows, n_cols; /* after dropping rows without a position */
    float *data;
    uint8_t *valid;
    double *x, *y, *height, *time;
    size_t n_missing, n_dropped;
} sensor_data;

static void sensor_data_free(sensor_data *s)
{
    free(s->data);
    free(s->valid);
    free(s->x);
    free(s->y);
    free(s->height);
    free(s->time);
    memset(s, 0, sizeof *s);
}

/* Keep the entries of v whose keep[] is set, in order. */
static void compact(double *v, const uint8_t *keep, size_t n)
{
    if (!v)
        return;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            v[k++] = v[i];
}

/* An optional 1-D dataset must have as many entries as x. */
static void check_len(h5u_ctx *c, int status, const char *path, hsize_t n,
                      int x_ok, hsize_t nx, int *bad)
{
    if (status != 0 || !x_ok)
        return;
    if (n != nx) {
        h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                   "has %" PRIuMAX " entries but x has %" PRIuMAX
                   "; they must be equal",
                   (uintmax_t)n, (uintmax_t)nx);
        *bad = 1;
    }
}

static int read_sensor(h5u_ctx *c, hid_t grp, const sensor_spec *sp,
                       sensor_data *out)
{
    enum { D, X, Y, H, T, N_DS };
    static const char *const names[N_DS] = {"data", "x", "y", "height",
                                            "time"};
    int ret = 0, bad = 0;
    int st[N_DS];
    hid_t ds[N_DS];
    hsize_t dims[N_DS][2];
    h5u_num num[N_DS];
    char path[N_DS][H5U_PATH_MAX];
    double *pos[N_DS] = {NULL};
    uint8_t *keep = NULL;
    float *blk = NULL;
    sensor_data s = {0};

    for (int i = 0; i < N_DS; i++) {
        ds[i] = H5I_INVALID_HID;
        st[i] = h5u_open_numeric(c, grp, sp->group, names[i], i <= Y,
                                 i == D ? 2 : 1, H5U_ACCEPT_DATA, &ds[i],
                                 dims[i], &num[i], path[i]);
        if (st[i] != 0 && st[i] != MS_ERR_NOT_FOUND)
            bad = 1;
    }

    /* Shapes: data is [n_rows][n_cols] with n_rows == len(x). */
    hsize_t n = 0, m = 0;
    if (st[D] == 0) {
        n = dims[D][0];
        m = dims[D][1];
        if (st[X] == 0 && n != dims[X][0]) {
            bad = 1;
            if (m == dims[X][0])
                h5u_defect(c, MS_ERR_INVALID_INPUT, path[D],
                           "is [%" PRIuMAX "][%" PRIuMAX "] but x has %" PRIuMAX
                           " entries: it looks transposed ([n_%s][n_%s], as "
                           "MATLAB's h5write stores an n_%s-by-n_%s matrix); "
                           "write the transpose so that each row is one of "
                           "the %s (MATLAB: h5write(file, '%s', data.'); "
                           "numpy: data.T)",
                           (uintmax_t)n, (uintmax_t)m, (uintmax_t)dims[X][0],
                           sp->cols, sp->rows, sp->rows, sp->cols, sp->rows,
                           path[D]);
            else
                h5u_defect(c, MS_ERR_INVALID_INPUT, path[D],
                           "has %" PRIuMAX " rows (%s) but x has %" PRIuMAX
                           " entries; they must be equal",
                           (uintmax_t)n, sp->rows, (uintmax_t)dims[X][0]);
        } else {
            if (n < 1) {
                bad = 1;
                h5u_defect(c, MS_ERR_INVALID_INPUT, path[D],
                           "holds no %s; at least one is required", sp->rows);
            }
            if (m < sp->min_cols) {
                bad = 1;
                h5u_defect(c, MS_ERR_INVALID_INPUT, path[D],
                           "has %" PRIuMAX " %s per row; at least %zu are "
                           "required",
                           (uintmax_t)m, sp->cols, sp->min_cols);
            }
        }
    }
    for (int i = Y; i < N_DS; i++)
        check_len(c, st[i], path[i], dims[i][0], st[X] == 0, dims[X][0],
                  &bad);
    if (bad) {
        ret = MS_ERR_INVALID_INPUT;
        goto done;
    }

    /* Claimed sizes must fit before anything is allocated: data plus its
     * mask, then the four position arrays. */
    if ((ret = h5u_check_size(c, path[D], n, m, sizeof(float) + 1)) ||
        (ret = h5u_check_size(c, path[X], n, 4, sizeof(double))))
        goto done;

    for (int i = X; i < N_DS; i++)
        if (st[i] == 0 &&
            (ret = h5u_read_1d_double(c, ds[i], path[i], &num[i], (size_t)n,
                                      &pos[i])))
            goto done;

    /* A row whose position is not finite cannot be placed: drop it. */
    keep = malloc((size_t)n);
    if (!keep) {
        ret = h5u_defect(c, MS_ERR_NOMEM, path[D], "out of memory");
        goto done;
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        keep[i] = isfinite(pos[X][i]) && isfinite(pos[Y][i]);
        kept += keep[i];
    }
    if (kept == 0) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path[X],
                         "none of the %" PRIuMAX " %s has a finite position "
                         "(x and y); nothing can be placed",
                         (uintmax_t)n, sp->rows);
        goto done;
    }

    s.n_rows = kept;
    s.n_cols = (size_t)m;
    s.n_dropped = (size_t)n - kept;
    s.data = malloc(kept * s.n_cols * sizeof *s.data);
    /* With no row dropped the blocks are read straight into place, and
     * only checked there: no second copy of the largest array. */
    int in_place = kept == (size_t)n;
    hsize_t brows = h5u_block_rows(m);
    blk = in_place ? NULL : malloc((size_t)(brows * m) * sizeof *blk);
    if (!s.data || (!in_place && !blk)) {
        ret = h5u_defect(c, MS_ERR_NOMEM, path[D], "out of memory");
        goto done;
    }
    size_t k = 0; /* next kept row */
    for (hsize_t r0 = 0; r0 < n; r0 += brows) {
        hsize_t nr = n - r0 < brows ? n - r0 : brows;
        float *got = in_place ? s.data + r0 * m : blk;
        if ((ret = h5u_read_block_f32(c, ds[D], path[D], &num[D], r0, nr, m,
                                      got)))
            goto done;
        for (hsize_t i = 0; i < nr; i++) {
            if (!keep[r0 + i])
                continue;
            float *dst = s.data + k * s.n_cols;
            if (!in_place)
                memcpy(dst, got + i * m, s.n_cols * sizeof *dst);
            for (size_t j = 0; j < s.n_cols; j++) {
                if (isfinite(dst[j]))
                    continue;
                /* Missing: 0 in data, 0 in the mask (made on first use,
                 * so a complete recording carries no mask). */
                if (!s.valid) {
                    s.valid = malloc(kept * s.n_cols);
                    if (!s.valid) {
                        ret = h5u_defect(c, MS_ERR_NOMEM, path[D],
                                         "out of memory");
                        goto done;
                    }
                    memset(s.valid, 1, kept * s.n_cols);
                }
                dst[j] = 0.0f;
                s.valid[k * s.n_cols + j] = 0;
                s.n_missing++;
            }
            k++;
        }
    }
    for (int i = X; i < N_DS; i++)
        compact(pos[i], keep, (size_t)n);
    s.x = pos[X];
    s.y = pos[Y];
    s.height = pos[H];
    s.time = pos[T];
    pos[X] = pos[Y] = pos[H] = pos[T] = NULL;

    if (s.n_dropped)
        h5u_warn(c, path[X],
                 "warning: %zu of %" PRIuMAX " %s dropped because their "
                 "position (x or y) is not finite",
                 s.n_dropped, (uintmax_t)n, sp->rows);
    if (s.n_missing)
        h5u_warn(c, path[D],
                 "warning: %zu of %zu %s missing (NaN, Inf or _FillValue); "
                 "treated as missing",
                 s.n_missing, kept * s.n_cols,
                 sp->min_cols == 2 ? "samples" : "values");
    *out = s;
    memset(&s, 0, sizeof s);
done:
    sensor_data_free(&s);
    free(blk);
    free(keep);
    for (int i = 0; i < N_DS; i++) {
        free(pos[i]);
        if (ds[i] >= 0)
            H5Dclose(ds[i]);
    }
    return ret;
}

/* A float attribute that must be finite and > 0 (or >= 0). */
static int positive_attr(h5u_ctx *c, hid_t obj, const char *path,
                         const char *name, int required, int allow_zero,
                         const char *unit, double *v)
{
    int r = h5u_attr_double(c, obj, path, name, required, v);
    if (r)
        return r;
    if (!isfinite(*v) || *v < 0 || (!allow_zero && *v == 0))
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "attribute %s is %g; it must be %s (%s)", name, *v,
                          allow_zero ? ">= 0" : "> 0", unit);
    return 0;
}

static int read_gpr(h5u_ctx *c, hid_t file, ms_gpr **out)
{
    static const sensor_spec spec = {"/gpr", "traces", "samples", 2};
    hid_t grp = H5I_INVALID_HID;
    sensor_data s = {0};
    ms_gpr *g = NULL;
    double dt = 0, f0 = 0, t0 = 0;
    char *units = NULL;
    int ret = h5u_open_group(c, file, "/", "gpr", 0, &grp), bad = 0;
    if (ret)
        goto done;

    if (positive_attr(c, grp, "/gpr", "sample_interval_s", 1, 0, "seconds",
                      &dt))
        bad = 1;
    int r = positive_attr(c, grp, "/gpr", "centre_frequency_hz", 0, 0, "Hz",
                          &f0);
    if (r == MS_ERR_NOT_FOUND)
        f0 = 0;
    else if (r)
        bad = 1;
    int t0_ok = 1;
    r = positive_attr(c, grp, "/gpr", "time_zero_s", 0, 1, "seconds", &t0);
    if (r == MS_ERR_NOT_FOUND)
        t0 = 0;
    else if (r)
        bad = 1, t0_ok = 0;
    r = h5u_attr_string(c, grp, "/gpr", "units", 0, &units);
    if (r && r != MS_ERR_NOT_FOUND)
        bad = 1;

    if ((ret = read_sensor(c, grp, &spec, &s)))
        goto done;
    /* Sample k is at time k * dt: time zero must be one of those times. */
    double window = (double)(s.n_cols - 1) * dt;
    if (dt > 0 && t0_ok && t0 > window * (1 + 1e-9)) {
        bad = 1;
        h5u_defect(c, MS_ERR_INVALID_INPUT, "/gpr",
                   "attribute time_zero_s is %g s, outside the trace's time "
                   "window [0, %g] s (%zu samples every %g s)",
                   t0, window, s.n_cols, dt);
    }
    if (bad) {
        ret = MS_ERR_INVALID_INPUT;
        goto done;
    }
    g = calloc(1, sizeof *g);
    if (!g) {
        ret = h5u_defect(c, MS_ERR_NOMEM, "/gpr", "out of memory");
        goto done;
    }
    g->n_traces = s.n_rows;
    g->n_samples = s.n_cols;
    g->data = s.data;
    g->valid = s.valid;
    g->x = s.x;
    g->y = s.y;
    g->height = s.height;
    g->time = s.time;
    g->n_missing_samples = s.n_missing;
    g->n_dropped_traces = s.n_dropped;
    memset(&s, 0, sizeof s);
    g->sample_interval_s = dt;
    g->centre_frequency_hz = f0;
    g->time_zero_s = t0;
    g->units = units;
    units = NULL;
    *out = g;
done:
    free(units);
    sensor_data_free(&s);
    if (grp >= 0)
        H5Gclose(grp);
    return ret;
}

static int read_emi(h5u_ctx *c, hid_t file, ms_emi **out)
{
    static const sensor_spec spec = {"/emi", "readings", "channels", 1};
    hid_t grp = H5I_INVALID_HID;
    sensor_data s = {0};
    ms_emi *e = NULL;
    char *units = NULL;
    char **names = NULL;
    size_t n_names = 0;
    int ret = h5u_open_group(c, file, "/", "emi", 0, &grp), bad = 0;
    if (ret)
        goto done;

    int r = h5u_attr_string(c, grp, "/emi", "units", 0, &units);
    if (r && r != MS_ERR_NOT_FOUND)
        bad = 1;
    int have_names = 0;
    r = h5u_attr_strings(c, grp, "/emi", "channel_names", &names, &n_names);
    if (r == 0)
        have_names = 1;
    else if (r != MS_ERR_NOT_FOUND)
        bad = 1;

    if ((ret = read_sensor(c, grp, &spec, &s)))
        goto done;
    if (have_names && n_names != s.n_cols) {
        bad = 1;
        h5u_defect(c, MS_ERR_INVALID_INPUT, "/emi",
                   "attribute channel_names has %zu names but data has %zu "
                   "channels; give one name per channel",
                   n_names, s.n_cols);
    }
    if (bad) {
        ret = MS_ERR_INVALID_INPUT;
        goto done;
    }
    e = calloc(1, sizeof *e);
    if (!e) {
        ret = h5u_defect(c, MS_ERR_NOMEM, "/emi", "out of memory");
        goto done;
    }
    e->n_readings = s.n_rows;
    e->n_channels = s.n_cols;
    e->data = s.data;
    e->valid = s.valid;
    e->x = s.x;
    e->y = s.y;
    e->height = s.height;
    e->time = s.time;
    e->n_missing_samples = s.n_missing;
    e->n_dropped_readings = s.n_dropped;
    memset(&s, 0, sizeof s);
    e->units = units;
    units = NULL;
    if (have_names) {
        e->channel_names = names;
        names = NULL;
    }
    *out = e;
done:
    h5u_free_strings(names, n_names);
    free(units);
    sensor_data_free(&s);
    if (grp >= 0)
        H5Gclose(grp);
    return ret;
}

static int read_lane(h5u_ctx *c, hid_t file, ms_lane *lane)
{
    static const char *const names[4] = {"x_min", "x_max", "y_min", "y_max"};
    double v[4] = {0};
    hid_t grp = H5I_INVALID_HID;
    int ret = h5u_open_group(c, file, "/", "lane", 0, &grp), bad = 0;
    if (ret)
        goto done;
    for (int i = 0; i < 4; i++) {
        if (h5u_attr_double(c, grp, "/lane", names[i], 1, &v[i])) {
            bad = 1;
        } else if (!isfinite(v[i])) {
            bad = 1;
            h5u_defect(c, MS_ERR_INVALID_INPUT, "/lane",
                       "attribute %s is %g; it must be finite (metres)",
                       names[i], v[i]);
        }
    }
    if (!bad) {
        for (int a = 0; a < 4; a += 2)
            if (!(v[a] < v[a + 1])) {
                bad = 1;
                h5u_defect(c, MS_ERR_INVALID_INPUT, "/lane",
                           "%s = %g is not less than %s = %g; the lane must "
                           "have a positive extent",
                           names[a], v[a], names[a + 1], v[a + 1]);
            }
    }
    if (bad) {
        ret = MS_ERR_INVALID_INPUT;
        goto done;
    }
    lane->present = 1;
    lane->x_min = v[0];
    lane->x_max = v[1];
    lane->y_min = v[2];
    lane->y_max = v[3];
done:
    if (grp >= 0)
        H5Gclose(grp);
    return ret;
}

/* Open and read the optional/required parallel 1-D float datasets of a
 * group (truth, marks) that must all have len(x) entries. names[0..1] are
 * x and y (required, finite). */
static int read_parallel(h5u_ctx *c, hid_t grp, const char *gpath,
                         const char *const *names, int n_names,
                         double **out, size_t *n_out)
{
    int ret = 0, bad = 0;
    hid_t ds[8];
    int st[8];
    hsize_t dims[8][2];
    h5u_num num[8];
    char path[8][H5U_PATH_MAX];

    for (int i = 0; i < n_names; i++) {
        ds[i] = H5I_INVALID_HID;
        out[i] = NULL;
        st[i] = h5u_open_numeric(c, grp, gpath, names[i], i < 2, 1,
                                 H5U_ACCEPT_DATA, &ds[i], dims[i], &num[i],
                                 path[i]);
        if (st[i] != 0 && st[i] != MS_ERR_NOT_FOUND)
            bad = 1;
    }
    for (int i = 1; i < n_names; i++)
        check_len(c, st[i], path[i], dims[i][0], st[0] == 0, dims[0][0],
                  &bad);
    if (bad) {
        ret = MS_ERR_INVALID_INPUT;
        goto done;
    }
    size_t n = (size_t)dims[0][0];
    for (int i = 0; i < n_names; i++)
        if (st[i] == 0 &&
            (ret = h5u_read_1d_double(c, ds[i], path[i], &num[i], n, &out[i])))
            goto done;
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; out[i] && k < n; k++)
            if (!isfinite(out[i][k])) {
                ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path[i],
                                 "entry %zu is not finite; every entry "
                                 "needs a position",
                                 k);
                goto done;
            }
    *n_out = n;
done:
    for (int i = 0; i < n_names; i++) {
        if (ret) {
            free(out[i]);
            out[i] = NULL;
        }
        if (ds[i] >= 0)
            H5Dclose(ds[i]);
    }
    return ret;
}

static int read_truth(h5u_ctx *c, hid_t file, ms_truth **out)
{
    static const char *const names[4] = {"x", "y", "depth", "diameter"};
    double *v[4] = {NULL};
    size_t n = 0;
    hid_t grp = H5I_INVALID_HID, dmine = H5I_INVALID_HID;
    int *is_mine = NULL;
    char **label = NULL;
    ms_truth *t = NULL;
    hsize_t dims[2];
    h5u_num num;
    char mpath[H5U_PATH_MAX];
    int ret = h5u_open_group(c, file, "/", "truth", 0, &grp);
    if (ret)
        goto done;

    int rm = h5u_open_numeric(c, grp, "/truth", "is_mine", 1, 1,
                              H5U_ACCEPT_INTEGER, &dmine, dims, &num, mpath);
    if ((ret = read_parallel(c, grp, "/truth", names, 4, v, &n)))
        goto done;
    if (rm) {
        ret = rm;
        goto done;
    }
    if (dims[0] != n) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, mpath,
                         "has %" PRIuMAX " entries but x has %zu; they must "
                         "be equal",
                         (uintmax_t)dims[0], n);
        goto done;
    }
    if ((ret = h5u_read_1d_int(c, dmine, mpath, n, &is_mine)))
        goto done;
    int rl = h5u_read_1d_strings(c, grp, "/truth", "label", n, &label);
    if (rl && rl != MS_ERR_NOT_FOUND) {
        ret = rl;
        goto done;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        ret = h5u_defect(c, MS_ERR_NOMEM, "/truth", "out of memory");
        goto done;
    }
    t->n = n;
    t->x = v[0];
    t->y = v[1];
    t->depth = v[2];
    t->diameter = v[3];
    t->is_mine = is_mine;
    t->label = label;
    v[0] = v[1] = v[2] = v[3] = NULL;
    is_mine = NULL;
    label = NULL;
    *out = t;
done:
    for (int i = 0; i < 4; i++)
        free(v[i]);
    free(is_mine);
    h5u_free_strings(label, n);
    if (dmine >= 0)
        H5Dclose(dmine);
    if (grp >= 0)
        H5Gclose(grp);
    return ret;
}

static int read_marks(h5u_ctx *c, hid_t file, ms_marks **out)
{
    static const char *const names[3] = {"x", "y", "time"};
    double *v[3] = {NULL};
    size_t n = 0;
    hid_t grp = H5I_INVALID_HID;
    ms_marks *m = NULL;
    int ret = h5u_open_group(c, file, "/", "marks", 0, &grp);
    if (ret)
        goto done;
    if ((ret = read_parallel(c, grp, "/marks", names, 3, v, &n)))
        goto done;
    m = calloc(1, sizeof *m);
    if (!m) {
        ret = h5u_defect(c, MS_ERR_NOMEM, "/marks", "out of memory");
        goto done;
    }
    m->n = n;
    m->x = v[0];
    m->y = v[1];
    m->time = v[2];
    v[0] = v[1] = v[2] = NULL;
    *out = m;
done:
    for (int i = 0; i < 3; i++)
        free(v[i]);
    if (grp >= 0)
        H5Gclose(grp);
    return ret;
}

static void read_root(h5u_ctx *c, hid_t file, ms_recording *rec)
{
    char *format = NULL;
    if (h5u_attr_string(c, file, "/", "format", 1, &format) == 0 &&
        strcmp(format, "minescan-recording") != 0)
        h5u_defect(c, MS_ERR_INVALID_INPUT, "/",
                   "attribute format is \"%.80s\"; it must be "
                   "\"minescan-recording\"",
                   format);
    free(format);

    double v = 0;
    if (h5u_attr_double(c, file, "/", "format_version", 1, &v) == 0) {
        if (v != floor(v))
            h5u_defect(c, MS_ERR_INVALID_INPUT, "/",
                       "attribute format_version is %g; it must be the "
                       "integer 1",
                       v);
        else if (v != 1)
            h5u_defect(c, MS_ERR_INVALID_INPUT, "/",
                       "attribute format_version is %g; this reader "
                       "understands version 1",
                       v);
        else
            rec->format_version = 1;
    }

    struct {
        const char *name;
        char **dst;
    } opt[] = {{"title", &rec->title},
               {"site", &rec->site},
               {"lane_id", &rec->lane_id},
               {"operator_id", &rec->operator_id},
               {"instrument", &rec->instrument},
               {"recorded_at", &rec->recorded_at}};
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        h5u_attr_string(c, file, "/", opt[i].name, 0, opt[i].dst);
}

/* Read an open recording file into a new ms_recording; the caller
 * closes `file`. */
static int read_open(h5u_ctx *c, hid_t file, const char *path,
                     ms_recording **out)
{
    ms_recording *rec = ms_recording_new();
    int ret;
    if (!rec)
        return h5u_defect(c, MS_ERR_NOMEM, NULL, "out of memory");
    /* A gprMax output file is the other input we accept, through its own
     * importer: say so in one line instead of listing what it lacks. */
    if (h5u_child_kind(file, "rxs") == H5U_GROUP &&
        H5Aexists(file, "format") <= 0) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, "/",
                         "a gprMax output file, not a minescan recording; "
                         "convert it with: minescan import-gprmax %s -o "
                         "RECORDING.h5 [--dx M]", path);
        goto done;
    }
    read_root(c, file, rec);
    int rg = read_gpr(c, file, &rec->gpr);
    int re = read_emi(c, file, &rec->emi);
    if (rg == MS_ERR_NOT_FOUND && re == MS_ERR_NOT_FOUND)
        h5u_defect(c, MS_ERR_INVALID_INPUT, "/",
                   "neither /gpr nor /emi is present; a recording needs at "
                   "least one sensor");
    read_lane(c, file, &rec->lane);
    read_truth(c, file, &rec->truth);
    read_marks(c, file, &rec->marks);

    if (c->n_defects) {
        ret = c->code;
        goto done;
    }
    h5u_ctx_flush_warnings(c);
    ret = 0;
    if (out) {
        *out = rec;
        rec = NULL;
    }
done:
    ms_recording_free(rec);
    return ret;
}

int ms_recording_read(const char *path, ms_recording **out, ms_diag *diag)
{
    h5u_ctx c;
    hid_t file = H5I_INVALID_HID;
    int ret;

    if (out)
        *out = NULL;
    ms_isolated_input_begin(); /* a child's stall limit covers this read */
    h5u_ctx_init(&c, path, diag);
    h5u_silence();
    if (!(ret = h5u_check_file(&c)) && !(ret = h5u_open_file(&c, &file)))
        ret = read_open(&c, file, path, out);
    if (file >= 0)
        H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    h5u_ctx_free(&c);
    ms_isolated_input_end();
    return ret;
}

int ms_recording_read_image(const void *image, size_t len, const char *name,
                            ms_recording **out, ms_diag *diag)
{
    h5u_ctx c;
    hid_t file = H5I_INVALID_HID;
    int ret;

    if (out)
        *out = NULL;
    h5u_ctx_init(&c, name, diag);
    h5u_silence();
    if (!(ret = h5u_open_image(&c, image, len, &file)))
        ret = read_open(&c, file, name, out);
    if (file >= 0)
        H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    h5u_ctx_free(&c);
    return ret;
}

int ms_recording_validate(const char *path, ms_diag *diag)
{
    return ms_recording_read(path, NULL, diag);
}
