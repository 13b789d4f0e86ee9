/* Sensors & Software pulseEKKO: a text .HD of "KEY = value" lines, read
 * by key (their order varies between firmware versions), and a .DT1 of
 * traces, each a 128-byte header of little-endian float32 fields (trace
 * number at 0, position at 4, number of points at 8, bytes per point at
 * 20) followed by int16 samples, or float32 when bytes per point is 4. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/formats/formats.h"

#define DT1_TRACE_HEADER 128
/* More points per trace than any radar writes: a bigger count is a
 * corrupt header, refused before any allocation. */
#define DT1_MAX_POINTS 1000000

static float f32le(const uint8_t *p)
{
    uint32_t v = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &v, 4);
    return f;
}

typedef struct hd_values {
    double n_traces, n_points, window_ns, tz_point, start, final, step,
        freq_mhz, separation;
    int have_traces, have_points, have_window, have_tz, have_start,
        have_step, have_freq, have_final;
    char units[32];
} hd_values;

/* Metres per position unit; 0 when the unit is not known. */
static double unit_factor(const char *u)
{
    if (!u[0] || !strcasecmp(u, "m") || !strcasecmp(u, "metres") ||
        !strcasecmp(u, "meters") || !strcasecmp(u, "metre") ||
        !strcasecmp(u, "meter"))
        return 1.0;
    if (!strcasecmp(u, "ft") || !strcasecmp(u, "feet") ||
        !strcasecmp(u, "foot"))
        return 0.3048;
    if (!strcasecmp(u, "cm"))
        return 0.01;
    if (!strcasecmp(u, "mm"))
        return 0.001;
    if (!strcasecmp(u, "in") || !strcasecmp(u, "inches"))
        return 0.0254;
    return 0;
}

static int hd_number(const char *name, const char *key, const char *val,
                     double *out, int *have)
{
    if (ms_parse_number(val, out) != 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .HD %s: '%s' is not a "
                       "number", name, key, val);
    *have = 1;
    return 0;
}

