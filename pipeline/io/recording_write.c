/* The recording writer: the layout of pipeline/io/FORMAT.md, in any of the
 * stored types and storage layouts the reader accepts (ms_write_options).
 * It checks the recording first, so it never writes a file the reader
 * would reject, and writes atomically: a temporary file in the same
 * folder, renamed over the final name only once complete. */
#include "minescan/recording.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5util.h"

ms_write_options ms_write_options_default(void)
{
    ms_write_options o = {MS_STORE_FLOAT32, 4, 1, 1};
    return o;
}

/* ---- checks on the recording in memory ------------------------------ */

static int bad(const char *path, const char *what, const char *msg)
{
    return ms_fail(MS_ERR_INVALID_INPUT, "%s: cannot write: %s: %s", path,
                   what, msg);
}

static int check_recording(const char *path, const ms_recording *rec,
                           const ms_write_options *opt)
{
    if (!rec)
        return bad(path, "/", "no recording");
    if (!rec->gpr && !rec->emi)
        return bad(path, "/", "a recording needs /gpr or /emi");
    if (opt->data_type < MS_STORE_FLOAT32 || opt->data_type > MS_STORE_INT32)
        return ms_fail(MS_ERR_USAGE, "%s: cannot write: unknown data type %d",
                       path, (int)opt->data_type);
    if (opt->deflate_level < 0 || opt->deflate_level > 9)
        return ms_fail(MS_ERR_USAGE,
                       "%s: cannot write: deflate level %d is not in 0..9",
                       path, opt->deflate_level);
    const ms_gpr *g = rec->gpr;
    if (g) {
        if (g->n_traces < 1 || g->n_samples < 2)
            return bad(path, "/gpr",
                       "needs at least 1 trace and 2 samples per trace");
        if (!g->data || !g->x || !g->y)
            return bad(path, "/gpr", "data, x and y are required");
        if (!(g->sample_interval_s > 0) || !isfinite(g->sample_interval_s))
            return bad(path, "/gpr", "sample_interval_s must be > 0");
        if (!(g->centre_frequency_hz >= 0) ||
            !isfinite(g->centre_frequency_hz))
            return bad(path, "/gpr", "centre_frequency_hz must be >= 0");
        double window = (double)(g->n_samples - 1) * g->sample_interval_s;
        if (!(g->time_zero_s >= 0) || g->time_zero_s > window * (1 + 1e-9))
            return bad(path, "/gpr",
                       "time_zero_s must lie inside the time window");
    }
    const ms_emi *e = rec->emi;
    if (e) {
        if (e->n_readings < 1 || e->n_channels < 1)
            return bad(path, "/emi",
                       "needs at least 1 reading and 1 channel");
        if (!e->data || !e->x || !e->y)
            return bad(path, "/emi", "data, x and y are required");
    }
    const ms_lane *l = &rec->lane;
    if (l->present && !(l->x_min < l->x_max && l->y_min < l->y_max))
        return bad(path, "/lane", "needs x_min < x_max and y_min < y_max");
    const ms_truth *t = rec->truth;
    if (t && t->n && (!t->x || !t->y || !t->is_mine))
        return bad(path, "/truth", "x, y and is_mine are required");
    if (t)
        for (size_t i = 0; i < t->n; i++)
            if (!isfinite(t->x[i]) || !isfinite(t->y[i]))
                return bad(path, "/truth", "every object needs a finite x, y");
    const ms_marks *m = rec->marks;
    if (m && m->n && (!m->x || !m->y))
        return bad(path, "/marks", "x and y are required");
    if (m)
        for (size_t i = 0; i < m->n; i++)
            if (!isfinite(m->x[i]) || !isfinite(m->y[i]))
                return bad(path, "/marks", "every mark needs a finite x, y");
    return 0;
}

/* ---- HDF5 writing helpers ------------------------------------------- */

typedef struct wctx {
    const char *path; /* the final name, for messages */
    const ms_write_options *opt;
} wctx;

static int h5fail(const wctx *w, const char *what)
{
    char why[512];
    h5u_error_text(why, sizeof why);
    return ms_fail(MS_ERR_IO, "%s: cannot write %s (%s)", w->path, what, why);
}

/* A string type: variable length, or fixed of `len` bytes (NUL padded,
 * as h5py writes numpy bytes). UTF-8 either way. */
static hid_t string_type(int variable, size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, variable ? H5T_VARIABLE : (len ? len : 1)) < 0 ||
        H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
        (!variable && H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
        H5Tclose(t);
        return H5I_INVALID_HID;
    }
    return t;
}

