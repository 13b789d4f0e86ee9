/* Import of gprMax output (v3 .out, v4 .h5): a merged B-scan, or a single
 * A-scan, of one receiver component becomes a GPR recording. gprMax
 * stores each component time first ([Iterations][n_traces]), the
 * transpose of ours, and a merged file usually lacks the cell size and
 * rxsteps that give the trace spacing, so the user may have to supply it. */
#include "minescan/recording.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"

/* Half-width of the lane put around a 2-D model's single line (metres):
 * FAR needs an area, and a hand-held lane is about a metre wide. */
#define GPRMAX_LANE_HALF_WIDTH 0.5

typedef struct name_list {
    char buf[512];
    size_t len;
} name_list;

static herr_t list_cb(hid_t g, const char *name, const H5L_info_t *info,
                      void *data)
{
    name_list *l = data;
    (void)g;
    (void)info;
    int w = snprintf(l->buf + l->len, sizeof l->buf - l->len, "%s%s",
                     l->len ? " " : "", name);
    if (w > 0 && (size_t)w < sizeof l->buf - l->len)
        l->len += (size_t)w;
    return 0;
}

/* The dataset's rank, or -1. */
static int dataset_rank(hid_t loc, const char *name)
{
    int rank = -1;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT), s = H5I_INVALID_HID;
    if (d >= 0 && (s = H5Dget_space(d)) >= 0)
        rank = H5Sget_simple_extent_ndims(s);
    if (s >= 0)
        H5Sclose(s);
    if (d >= 0)
        H5Dclose(d);
    H5Eclear2(H5E_DEFAULT);
    return rank;
}

/* An optional string attribute that must not fail the import. */
static char *soft_string(const char *file, hid_t obj, const char *name)
{
    h5u_ctx quiet;
    char *s = NULL;
    h5u_ctx_init(&quiet, file, NULL);
    if (h5u_attr_string(&quiet, obj, "/", name, 0, &s) != 0)
        s = NULL;
    h5u_ctx_free(&quiet);
    return s;
}

