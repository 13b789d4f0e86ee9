/* SEG-Y (rev 0, 1, 2; big-endian, as the standard has it): the textual
 * header, the binary header and each trace header are read with
 * libsegyio's field accessors on our memory buffer, 4-byte samples
 * converted with its segy_to_native (IBM and IEEE floats, int32); 2- and
 * 1-byte integers are read here. Every offset is checked against the
 * buffer first. */
#include <math.h>
#include <segyio/segy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/formats/formats.h"

#define SEGY_MAX_SAMPLES 1000000

static int bfield(const uint8_t *bin, int field)
{
    int32_t v = 0;
    if (segy_get_bfield((const char *)bin, field, &v) != SEGY_OK)
        return 0;
    return v;
}

static int32_t tfield(const uint8_t *th, int field)
{
    int32_t v = 0;
    if (segy_get_field((const char *)th, field, &v) != SEGY_OK)
        return 0;
    return v;
}

/* A coordinate scaled by the trace header's scalar (SEG-Y: a negative
 * scalar divides). */
static double scaled(int32_t v, int32_t scalar)
{
    if (scalar > 0)
        return (double)v * scalar;
    if (scalar < 0)
        return (double)v / -(double)scalar;
    return v;
}

int ms_segy_parse(const char *name, const uint8_t *buf, size_t len,
                  const ms_import_options *opt_in, ms_import *im)
{
    ms_import_options opt = opt_in ? *opt_in : ms_import_options_default();
    im->format = MS_FORMAT_SEGY;
    if (len < SEGY_TEXT_HEADER_SIZE + SEGY_BINARY_HEADER_SIZE)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: header: the file is %zu "
                       "bytes, shorter than the 3600 bytes of SEG-Y's "
                       "textual and binary headers", name, len);
    const uint8_t *bin = buf + SEGY_TEXT_HEADER_SIZE;
    int format = bfield(bin, SEGY_BIN_FORMAT);
    int samples = bfield(bin, SEGY_BIN_SAMPLES);
    int interval = bfield(bin, SEGY_BIN_INTERVAL);
    int ext = bfield(bin, SEGY_BIN_EXT_HEADERS);
    int revision = bfield(bin, SEGY_BIN_SEGY_REVISION);
    int measure = bfield(bin, SEGY_BIN_MEASUREMENT_SYSTEM);
    int bytes;
    switch (format) {
    case SEGY_IBM_FLOAT_4_BYTE:
    case SEGY_SIGNED_INTEGER_4_BYTE:
    case SEGY_IEEE_FLOAT_4_BYTE: bytes = 4; break;
    case SEGY_SIGNED_SHORT_2_BYTE: bytes = 2; break;
    case SEGY_SIGNED_CHAR_1_BYTE: bytes = 1; break;
    default: {
        int swapped = ((format & 0xFF) << 8) | ((format >> 8) & 0xFF);
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header format "
                       "(byte 3225): %d is not a sample format minescan "
                       "reads (1 IBM float, 2 int32, 3 int16, 5 IEEE float, "
                       "8 int8)%s", name, format,
                       swapped >= 1 && swapped <= 8
                           ? "; the file looks little-endian, which is not "
                             "supported"
                           : "");
    }
    }
    /* the first trace header says it when the binary header does not */
    size_t trace0 = SEGY_TEXT_HEADER_SIZE + SEGY_BINARY_HEADER_SIZE;
    if (ext < 0 || ext > 100000)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header extended "
                       "textual headers (byte 3505): %d", name, ext);
    trace0 += (size_t)ext * SEGY_TEXT_HEADER_SIZE;
    if (trace0 + SEGY_TRACE_HEADER_SIZE > len)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no trace: the file ends "
                       "at byte %zu, before the first trace header (at %zu)",
                       name, len, trace0);
    const uint8_t *th0 = buf + trace0;
    if (samples <= 0)
        samples = tfield(th0, SEGY_TR_SAMPLE_COUNT);
    if (interval <= 0)
        interval = tfield(th0, SEGY_TR_SAMPLE_INTER);
    if (samples < 2 || samples > SEGY_MAX_SAMPLES)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header samples "
                       "(byte 3221): %d; need 2 to %d", name, samples,
                       SEGY_MAX_SAMPLES);
    if (interval <= 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header interval "
                       "(byte 3217): %d; need a sample interval > 0", name,
                       interval);
    size_t ns = (size_t)samples;
    size_t trace_bytes = SEGY_TRACE_HEADER_SIZE + ns * (size_t)bytes;
    size_t n = (len - trace0) / trace_bytes;
    size_t trailing = (len - trace0) % trace_bytes;
    if (n == 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no complete trace of %d "
                       "samples after byte %zu (the file is %zu bytes)",
                       name, samples, trace0, len);

    ms_recording *rec = ms_recording_new();
    ms_gpr *g = rec ? ms_gpr_new(n, ns) : NULL;
    float *tmp = malloc(ns * sizeof *tmp);
    if (!g || !tmp) {
        free(tmp);
        ms_recording_free(rec);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory for %zu traces of "
                       "%zu samples", name, n, ns);
    }
    rec->gpr = g;
    double x0 = 0, y0 = 0;
    int have_xy = 0, xy_field = 0;
    /* which coordinates the file fills: source, group, else CDP */
    static const int fx[3] = {SEGY_TR_SOURCE_X, SEGY_TR_GROUP_X,
                              SEGY_TR_CDP_X};
    static const int fy[3] = {SEGY_TR_SOURCE_Y, SEGY_TR_GROUP_Y,
                              SEGY_TR_CDP_Y};
    for (int f = 0; f < 3 && !have_xy; f++)
        for (size_t t = 0; t < n && !have_xy; t++) {
            const uint8_t *th = buf + trace0 + t * trace_bytes;
            if (tfield(th, fx[f]) != tfield(th0, fx[f]) ||
                tfield(th, fy[f]) != tfield(th0, fy[f])) {
                have_xy = 1;
                xy_field = f;
            }
        }
    int coord_units = tfield(th0, SEGY_TR_COORD_UNITS);
    double factor = measure == 2 ? 0.3048 : 1.0;
    if (have_xy && coord_units >= 2 && !(opt.dx_m > 0)) {
        free(tmp);
        ms_recording_free(rec);
        return ms_fail(MS_ERR_USAGE, "%s: trace header coordinate units "
                       "(byte 89): %d (angles, not lengths); give the trace "
                       "spacing with --dx M (minescan import)", name,
                       coord_units);
    }
    if (!have_xy && !(opt.dx_m > 0) && n > 1) {
        free(tmp);
        ms_recording_free(rec);
        return ms_fail(MS_ERR_USAGE, "%s: trace headers: every trace at the "
                       "same source, group and CDP coordinates; give the "
                       "trace spacing with --dx M (minescan import)", name);
    }
    for (size_t t = 0; t < n; t++) {
        const uint8_t *th = buf + trace0 + t * trace_bytes;
        const uint8_t *s = th + SEGY_TRACE_HEADER_SIZE;
        float *row = g->data + t * ns;
        if (bytes == 4) {
            memcpy(tmp, s, ns * 4);
            segy_to_native(format, (long long)ns, tmp);
            if (format == SEGY_SIGNED_INTEGER_4_BYTE)
                for (size_t k = 0; k < ns; k++) {
                    int32_t iv;
                    memcpy(&iv, &tmp[k], 4);
                    row[k] = (float)iv;
                }
            else
                memcpy(row, tmp, ns * 4);
        } else if (bytes == 2) {
            for (size_t k = 0; k < ns; k++)
                row[k] = (float)(int16_t)(s[2 * k] << 8 | s[2 * k + 1]);
        } else {
            for (size_t k = 0; k < ns; k++)
                row[k] = (float)(int8_t)s[k];
        }
        if (opt.dx_m > 0 || !have_xy) {
            g->x[t] = (double)t * (opt.dx_m > 0 ? opt.dx_m : 1.0);
            g->y[t] = 0;
        } else {
            int32_t sc = tfield(th, SEGY_TR_SOURCE_GROUP_SCALAR);
            double X = scaled(tfield(th, fx[xy_field]), sc) * factor;
            double Y = scaled(tfield(th, fy[xy_field]), sc) * factor;
            if (t == 0)
                x0 = X, y0 = Y;
            g->x[t] = X - x0;
            g->y[t] = Y - y0;
        }
    }
    free(tmp);
    size_t missing = ms_import_mark_missing(g);
    if (missing)
        ms_diag_add(&im->assumed, "%s: %zu samples are not finite numbers "
                    "(NaN, Inf): treated as missing", name, missing);
    /* The standard's unit is the microsecond; GPR exports that keep
     * nanosecond sampling write picoseconds there (a window of more than
     * 10 ms is no radar trace). */
    double dt = interval * 1e-6;
    const char *unit = "microseconds (the standard's unit)";
    if (dt * (double)ns > 1e-2) {
        dt = interval * 1e-12;
        unit = "picoseconds (as microseconds the window would be longer "
               "than 10 ms)";
    }
    g->sample_interval_s = dt;
    if (opt.centre_frequency_hz > 0)
        g->centre_frequency_hz = opt.centre_frequency_hz;
    else
        ms_diag_add(&im->assumed, "%s: SEG-Y gives no antenna frequency: no "
                    "centre frequency (give it with --centre-frequency MHZ)",
                    name);
    rec->instrument = strdup("SEG-Y export");
    static const char *const fmt_names[] = {
        "", "IBM float", "int32", "int16", "", "IEEE float", "", "", "int8"};
    snprintf(im->detail, sizeof im->detail, "revision %d.%d, %s samples",
             (revision >> 8) & 0xFF, revision & 0xFF, fmt_names[format]);
    ms_diag_add(&im->assumed, "%s: sample interval %d read as %s: %.6g ns; "
                "time zero at the first sample", name, interval, unit,
                dt * 1e9);
    if (opt.dx_m > 0)
        ms_diag_add(&im->assumed, "%s: trace spacing %g m from --dx", name,
                    opt.dx_m);
    else if (have_xy)
        ms_diag_add(&im->assumed, "%s: positions from the trace headers' %s "
                    "coordinates%s, relative to the first trace (%.3f, "
                    "%.3f)", name,
                    xy_field == 0 ? "source" : xy_field == 1 ? "group" : "CDP",
                    factor != 1 ? " in feet" : "", x0, y0);
    if (trailing)
        ms_diag_add(&im->assumed, "%s: %zu bytes after the last complete "
                    "trace ignored", name, trailing);
    ms_import_field(im, "format", "%d", format);
    ms_import_field(im, "samples", "%d", samples);
    ms_import_field(im, "interval", "%d", interval);
    ms_import_field(im, "revision", "%d", revision);
    ms_import_field(im, "measurement_system", "%d", measure);
    ms_import_field(im, "origin_x", "%.6f", x0);
    ms_import_field(im, "origin_y", "%.6f", y0);
    ms_import_field(im, "n_traces", "%zu", n);
    /* the textual header, as printable ASCII (EBCDIC is left as is) */
    char text[3201];
    for (int i = 0; i < 3200; i++)
        text[i] = buf[i] >= 32 && buf[i] < 127 ? (char)buf[i] : ' ';
    text[3200] = 0;
    ms_import_field(im, "textual_header", "%.500s", text);
    im->rec = rec;
    return 0;
}