/* Strings packed for a fixed-length type: n * width bytes. */
static char *pack_fixed(const char *const *s, size_t n, size_t *width)
{
    size_t w = 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] && strlen(s[i]) > w)
            w = strlen(s[i]);
    char *buf = calloc(n ? n : 1, w);
    if (buf)
        for (size_t i = 0; i < n; i++)
            if (s[i])
                memcpy(buf + i * w, s[i], strlen(s[i]));
    *width = w;
    return buf;
}

/* Write n strings as an attribute (scalar when `scalar`) or a 1-D
 * dataset of `obj`. */
static int write_strings(const wctx *w, hid_t obj, const char *name,
                         const char *const *s, size_t n, int is_attr,
                         int scalar, const char *what)
{
    int ret = 0;
    hid_t type = H5I_INVALID_HID, space = H5I_INVALID_HID,
          id = H5I_INVALID_HID;
    char *fixed = NULL;
    const char **vl = NULL;
    size_t width = 0;
    hsize_t dims[1] = {n};
    int variable = w->opt->variable_strings;

    if (variable) {
        /* NULL entries are written as "" (h5py reads NULL as b''). */
        vl = calloc(n ? n : 1, sizeof *vl);
        if (!vl)
            return ms_fail(MS_ERR_NOMEM, "%s: out of memory", w->path);
        for (size_t i = 0; i < n; i++)
            vl[i] = s[i] ? s[i] : "";
    } else {
        fixed = pack_fixed(s, n, &width);
        if (!fixed)
            return ms_fail(MS_ERR_NOMEM, "%s: out of memory", w->path);
    }
    type = string_type(variable, width);
    space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    if (type < 0 || space < 0) {
        ret = h5fail(w, what);
        goto done;
    }
    id = is_attr ? H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)
                 : H5Dcreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT,
                              H5P_DEFAULT);
    if (id < 0) {
        ret = h5fail(w, what);
        goto done;
    }
    const void *buf = variable ? (const void *)vl : (const void *)fixed;
    herr_t r = 0;
    if (n)
        r = is_attr ? H5Awrite(id, type, buf)
                    : H5Dwrite(id, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    if (r < 0)
        ret = h5fail(w, what);
done:
    if (id >= 0 && is_attr)
        H5Aclose(id);
    else if (id >= 0)
        H5Dclose(id);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    free(fixed);
    free(vl);
    return ret;
}

static int attr_string(const wctx *w, hid_t obj, const char *name,
                       const char *value, const char *what)
{
    if (!value)
        return 0;
    return write_strings(w, obj, name, &value, 1, 1, 1, what);
}

/* A scalar numeric attribute stored as `ftype`. */
static int attr_number(const wctx *w, hid_t obj, const char *name,
                       hid_t ftype, hid_t mtype, const void *value,
                       const char *what)
{
    int ret = 0;
    hid_t space = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    if (space < 0 ||
        (a = H5Acreate2(obj, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT)) <
            0 ||
        H5Awrite(a, mtype, value) < 0)
        ret = h5fail(w, what);
    if (a >= 0)
        H5Aclose(a);
    if (space >= 0)
        H5Sclose(space);
    return ret;
}

static int attr_double(const wctx *w, hid_t obj, const char *name, double v,
                       const char *what)
{
    return attr_number(w, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v,
                       what);
}

/* A whole 1-D dataset (float64 or int32). */
static int dataset_1d(const wctx *w, hid_t loc, const char *name,
                      hid_t ftype, hid_t mtype, const void *v, size_t n,
                      const char *what)
{
    int ret = 0;
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL), d = H5I_INVALID_HID;
    if (space < 0 ||
        (d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT,
                        H5P_DEFAULT)) < 0 ||
        (n && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0))
        ret = h5fail(w, what);
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return ret;
}

static int doubles(const wctx *w, hid_t loc, const char *gpath,
                   const char *name, const double *v, size_t n)
{
    char what[H5U_PATH_MAX];
    if (!v)
        return 0;
    h5u_join(what, sizeof what, gpath, name);
    return dataset_1d(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, n,
                      what);
}

/* Integer packing: value = raw * scale + offset, with the most negative
 * raw value kept free as _FillValue. */
typedef struct packing {
    double scale, offset, max_raw, fill;
} packing;

static packing choose_packing(const float *v, const uint8_t *valid, size_t n,
                              double max_raw)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if ((valid && !valid[i]) || !isfinite(v[i]))
            continue;
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
    }
    packing p = {1.0, 0.0, max_raw, -max_raw - 1};
    if (lo <= hi) {
        double half = (hi - lo) / 2;
        p.offset = lo + half;
        p.scale = half / max_raw;
        if (!(p.scale > 0) || !isfinite(p.scale))
            p.scale = 1.0; /* constant data: every raw value is 0 */
    }
    return p;
}

