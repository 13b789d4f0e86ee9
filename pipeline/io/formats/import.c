/* What every format shares: reading a file and finding its sidecar,
 * dispatching to the reader, parallel lines, the /lane around an imported
 * line, loading any supported file for info/run/batch, and writing an
 * import with its /source group. */
#include <ctype.h>
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/formats/formats.h"
#include "io/h5util.h"
#include "io/isolate.h"

ms_import_options ms_import_options_default(void)
{
    ms_import_options o = {0};
    o.channel = 1;
    return o;
}

void ms_import_init(ms_import *im)
{
    memset(im, 0, sizeof *im);
    ms_diag_init(&im->assumed);
}

void ms_import_free(ms_import *im)
{
    ms_recording_free(im->rec);
    free(im->antenna);
    for (size_t i = 0; i < im->n_fields; i++) {
        free(im->fields[i].key);
        free(im->fields[i].value);
    }
    free(im->fields);
    ms_diag_free(&im->assumed);
    memset(im, 0, sizeof *im);
}

void ms_import_field(ms_import *im, const char *key, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (im->n_fields == im->cap_fields) {
        size_t cap = im->cap_fields ? 2 * im->cap_fields : 32;
        ms_header_field *f = realloc(im->fields, cap * sizeof *f);
        if (!f)
            return;
        im->fields = f;
        im->cap_fields = cap;
    }
    char *k = strdup(key), *v = strdup(buf);
    if (!k || !v) {
        free(k);
        free(v);
        return;
    }
    im->fields[im->n_fields].key = k;
    im->fields[im->n_fields].value = v;
    im->n_fields++;
}

int ms_read_whole_file(const char *path, uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: cannot open: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    uint8_t *b = malloc(n + 1);
    if (!b) {
        fclose(f);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory reading %zu bytes",
                       path, n);
    }
    size_t got = fread(b, 1, n, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(b);
        return ms_fail(MS_ERR_IO, "%s: read error", path);
    }
    b[got] = 0;
    *buf = b;
    *len = got;
    return 0;
}

/* The sibling of `path` with the same stem and one of the extensions in
 * `exts` (tried as given, upper and lower case); malloc'd or NULL. */
static char *find_sidecar(const char *path, const char *const *exts)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path)
                                                 : strlen(path);
    for (size_t e = 0; exts[e]; e++) {
        size_t el = strlen(exts[e]);
        char *p = malloc(stem + el + 2);
        if (!p)
            return NULL;
        memcpy(p, path, stem);
        p[stem] = '.';
        for (int variant = 0; variant < 3; variant++) {
            for (size_t i = 0; i < el; i++) {
                char c = exts[e][i];
                p[stem + 1 + i] = variant == 1   ? (char)toupper((unsigned char)c)
                                  : variant == 2 ? (char)tolower((unsigned char)c)
                                                 : c;
            }
            p[stem + 1 + el] = 0;
            if (access(p, R_OK) == 0)
                return p;
        }
        free(p);
    }
    return NULL;
}

static int ext_is(const char *path, const char *ext)
{
    const char *dot = strrchr(path, '.');
    return dot && strcasecmp(dot + 1, ext) == 0;
}

static int import_dzt(const char *path, const ms_import_options *opt,
                      ms_import *im)
{
    uint8_t *buf = NULL, *dzg = NULL;
    size_t len = 0, dzg_len = 0;
    int rc = ms_read_whole_file(path, &buf, &len);
    if (rc)
        return rc;
    static const char *const ext[] = {"DZG", NULL}, *const xext[] = {"DZX",
                                                                     NULL};
    char *side = find_sidecar(path, ext), *xside = find_sidecar(path, xext);
    uint8_t *dzx = NULL;
    size_t dzx_len = 0;
    if (side && ms_read_whole_file(side, &dzg, &dzg_len) != 0)
        dzg = NULL, dzg_len = 0;
    if (xside && ms_read_whole_file(xside, &dzx, &dzx_len) != 0)
        dzx = NULL, dzx_len = 0;
    rc = ms_dzt_parse_sidecars(path, buf, len, (const char *)dzg, dzg_len,
                               (const char *)dzx, dzx_len, opt, im);
    free(side);
    free(xside);
    free(dzx);
    free(dzg);
    free(buf);
    return rc;
}