int ms_dt1_parse(const char *name, const char *hd, size_t hd_len,
                 const uint8_t *dt1, size_t dt1_len,
                 const ms_import_options *opt_in, ms_import *im)
{
    ms_import_options opt = opt_in ? *opt_in : ms_import_options_default();
    im->format = MS_FORMAT_DT1;
    hd_values v = {0};
    const char *pos = hd, *end = hd + hd_len;
    char key[128], val[256];
    int rc = 0;
    while (!rc && ms_text_header_next(&pos, end, '=', key, sizeof key, val,
                                      sizeof val)) {
        ms_import_field(im, key, "%s", val);
        if (!strcasecmp(key, "NUMBER OF TRACES"))
            rc = hd_number(name, key, val, &v.n_traces, &v.have_traces);
        else if (!strcasecmp(key, "NUMBER OF PTS/TRC"))
            rc = hd_number(name, key, val, &v.n_points, &v.have_points);
        else if (!strcasecmp(key, "TOTAL TIME WINDOW"))
            rc = hd_number(name, key, val, &v.window_ns, &v.have_window);
        else if (!strcasecmp(key, "TIMEZERO AT POINT"))
            rc = hd_number(name, key, val, &v.tz_point, &v.have_tz);
        else if (!strcasecmp(key, "STARTING POSITION"))
            rc = hd_number(name, key, val, &v.start, &v.have_start);
        else if (!strcasecmp(key, "FINAL POSITION"))
            rc = hd_number(name, key, val, &v.final, &v.have_final);
        else if (!strcasecmp(key, "STEP SIZE USED"))
            rc = hd_number(name, key, val, &v.step, &v.have_step);
        else if (!strcasecmp(key, "NOMINAL FREQUENCY"))
            rc = hd_number(name, key, val, &v.freq_mhz, &v.have_freq);
        else if (!strcasecmp(key, "ANTENNA SEPARATION")) {
            int h;
            rc = hd_number(name, key, val, &v.separation, &h);
        } else if (!strcasecmp(key, "POSITION UNITS"))
            snprintf(v.units, sizeof v.units, "%.31s", val);
    }
    if (rc)
        return rc;
    if (!v.have_traces || !v.have_points || !v.have_window)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .HD: no %s line", name,
                       !v.have_traces   ? "NUMBER OF TRACES"
                       : !v.have_points ? "NUMBER OF PTS/TRC"
                                        : "TOTAL TIME WINDOW");
    if (!(v.n_traces >= 1) || v.n_traces != floor(v.n_traces))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .HD NUMBER OF TRACES: %g; "
                       "need a whole number >= 1", name, v.n_traces);
    if (!(v.n_points >= 2 && v.n_points <= DT1_MAX_POINTS) ||
        v.n_points != floor(v.n_points))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .HD NUMBER OF PTS/TRC: %g; "
                       "need a whole number from 2 to %d", name, v.n_points,
                       DT1_MAX_POINTS);
    if (!(v.window_ns >= 1e-3 && v.window_ns < 1e7))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .HD TOTAL TIME WINDOW: %g "
                       "ns is not a time window", name, v.window_ns);
    double factor = unit_factor(v.units);
    if (factor == 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .HD POSITION UNITS: '%s' "
                       "is not a unit of length minescan knows (m, cm, mm, "
                       "ft, in)", name, v.units);
    size_t npts = (size_t)v.n_points;
    if (dt1_len < DT1_TRACE_HEADER)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: the .DT1 is %zu bytes, "
                       "shorter than one 128-byte trace header", name,
                       dt1_len);
    double bpp_f = f32le(dt1 + 20);
    int bpp = bpp_f == 4 ? 4 : bpp_f == 2 ? 2 : bpp_f == 0 ? 2 : -1;
    if (bpp < 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: trace 1: bytes per point "
                       "%g; expected 2 (int16) or 4 (float32)", name, bpp_f);
    size_t trace_bytes = DT1_TRACE_HEADER + npts * (size_t)bpp;
    if (v.n_traces * (double)trace_bytes > (double)dt1_len)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .HD NUMBER OF TRACES: %g "
                       "traces of %zu bytes do not fit in the %zu-byte .DT1 "
                       "(truncated, or a wrong NUMBER OF PTS/TRC)", name,
                       v.n_traces, trace_bytes, dt1_len);
    size_t n = (size_t)v.n_traces;
    size_t trailing = dt1_len - n * trace_bytes;

    ms_recording *rec = ms_import_gpr_recording(name, n, npts, "points");
    if (!rec)
        return MS_ERR_NOMEM;
    ms_gpr *g = rec->gpr;
    double pmin = INFINITY, pmax = -INFINITY;
    for (size_t t = 0; t < n; t++) {
        const uint8_t *th = dt1 + t * trace_bytes;
        double tp = f32le(th + 8), tb = f32le(th + 20), p = f32le(th + 4);
        if (tp != (double)npts || (tb != bpp && !(tb == 0 && bpp == 2))) {
            ms_recording_free(rec);
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: trace %zu: header says "
                           "%g points of %g bytes, the .HD and the first "
                           "trace %zu of %d", name, t + 1, tp, tb, npts, bpp);
        }
        if (!isfinite(p)) {
            ms_recording_free(rec);
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: trace %zu: position "
                           "is not a number", name, t + 1);
        }
        g->x[t] = p * factor;
        pmin = fmin(pmin, g->x[t]);
        pmax = fmax(pmax, g->x[t]);
        const uint8_t *s = th + DT1_TRACE_HEADER;
        float *row = g->data + t * npts;
        if (bpp == 2)
            for (size_t k = 0; k < npts; k++)
                row[k] = (float)(int16_t)(s[2 * k] | s[2 * k + 1] << 8);
        else
            for (size_t k = 0; k < npts; k++)
                row[k] = f32le(s + 4 * k);
    }
    size_t missing = bpp == 4 ? ms_import_mark_missing(g) : 0;
    if (missing)
        ms_diag_add(&im->assumed, "%s: %zu samples are not finite numbers "
                    "(NaN, Inf): treated as missing", name, missing);
    char pos_note[160] = "";
    if (opt.dx_m > 0) {
        for (size_t t = 0; t < n; t++)
            g->x[t] = (double)t * opt.dx_m;
        snprintf(pos_note, sizeof pos_note, "trace spacing %g m from --dx "
                 "(the trace headers' positions are not used)", opt.dx_m);
    } else if (n > 1 && !(pmax > pmin)) {
        /* every trace at one position: the .HD's step, else --dx */
        if (v.have_step && v.step > 0 && isfinite(v.step)) {
            for (size_t t = 0; t < n; t++)
                g->x[t] = ((v.have_start ? v.start : 0) + (double)t * v.step) *
                          factor;
            snprintf(pos_note, sizeof pos_note, "trace headers hold no "
                     "positions: STARTING POSITION + n x STEP SIZE USED");
        } else {
            ms_recording_free(rec);
            return ms_fail(MS_ERR_USAGE, "%s: STEP SIZE USED: no distance "
                           "calibration (every trace at one position); give "
                           "the trace spacing with --dx M (import, info, "
                           "run, batch)",
                           name);
        }
    }
    g->sample_interval_s = v.window_ns * 1e-9 / (double)npts;
    if (v.have_tz) {
        double tz = (v.tz_point - 1) * g->sample_interval_s;
        if (tz >= 0 && tz <= (double)(npts - 1) * g->sample_interval_s)
            g->time_zero_s = tz;
        else
            ms_diag_add(&im->assumed, "%s: TIMEZERO AT POINT %g is outside "
                        "the trace: time zero at the first point", name,
                        v.tz_point);
    }
    if (opt.centre_frequency_hz > 0)
        g->centre_frequency_hz = opt.centre_frequency_hz;
    else if (v.have_freq && v.freq_mhz > 0)
        g->centre_frequency_hz = v.freq_mhz * 1e6;
    else
        ms_diag_add(&im->assumed, "%s: no NOMINAL FREQUENCY: no centre "
                    "frequency (give it with --centre-frequency MHZ)", name);
    char inst[96];
    snprintf(inst, sizeof inst, "Sensors & Software pulseEKKO%s%.0f%s",
             v.have_freq ? ", " : "", v.have_freq ? v.freq_mhz : 0.0,
             v.have_freq ? " MHz" : "");
    rec->instrument = strdup(inst);
    if (v.have_freq) {
        char ant[32];
        snprintf(ant, sizeof ant, "%g MHz", v.freq_mhz);
        im->antenna = strdup(ant);
    }
    snprintf(im->detail, sizeof im->detail, "%s samples, positions in %s",
             bpp == 2 ? "int16" : "float32",
             factor == 1 ? "metres" : v.units);
    if (factor != 1)
        ms_diag_add(&im->assumed, "%s: positions in '%s' converted to "
                    "metres (x %g)", name, v.units, factor);
    if (!v.units[0])
        ms_diag_add(&im->assumed, "%s: no POSITION UNITS: metres assumed",
                    name);
    if (pos_note[0])
        ms_diag_add(&im->assumed, "%s: %s", name, pos_note);
    if (trailing)
        ms_diag_add(&im->assumed, "%s: %zu bytes after the last of the "
                    "%zu traces ignored", name, trailing, n);
    ms_diag_add(&im->assumed, "%s: sample interval TOTAL TIME WINDOW / "
                "NUMBER OF PTS/TRC = %.6g ns; time zero %.6g ns (TIMEZERO AT "
                "POINT counted from 1)", name, g->sample_interval_s * 1e9,
                g->time_zero_s * 1e9);
    im->rec = rec;
    return 0;
}