static double pack(const packing *p, double v)
{
    double r = nearbyint((v - p->offset) / p->scale);
    return r > p->max_raw ? p->max_raw : r < -p->max_raw ? -p->max_raw : r;
}

/* /GROUP/data [n][m] in the chosen type and layout, written in blocks of
 * rows; missing values (valid == 0, or non-finite) as NaN or _FillValue. */
static int write_matrix(const wctx *w, hid_t loc, const char *gpath,
                        const float *data, const uint8_t *valid, size_t n,
                        size_t m)
{
    int ret = 0;
    const ms_write_options *o = w->opt;
    hid_t ftype, mtype, space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID,
                        d = H5I_INVALID_HID, fs = H5I_INVALID_HID,
                        ms = H5I_INVALID_HID;
    size_t elem;
    char what[H5U_PATH_MAX];
    void *buf = NULL;
    packing pk = {1, 0, 0, 0};

    h5u_join(what, sizeof what, gpath, "data");
    switch (o->data_type) {
    case MS_STORE_FLOAT64:
        ftype = H5T_IEEE_F64LE, mtype = H5T_NATIVE_DOUBLE, elem = 8;
        break;
    case MS_STORE_INT16:
        ftype = H5T_STD_I16LE, mtype = H5T_NATIVE_INT16, elem = 2;
        pk = choose_packing(data, valid, n * m, INT16_MAX);
        break;
    case MS_STORE_INT32:
        ftype = H5T_STD_I32LE, mtype = H5T_NATIVE_INT32, elem = 4;
        pk = choose_packing(data, valid, n * m, INT32_MAX);
        break;
    default: ftype = H5T_IEEE_F32LE, mtype = H5T_NATIVE_FLOAT, elem = 4; break;
    }
    int is_int = o->data_type == MS_STORE_INT16 ||
                 o->data_type == MS_STORE_INT32;

    hsize_t dims[2] = {n, m};
    space = H5Screate_simple(2, dims, NULL);
    dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (space < 0 || dcpl < 0) {
        ret = h5fail(w, what);
        goto done;
    }
    if (o->deflate_level > 0) {
        if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
            ret = ms_fail(MS_ERR_IO,
                          "%s: cannot write %s: this libhdf5 has no deflate",
                          w->path, what);
            goto done;
        }
        /* Chunks of whole rows, about 1 MiB each. */
        hsize_t cols = m > (1u << 18) ? (1u << 18) : m;
        hsize_t rows = ((hsize_t)1 << 20) / (cols * elem);
        if (rows < 1)
            rows = 1;
        if (rows > n)
            rows = n;
        hsize_t chunk[2] = {rows, cols};
        if (H5Pset_chunk(dcpl, 2, chunk) < 0 ||
            (o->shuffle && H5Pset_shuffle(dcpl) < 0) ||
            H5Pset_deflate(dcpl, (unsigned)o->deflate_level) < 0) {
            ret = h5fail(w, what);
            goto done;
        }
    }
    d = H5Dcreate2(loc, "data", ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) {
        ret = h5fail(w, what);
        goto done;
    }
    if (is_int) {
        if ((ret = attr_double(w, d, "scale_factor", pk.scale, what)) ||
            (ret = attr_double(w, d, "add_offset", pk.offset, what)))
            goto done;
        int32_t fill = (int32_t)pk.fill;
        int16_t fill16 = (int16_t)pk.fill;
        ret = attr_number(w, d, "_FillValue", ftype, mtype,
                          o->data_type == MS_STORE_INT16 ? (void *)&fill16
                                                         : (void *)&fill,
                          what);
        if (ret)
            goto done;
    }

    hsize_t brows = h5u_block_rows(m);
    buf = malloc((size_t)(brows * m) * elem);
    fs = H5Dget_space(d);
    if (!buf) {
        ret = ms_fail(MS_ERR_NOMEM, "%s: out of memory", w->path);
        goto done;
    }
    if (fs < 0) {
        ret = h5fail(w, what);
        goto done;
    }
    for (size_t r0 = 0; r0 < n; r0 += brows) {
        size_t nr = n - r0 < brows ? n - r0 : brows;
        size_t k0 = r0 * m, cnt = nr * m;
        ms_isolated_heartbeat();
        for (size_t i = 0; i < cnt; i++) {
            float v = data[k0 + i];
            int missing = (valid && !valid[k0 + i]) || !isfinite(v);
            switch (o->data_type) {
            case MS_STORE_FLOAT64:
                ((double *)buf)[i] = missing ? NAN : v;
                break;
            case MS_STORE_INT16:
                ((int16_t *)buf)[i] =
                    (int16_t)(missing ? pk.fill : pack(&pk, v));
                break;
            case MS_STORE_INT32:
                ((int32_t *)buf)[i] =
                    (int32_t)(missing ? pk.fill : pack(&pk, v));
                break;
            default: ((float *)buf)[i] = missing ? NAN : v; break;
            }
        }
        hsize_t start[2] = {r0, 0}, count[2] = {nr, m};
        if (ms >= 0)
            H5Sclose(ms);
        ms = H5Screate_simple(2, count, NULL);
        if (ms < 0 ||
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count,
                                NULL) < 0 ||
            H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf) < 0) {
            ret = h5fail(w, what);
            goto done;
        }
    }