static int import_dt1(const char *path, const ms_import_options *opt,
                      ms_import *im)
{
    static const char *const hd_ext[] = {"HD", NULL};
    static const char *const dt1_ext[] = {"DT1", NULL};
    int given_hd = ext_is(path, "hd");
    char *hd_path = given_hd ? strdup(path) : find_sidecar(path, hd_ext);
    char *dt1_path = given_hd ? find_sidecar(path, dt1_ext) : strdup(path);
    uint8_t *hd = NULL, *dt1 = NULL;
    size_t hd_len = 0, dt1_len = 0;
    int rc;
    if (!hd_path)
        rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: no .HD header file beside "
                     "it (same name, extension .HD or .hd)", path);
    else if (!dt1_path)
        rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: no .DT1 data file beside "
                     "it (same name, extension .DT1 or .dt1)", path);
    else if (!(rc = ms_read_whole_file(hd_path, &hd, &hd_len)) &&
             !(rc = ms_read_whole_file(dt1_path, &dt1, &dt1_len)))
        rc = ms_dt1_parse(dt1_path, (const char *)hd, hd_len, dt1, dt1_len,
                          opt, im);
    free(hd);
    free(dt1);
    free(hd_path);
    free(dt1_path);
    return rc;
}

static int import_mala(const char *path, const ms_import_options *opt,
                       ms_import *im)
{
    static const char *const rad_ext[] = {"rad", NULL};
    static const char *const data_ext[] = {"rd3", "rd7", NULL};
    static const char *const cor_ext[] = {"cor", NULL};
    int given_rad = ext_is(path, "rad");
    char *rad_path = given_rad ? strdup(path) : find_sidecar(path, rad_ext);
    char *data_path = given_rad ? find_sidecar(path, data_ext) : strdup(path);
    uint8_t *rad = NULL, *data = NULL, *cor = NULL;
    size_t rad_len = 0, data_len = 0, cor_len = 0;
    char *cor_path = data_path ? find_sidecar(data_path, cor_ext) : NULL;
    if (cor_path && ms_read_whole_file(cor_path, &cor, &cor_len) != 0)
        cor = NULL, cor_len = 0;
    free(cor_path);
    int rc;
    if (!rad_path)
        rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: no .rad header file beside "
                     "it (same name, extension .rad or .RAD)", path);
    else if (!data_path)
        rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: no .rd3 or .rd7 data file "
                     "beside it", path);
    else if (!(rc = ms_read_whole_file(rad_path, &rad, &rad_len)) &&
             !(rc = ms_read_whole_file(data_path, &data, &data_len)))
        rc = ms_mala_parse_cor(data_path, (const char *)rad, rad_len, data,
                               data_len, ext_is(data_path, "rd7") ? 4 : 2,
                               (const char *)cor, cor_len, opt, im);
    free(cor);
    free(rad);
    free(data);
    free(rad_path);
    free(data_path);
    return rc;
}

static int import_segy(const char *path, const ms_import_options *opt,
                       ms_import *im)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = ms_read_whole_file(path, &buf, &len);
    if (!rc)
        rc = ms_segy_parse(path, buf, len, opt, im);
    free(buf);
    return rc;
}

static int import_hdf5(const char *path, ms_format fmt,
                       const ms_import_options *opt, ms_import *im)
{
    ms_diag d;
    ms_diag_init(&d);
    int rc;
    if (fmt == MS_FORMAT_GPRMAX)
        rc = ms_gprmax_import(path, opt->component, opt->dx_m, &im->rec, &d);
    else
        rc = ms_recording_read(path, &im->rec, &d);
    if (rc && d.n)
        ms_fail(rc, "%s", d.lines[0]);
    else if (rc && !ms_error_message()[0])
        ms_fail(rc, "%s: %s", path, ms_strerror(rc));
    for (size_t i = 0; rc == 0 && i < d.n; i++)
        ms_diag_add(&im->assumed, "%s", d.lines[i]);
    ms_diag_free(&d);
    return rc;
}

int ms_import_file(const char *path, const ms_import_options *opt_in,
                   ms_import *im)
{
    ms_import_options opt = opt_in ? *opt_in : ms_import_options_default();
    ms_error_clear();
    ms_format fmt = ms_format_detect(path);
    im->format = fmt;
    int rc;
    switch (fmt) {
    case MS_FORMAT_DZT: rc = import_dzt(path, &opt, im); break;
    case MS_FORMAT_DT1: rc = import_dt1(path, &opt, im); break;
    case MS_FORMAT_MALA: rc = import_mala(path, &opt, im); break;
    case MS_FORMAT_SEGY: rc = import_segy(path, &opt, im); break;
    case MS_FORMAT_MINESCAN:
    case MS_FORMAT_GPRMAX: rc = import_hdf5(path, fmt, &opt, im); break;
    default:
        if (access(path, R_OK) != 0)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: cannot open: %s", path,
                           strerror(errno));
        return ms_fail(MS_ERR_UNSUPPORTED,
                       "%s: not a format minescan reads (HDF5 recording or "
                       "gprMax output, GSSI .DZT, .DT1/.HD, MALA .rd3/.rd7/"
                       ".rad, SEG-Y .sgy)", path);
    }
    im->format = fmt;
    return rc;
}