int ms_gprmax_import(const char *path, const char *component, double dx_m,
                     ms_recording **out, ms_diag *diag)
{
    h5u_ctx c;
    hid_t file = H5I_INVALID_HID, rxs = H5I_INVALID_HID,
          rx1 = H5I_INVALID_HID, dset = H5I_INVALID_HID;
    ms_recording *rec = NULL;
    ms_gpr *g = NULL;
    float *blk = NULL;
    char dpath[H5U_PATH_MAX];
    int ret;

    *out = NULL;
    h5u_ctx_init(&c, path, diag);
    h5u_silence();
    const char *comp = component && component[0] ? component : "Ez";
    if (strchr(comp, '/') || strlen(comp) > 64) {
        ret = h5u_defect(&c, MS_ERR_USAGE, NULL,
                         "component \"%.64s\" is not a receiver output name "
                         "(Ex, Ey, Ez, Hx, Hy, Hz)",
                         comp);
        goto done;
    }
    if (!(dx_m <= 0 || isfinite(dx_m))) {
        ret = h5u_defect(&c, MS_ERR_USAGE, NULL,
                         "the trace spacing must be a finite number of "
                         "metres");
        goto done;
    }
    if ((ret = h5u_check_file(&c)) || (ret = h5u_open_file(&c, &file)))
        goto done;

    /* Root attributes: dt is required; the rest help. */
    double dt = 0, iters = 0, cell[3] = {0}, steps[3] = {0};
    int bad = 0;
    int r = h5u_attr_double(&c, file, "/", "dt", 1, &dt);
    if (r)
        bad = 1;
    else if (!isfinite(dt) || dt <= 0)
        bad = h5u_defect(&c, MS_ERR_INVALID_INPUT, "/",
                         "attribute dt is %g; it must be > 0 (seconds)", dt);
    r = h5u_attr_double(&c, file, "/", "Iterations", 0, &iters);
    int have_iters = r == 0;
    if (r && r != MS_ERR_NOT_FOUND)
        bad = 1;
    if (have_iters && (iters < 1 || iters != floor(iters)))
        bad = h5u_defect(&c, MS_ERR_INVALID_INPUT, "/",
                         "attribute Iterations is %g; it must be a positive "
                         "integer",
                         iters);
    /* v4 spells it dx_dy_dz; v3 has one attribute named "dx, dy, dz". */
    r = h5u_attr_doubles(&c, file, "/", "dx_dy_dz", 0, cell, 3);
    if (r == MS_ERR_NOT_FOUND)
        r = h5u_attr_doubles(&c, file, "/", "dx, dy, dz", 0, cell, 3);
    int have_cell = r == 0;
    if (r && r != MS_ERR_NOT_FOUND)
        bad = 1;
    r = h5u_attr_doubles(&c, file, "/", "rxsteps", 0, steps, 3);
    int have_steps = r == 0;
    if (r && r != MS_ERR_NOT_FOUND)
        bad = 1;

    if ((ret = h5u_open_group(&c, file, "/", "rxs", 1, &rxs)) ||
        (ret = h5u_open_group(&c, rxs, "/rxs", "rx1", 1, &rx1)))
        goto done;
    h5u_join(dpath, sizeof dpath, "/rxs/rx1", comp);
    if (h5u_child_kind(rx1, comp) == H5U_ABSENT) {
        name_list l = {"", 0};
        hsize_t idx = 0;
        H5Literate(rx1, H5_INDEX_NAME, H5_ITER_NATIVE, &idx, list_cb, &l);
        ret = h5u_defect(&c, MS_ERR_INVALID_INPUT, dpath,
                         "no such receiver output; this receiver has: %s "
                         "(choose one with --component)",
                         l.len ? l.buf : "nothing");
        goto done;
    }
    int rank = dataset_rank(rx1, comp);
    hsize_t dims[2];
    h5u_num num;
    if ((ret = h5u_open_numeric(&c, rx1, "/rxs/rx1", comp, 1,
                                rank == 1 ? 1 : 2, H5U_ACCEPT_DATA, &dset,
                                dims, &num, dpath)))
        goto done;
    if (bad) {
        ret = c.code;
        goto done;
    }

    /* Layout: [Iterations][n_traces] as gprMax writes it; a file already
     * in our [n_traces][n_samples] order is taken as it is. */
    int time_first = 1;
    size_t ns, nt;
    if (rank == 1) {
        ns = (size_t)dims[0];
        nt = 1;
    } else if (!have_iters || dims[0] == (hsize_t)iters) {
        ns = (size_t)dims[0];
        nt = (size_t)dims[1];
    } else if (dims[1] == (hsize_t)iters) {
        time_first = 0;
        nt = (size_t)dims[0];
        ns = (size_t)dims[1];
    } else {
        ret = h5u_defect(&c, MS_ERR_INVALID_INPUT, dpath,
                         "is [%" PRIuMAX "][%" PRIuMAX "] but Iterations is "
                         "%.0f; one dimension must be the time steps",
                         (uintmax_t)dims[0], (uintmax_t)dims[1], iters);
        goto done;
    }
    if (ns < 2 || nt < 1) {
        ret = h5u_defect(&c, MS_ERR_INVALID_INPUT, dpath,
                         "holds %zu traces of %zu time steps; at least one "
                         "trace of 2 steps is required",
                         nt, ns);
        goto done;
    }

    /* Trace spacing: --dx, else |rxsteps| cells. */
    double spacing = 0;
    if (dx_m > 0) {
        spacing = dx_m;
    } else if (have_steps && have_cell) {
        spacing = sqrt(pow(steps[0] * cell[0], 2) + pow(steps[1] * cell[1], 2) +
                       pow(steps[2] * cell[2], 2));
    }
    if (!(spacing > 0) && nt > 1) {
        ret = h5u_defect(
            &c, MS_ERR_INVALID_INPUT, "/",
            "the trace spacing is unknown (%s); pass it in metres with --dx",
            !have_steps  ? "no rxsteps attribute, as in a merged B-scan"
            : !have_cell ? "no dx_dy_dz cell size, as in a merged B-scan"
                         : "rxsteps is zero");
        goto done;
    }

    if ((ret = h5u_check_size(&c, dpath, nt, ns, sizeof(float) + 1)))
        goto done;
    if (c.n_defects) { /* nothing may slip through */
        ret = c.code;
        goto done;
    }
    rec = ms_recording_new();
    g = ms_gpr_new(nt, ns);
    if (!rec || !g) {
        ret = h5u_defect(&c, MS_ERR_NOMEM, dpath, "out of memory");
        goto done;
    }
    hsize_t fcols = time_first ? nt : ns, frows = time_first ? ns : nt;
    hsize_t brows = h5u_block_rows(fcols);
    blk = malloc((size_t)(brows * fcols) * sizeof *blk);
    if (!blk) {
        ret = h5u_defect(&c, MS_ERR_NOMEM, dpath, "out of memory");
        goto done;
    }
    for (hsize_t r0 = 0; r0 < frows; r0 += brows) {
        hsize_t nr = frows - r0 < brows ? frows - r0 : brows;
        if ((ret = h5u_read_block_f32(&c, dset, dpath, &num, r0, nr, fcols,
                                      blk)))
            goto done;
        for (hsize_t i = 0; i < nr; i++)
            for (hsize_t j = 0; j < fcols; j++) {
                /* Time-first: file row = time step, column = trace. */
                size_t trace = (size_t)(time_first ? j : r0 + i);
                size_t t = (size_t)(time_first ? r0 + i : j);
                size_t k = trace * ns + t;
                float v = blk[i * fcols + j];
                if (isfinite(v)) {
                    g->data[k] = v;
                    continue;
                }
                if (!g->valid) {
                    g->valid = malloc(nt * ns);
                    if (!g->valid) {
                        ret = h5u_defect(&c, MS_ERR_NOMEM, dpath,
                                         "out of memory");
                        goto done;
                    }
                    memset(g->valid, 1, nt * ns);
                }
                g->data[k] = 0.0f;
                g->valid[k] = 0;
                g->n_missing_samples++;
            }
    }
    if (g->n_missing_samples)
        h5u_warn(&c, dpath,
                 "warning: %zu of %zu samples are not finite (an unstable "
                 "model?); treated as missing",
                 g->n_missing_samples, nt * ns);

    for (size_t j = 0; j < nt; j++) {
        g->x[j] = (double)j * spacing;
        g->y[j] = 0.0;
    }
    g->sample_interval_s = dt;
    g->time_zero_s = 0.0;
    const char *units = comp[0] == 'E' ? "V/m" : comp[0] == 'H' ? "A/m"
                                                                : NULL;
    if (units && !(g->units = strdup(units))) {
        ret = h5u_defect(&c, MS_ERR_NOMEM, dpath, "out of memory");
        goto done;
    }
    rec->gpr = g;
    g = NULL;

    /* A lane around the line, half a trace spacing beyond each end. */
    double pad = spacing > 0 ? spacing / 2 : GPRMAX_LANE_HALF_WIDTH;
    rec->lane.present = 1;
    rec->lane.x_min = -pad;
    rec->lane.x_max = (double)(nt - 1) * spacing + pad;
    rec->lane.y_min = -GPRMAX_LANE_HALF_WIDTH;
    rec->lane.y_max = GPRMAX_LANE_HALF_WIDTH;

    rec->title = soft_string(path, file, "Title");
    char *version = soft_string(path, file, "gprMax");
    char inst[128];
    snprintf(inst, sizeof inst, "gprMax %s simulation (%s, receiver rx1)",
             version ? version : "(unknown version)", comp);
    free(version);
    if (!(rec->instrument = strdup(inst))) {
        ret = h5u_defect(&c, MS_ERR_NOMEM, NULL, "out of memory");
        goto done;
    }
    h5u_ctx_flush_warnings(&c);
    *out = rec;
    rec = NULL;
    ret = 0;
done:
    free(blk);
    ms_gpr_free(g);
    ms_recording_free(rec);
    if (dset >= 0)
        H5Dclose(dset);
    if (rx1 >= 0)
        H5Gclose(rx1);
    if (rxs >= 0)
        H5Gclose(rxs);
    if (file >= 0)
        H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    h5u_ctx_free(&c);
    return ret;
}