done:
    free(buf);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    if (d >= 0)
        H5Dclose(d);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return ret;
}

/* ---- groups ----------------------------------------------------------- */

static hid_t new_group(const wctx *w, hid_t file, const char *name, int *ret)
{
    hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        *ret = h5fail(w, name);
    return g;
}

static int write_gpr(const wctx *w, hid_t file, const ms_gpr *g)
{
    int ret = 0;
    hid_t grp = new_group(w, file, "/gpr", &ret);
    if (grp < 0)
        return ret;
    if ((ret = attr_double(w, grp, "sample_interval_s", g->sample_interval_s,
                           "/gpr")) ||
        (g->centre_frequency_hz > 0 &&
         (ret = attr_double(w, grp, "centre_frequency_hz",
                            g->centre_frequency_hz, "/gpr"))) ||
        (ret = attr_double(w, grp, "time_zero_s", g->time_zero_s, "/gpr")) ||
        (ret = attr_string(w, grp, "units", g->units, "/gpr")) ||
        (ret = write_matrix(w, grp, "/gpr", g->data, g->valid, g->n_traces,
                            g->n_samples)) ||
        (ret = doubles(w, grp, "/gpr", "x", g->x, g->n_traces)) ||
        (ret = doubles(w, grp, "/gpr", "y", g->y, g->n_traces)) ||
        (ret = doubles(w, grp, "/gpr", "height", g->height, g->n_traces)) ||
        (ret = doubles(w, grp, "/gpr", "time", g->time, g->n_traces)))
        goto done;
done:
    H5Gclose(grp);
    return ret;
}

static int write_emi(const wctx *w, hid_t file, const ms_emi *e)
{
    int ret = 0;
    hid_t grp = new_group(w, file, "/emi", &ret);
    if (grp < 0)
        return ret;
    if ((ret = attr_string(w, grp, "units", e->units, "/emi")) ||
        (e->channel_names &&
         (ret = write_strings(w, grp, "channel_names",
                              (const char *const *)e->channel_names,
                              e->n_channels, 1, 0, "/emi"))) ||
        (ret = write_matrix(w, grp, "/emi", e->data, e->valid, e->n_readings,
                            e->n_channels)) ||
        (ret = doubles(w, grp, "/emi", "x", e->x, e->n_readings)) ||
        (ret = doubles(w, grp, "/emi", "y", e->y, e->n_readings)) ||
        (ret = doubles(w, grp, "/emi", "height", e->height, e->n_readings)) ||
        (ret = doubles(w, grp, "/emi", "time", e->time, e->n_readings)))
        goto done;
done:
    H5Gclose(grp);
    return ret;
}

static int write_lane(const wctx *w, hid_t file, const ms_lane *l)
{
    int ret = 0;
    hid_t grp = new_group(w, file, "/lane", &ret);
    if (grp < 0)
        return ret;
    if ((ret = attr_double(w, grp, "x_min", l->x_min, "/lane")) ||
        (ret = attr_double(w, grp, "x_max", l->x_max, "/lane")) ||
        (ret = attr_double(w, grp, "y_min", l->y_min, "/lane")) ||
        (ret = attr_double(w, grp, "y_max", l->y_max, "/lane")))
        goto done;
done:
    H5Gclose(grp);
    return ret;
}