int ms_import_lines(const char *const *paths, const double *y_m, size_t n,
                    const ms_import_options *opt, ms_import *im)
{
    ms_import *parts = calloc(n ? n : 1, sizeof *parts);
    if (!parts)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    int rc = 0;
    size_t total = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        ms_import_init(&parts[i]);
        rc = ms_import_file(paths[i], opt, &parts[i]);
        if (rc)
            break;
        const ms_gpr *g = parts[i].rec->gpr, *g0 = parts[0].rec->gpr;
        if (!g)
            rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: no radar data", paths[i]);
        else if (g->n_samples != g0->n_samples ||
                 fabs(g->sample_interval_s - g0->sample_interval_s) >
                     1e-6 * g0->sample_interval_s)
            rc = ms_fail(MS_ERR_INVALID_INPUT,
                         "%s: %zu samples every %.6g ns, but %s has %zu "
                         "every %.6g ns: parallel lines must agree",
                         paths[i], g->n_samples, g->sample_interval_s * 1e9,
                         paths[0], g0->n_samples,
                         g0->sample_interval_s * 1e9);
        else
            total += g->n_traces;
    }
    ms_gpr *m = NULL;
    int any_missing = 0;
    for (size_t i = 0; !rc && i < n; i++)
        any_missing |= parts[i].rec->gpr->valid != NULL;
    if (!rc && !(m = ms_gpr_new(total, parts[0].rec->gpr->n_samples)))
        rc = ms_fail(MS_ERR_NOMEM, "out of memory merging %zu lines", n);
    if (!rc && any_missing &&
        !(m->valid = malloc(total * m->n_samples))) {
        ms_gpr_free(m);
        m = NULL;
        rc = ms_fail(MS_ERR_NOMEM, "out of memory merging %zu lines", n);
    }
    if (!rc) {
        const ms_gpr *g0 = parts[0].rec->gpr;
        m->sample_interval_s = g0->sample_interval_s;
        m->centre_frequency_hz = g0->centre_frequency_hz;
        m->time_zero_s = g0->time_zero_s;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            const ms_gpr *g = parts[i].rec->gpr;
            memcpy(m->data + at * m->n_samples, g->data,
                   g->n_traces * g->n_samples * sizeof *g->data);
            /* missing samples stay missing in the merged recording */
            if (m->valid && g->valid)
                memcpy(m->valid + at * m->n_samples, g->valid,
                       g->n_traces * g->n_samples);
            else if (m->valid)
                memset(m->valid + at * m->n_samples, 1,
                       g->n_traces * g->n_samples);
            m->n_missing_samples += g->n_missing_samples;
            for (size_t t = 0; t < g->n_traces; t++) {
                m->x[at + t] = g->x[t];
                m->y[at + t] = g->y[t] + y_m[i];
            }
            at += g->n_traces;
            if (fabs(g->time_zero_s - g0->time_zero_s) > 1e-12)
                ms_diag_add(&parts[0].assumed, "%s: time zero %.6g ns "
                            "differs from the first line's %.6g ns; the "
                            "first line's is used", paths[i],
                            g->time_zero_s * 1e9, g0->time_zero_s * 1e9);
        }
        /* parts[0] becomes the result, with the merged radar */
        ms_gpr_free(parts[0].rec->gpr);
        parts[0].rec->gpr = m;
        for (size_t i = 1; i < n; i++)
            for (size_t k = 0; k < parts[i].assumed.n; k++)
                ms_diag_add(&parts[0].assumed, "%s", parts[i].assumed.lines[k]);
        ms_import_field(&parts[0], "minescan_lines", "%zu", n);
        ms_import_free(im);
        *im = parts[0];
        ms_import_init(&parts[0]);
    }
    for (size_t i = 0; i < n; i++)
        ms_import_free(&parts[i]);
    free(parts);
    return rc;
}

int ms_recording_load(const char *path, ms_recording **out, ms_diag *diag,
                      ms_format *format_out)
{
    return ms_recording_load_opt(path, NULL, out, diag, format_out);
}

int ms_recording_load_opt(const char *path, const ms_import_options *opt_in,
                          ms_recording **out, ms_diag *diag,
                          ms_format *format_out)
{
    *out = NULL;
    ms_format fmt = ms_format_detect(path);
    if (format_out)
        *format_out = fmt;
    ms_import_options opt = opt_in ? *opt_in : ms_import_options_default();
    /* gprMax output goes through the reader, which says how to import it
     * (its time zero and trace spacing need the user's word) */
    if (fmt == MS_FORMAT_MINESCAN || fmt == MS_FORMAT_GPRMAX ||
        fmt == MS_FORMAT_UNKNOWN) {
        int rc = ms_recording_read(path, out, diag);
        if (!rc && opt.dx_m > 0 && diag)
            ms_diag_add(diag, "%s: --dx %g not used: a recording holds its "
                        "own positions (--dx is for radar field files)",
                        path, opt.dx_m);
        return rc;
    }
    ms_import im;
    ms_import_init(&im);
    ms_isolated_input_begin();
    int rc = ms_import_file(path, &opt, &im);
    ms_isolated_input_end();
    if (rc) {
        if (diag)
            ms_diag_add(diag, "%s", ms_error_message());
        ms_import_free(&im);
        return rc;
    }
    if (diag) {
        ms_diag_add(diag, "%s: read as %s%s%s%s%s", path, ms_format_name(fmt),
                    im.detail[0] ? ", " : "", im.detail,
                    im.antenna ? ", antenna " : "",
                    im.antenna ? im.antenna : "");
        for (size_t i = 0; i < im.assumed.n; i++)
            ms_diag_add(diag, "%s", im.assumed.lines[i]);
    }
    *out = im.rec;
    im.rec = NULL;
    ms_import_free(&im);
    return 0;
}

/* ---- writing --------------------------------------------------------- */

static int put_string(hid_t obj, const char *name, const char *value)
{
    hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a = -1;
    int rc = -1;
    if (t >= 0 && s >= 0 && H5Tset_size(t, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(t, H5T_CSET_UTF8) >= 0) {
        a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0 && H5Awrite(a, t, &value) >= 0)
            rc = 0;
    }
    if (a >= 0)
        H5Aclose(a);
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    return rc;
}

int ms_import_write(const char *path, const char *input, const ms_import *im)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.import-%ld.tmp", path,
                 (long)getpid()) >= (int)sizeof tmp)
        return ms_fail(MS_ERR_USAGE, "%s: output path too long", path);
    int rc = ms_recording_write(tmp, im->rec, NULL);
    if (rc)
        return rc;
    h5u_silence();
    hid_t f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t src = f >= 0 ? H5Gcreate2(f, "source", H5P_DEFAULT, H5P_DEFAULT,
                                    H5P_DEFAULT)
                       : -1;
    hid_t hdr = src >= 0 ? H5Gcreate2(src, "header", H5P_DEFAULT,
                                      H5P_DEFAULT, H5P_DEFAULT)
                         : -1;
    int bad = hdr < 0;
    if (!bad) {
        bad |= put_string(src, "format", ms_format_name(im->format));
        bad |= put_string(src, "file", input);
        if (im->detail[0])
            bad |= put_string(src, "detail", im->detail);
        if (im->antenna)
            bad |= put_string(src, "antenna", im->antenna);
        size_t cap = 1;
        for (size_t i = 0; i < im->assumed.n; i++)
            cap += strlen(im->assumed.lines[i]) + 1;
        char *all = malloc(cap);
        if (all) {
            all[0] = 0;
            for (size_t i = 0; i < im->assumed.n; i++) {
                strcat(all, im->assumed.lines[i]);
                strcat(all, "\n");
            }
            bad |= put_string(src, "assumed", all);
            free(all);
        }
        /* a header key HDF5 will not take as a name is left out */
        for (size_t i = 0; i < im->n_fields; i++)
            if (H5Aexists(hdr, im->fields[i].key) == 0)
                put_string(hdr, im->fields[i].key, im->fields[i].value);
    }
    if (hdr >= 0)
        H5Gclose(hdr);
    if (src >= 0)
        H5Gclose(src);
    if (f >= 0 && H5Fclose(f) < 0)
        bad = 1;
    H5Eclear2(H5E_DEFAULT);
    if (f < 0 || bad) {
        unlink(tmp);
        return ms_fail(MS_ERR_IO, "%s: cannot add the /source group", path);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return ms_fail(MS_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    return 0;
}

ms_recording *ms_import_gpr_recording(const char *name, size_t n, size_t ns,
                                      const char *unit)
{
    ms_recording *rec = ms_recording_new();
    ms_gpr *g = rec ? ms_gpr_new(n, ns) : NULL;
    if (!g) {
        ms_recording_free(rec);
        ms_fail(MS_ERR_NOMEM, "%s: out of memory for %zu traces of %zu %s",
                name, n, ns, unit);
        return NULL;
    }
    rec->gpr = g;
    return rec;
}

const char *ms_sidecar_line(const char *p, const char *end, char *line,
                            size_t cap)
{
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t ll = eol ? (size_t)(eol - p) : (size_t)(end - p);
    if (ll >= cap)
        ll = cap - 1;
    memcpy(line, p, ll);
    line[ll] = 0;
    return eol ? eol + 1 : end;
}

int ms_grow_rows(size_t n, size_t *cap, double **cols[], size_t k)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? 2 * *cap : 64;
    int ok = 1;
    for (size_t i = 0; i < k; i++) {
        double *a = realloc(*cols[i], want * sizeof *a);
        if (a)
            *cols[i] = a;
        else
            ok = 0;
    }
    if (!ok)
        return -1;
    *cap = want;
    return 0;
}