static int write_truth(const wctx *w, hid_t file, const ms_truth *t)
{
    int ret = 0;
    hid_t grp = new_group(w, file, "/truth", &ret);
    if (grp < 0)
        return ret;
    int32_t *mine = malloc((t->n ? t->n : 1) * sizeof *mine);
    if (!mine) {
        ret = ms_fail(MS_ERR_NOMEM, "%s: out of memory", w->path);
        goto done;
    }
    for (size_t i = 0; i < t->n; i++)
        mine[i] = t->is_mine[i] != 0;
    if ((ret = doubles(w, grp, "/truth", "x", t->x, t->n)) ||
        (ret = doubles(w, grp, "/truth", "y", t->y, t->n)) ||
        (ret = dataset_1d(w, grp, "is_mine", H5T_STD_I32LE, H5T_NATIVE_INT32,
                          mine, t->n, "/truth/is_mine")) ||
        (ret = doubles(w, grp, "/truth", "depth", t->depth, t->n)) ||
        (ret = doubles(w, grp, "/truth", "diameter", t->diameter, t->n)) ||
        (t->label &&
         (ret = write_strings(w, grp, "label",
                              (const char *const *)t->label, t->n, 0, 0,
                              "/truth/label"))))
        goto done;
done:
    free(mine);
    H5Gclose(grp);
    return ret;
}

static int write_marks(const wctx *w, hid_t file, const ms_marks *m)
{
    int ret = 0;
    hid_t grp = new_group(w, file, "/marks", &ret);
    if (grp < 0)
        return ret;
    if ((ret = doubles(w, grp, "/marks", "x", m->x, m->n)) ||
        (ret = doubles(w, grp, "/marks", "y", m->y, m->n)) ||
        (ret = doubles(w, grp, "/marks", "time", m->time, m->n)))
        goto done;
done:
    H5Gclose(grp);
    return ret;
}

static int write_all(const wctx *w, hid_t file, const ms_recording *rec)
{
    int ret;
    int32_t version = 1;
    const char *format = "minescan-recording";
    if ((ret = attr_string(w, file, "format", format, "/")) ||
        (ret = attr_number(w, file, "format_version", H5T_STD_I32LE,
                           H5T_NATIVE_INT32, &version, "/")) ||
        (ret = attr_string(w, file, "title", rec->title, "/")) ||
        (ret = attr_string(w, file, "site", rec->site, "/")) ||
        (ret = attr_string(w, file, "lane_id", rec->lane_id, "/")) ||
        (ret = attr_string(w, file, "operator_id", rec->operator_id, "/")) ||
        (ret = attr_string(w, file, "instrument", rec->instrument, "/")) ||
        (ret = attr_string(w, file, "recorded_at", rec->recorded_at, "/")))
        return ret;
    if (rec->gpr && (ret = write_gpr(w, file, rec->gpr)))
        return ret;
    if (rec->emi && (ret = write_emi(w, file, rec->emi)))
        return ret;
    if (rec->lane.present && (ret = write_lane(w, file, &rec->lane)))
        return ret;
    if (rec->truth && (ret = write_truth(w, file, rec->truth)))
        return ret;
    if (rec->marks && (ret = write_marks(w, file, rec->marks)))
        return ret;
    return 0;
}

int ms_recording_write(const char *path, const ms_recording *rec,
                       const ms_write_options *opt)
{
    ms_write_options defaults = ms_write_options_default();
    wctx w = {path, opt ? opt : &defaults};
    hid_t file = H5I_INVALID_HID;
    char *tmp = NULL;
    int ret;

    h5u_silence();
    if ((ret = check_recording(path, rec, w.opt)))
        return ret;
    size_t len = strlen(path) + 32;
    tmp = malloc(len);
    if (!tmp)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());

    file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        ret = ms_fail(MS_ERR_IO, "%s: cannot create %s (%s)", path, tmp, why);
        goto done;
    }
    if ((ret = write_all(&w, file, rec)))
        goto done;
    herr_t closed = H5Fclose(file);
    file = H5I_INVALID_HID;
    if (closed < 0) {
        ret = h5fail(&w, "the file");
        goto done;
    }
    /* On disk before it gets the final name, so a crash leaves either the
     * old file or the whole new one. */
    int fd = open(tmp, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        ret = ms_fail(MS_ERR_IO, "%s: cannot sync %s: %s", path, tmp,
                      strerror(errno));
        if (fd >= 0)
            close(fd);
        goto done;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        ret = ms_fail(MS_ERR_IO, "%s: cannot rename %s into place: %s", path,
                      tmp, strerror(errno));
        goto done;
    }
done:
    if (file >= 0)
        H5Fclose(file);
    if (ret)
        unlink(tmp); /* ours alone (the name has our pid); may not exist */
    H5Eclear2(H5E_DEFAULT);
    free(tmp);
    return ret;
}