int ms_track_positions(const double *at, const double *lat,
                       const double *lon, size_t n, size_t n_traces,
                       double *x)
{
    const double r = 6371000.0, deg = 3.14159265358979323846 / 180;
    double coslat = cos(lat[0] * deg);
    double *dist = malloc(n * sizeof *dist);
    if (!dist)
        return -1;
    dist[0] = 0;
    for (size_t i = 1; i < n; i++) {
        double dn = (lat[i] - lat[i - 1]) * deg * r;
        double de = (lon[i] - lon[i - 1]) * deg * r * coslat;
        dist[i] = dist[i - 1] + hypot(dn, de);
    }
    ms_positions_interpolate(at, dist, n, n_traces, x);
    free(dist);
    return 0;
}

void ms_positions_interpolate(const double *at, const double *dist,
                              size_t n, size_t n_traces, double *x)
{
    size_t k = 0;
    for (size_t s = 0; s < n_traces; s++) {
        double sc = (double)s;
        while (k + 2 < n && at[k + 1] < sc)
            k++;
        double t = (sc - at[k]) / (at[k + 1] - at[k]);
        x[s] = dist[k] + t * (dist[k + 1] - dist[k]);
    }
}

size_t ms_import_mark_missing(ms_gpr *g)
{
    size_t n = g->n_traces * g->n_samples, missing = 0;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(g->data[i])) {
            if (!g->valid) {
                g->valid = malloc(n);
                if (!g->valid)
                    return 0; /* the writer turns them into NaN anyway */
                memset(g->valid, 1, n);
            }
            g->valid[i] = 0;
            g->data[i] = 0;
            missing++;
        }
    g->n_missing_samples = missing;
    return missing;
}

/* ---- text headers ---------------------------------------------------- */

static void trim(const char **b, const char **e)
{
    while (*b < *e && (unsigned char)**b <= ' ')
        (*b)++;
    while (*e > *b && (unsigned char)(*e)[-1] <= ' ')
        (*e)--;
}

int ms_text_header_next(const char **pos, const char *end, char sep,
                        char *key, size_t key_sz, char *val, size_t val_sz)
{
    while (*pos < end) {
        const char *b = *pos;
        const char *nl = b;
        while (nl < end && *nl != '\n' && *nl != '\r')
            nl++;
        *pos = nl < end ? nl + 1 : end;
        const char *s = memchr(b, sep, (size_t)(nl - b));
        if (!s)
            continue;
        const char *kb = b, *ke = s, *vb = s + 1, *ve = nl;
        trim(&kb, &ke);
        trim(&vb, &ve);
        if (kb == ke)
            continue;
        size_t kl = (size_t)(ke - kb), vl = (size_t)(ve - vb);
        if (kl >= key_sz)
            kl = key_sz - 1;
        if (vl >= val_sz)
            vl = val_sz - 1;
        /* printable ASCII only: these go into one-line messages and
         * HDF5 string attributes */
        for (size_t i = 0; i < kl; i++)
            key[i] = (unsigned char)kb[i] < 32 || (unsigned char)kb[i] > 126
                         ? '?' : kb[i];
        key[kl] = 0;
        for (size_t i = 0; i < vl; i++)
            val[i] = (unsigned char)vb[i] < 32 || (unsigned char)vb[i] > 126
                         ? '?' : vb[i];
        val[vl] = 0;
        return 1;
    }
    return 0;
}

int ms_parse_number(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v))
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    *out = v;
    return 0;
}
