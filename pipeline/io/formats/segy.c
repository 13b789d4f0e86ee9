/* SEG-Y (rev 0, 1, 2): the textual header, the binary header and each
 * trace header are read with libsegyio's field accessors on our memory
 * buffer, 4-byte samples converted with its segy_to_native (IBM and IEEE
 * floats, int32); 2- and 1-byte integers are read here. Every offset is
 * checked against the buffer first.
 *
 * Byte order: big-endian is the standard; rev 2 allows little-endian and
 * says which with the constant 0x01020304 at byte 3297, and older
 * little-endian files (Seismic Unix, some GPR exports) say nothing. For
 * those the order is the one whose sample format code and sample count
 * are plausible. A little-endian file's headers are swapped, field by
 * field, into big-endian copies, so that one path reads both. */
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

/* Big-endian integers and the IEEE double of rev 2's binary header, at a
 * 1-based SEG-Y byte position of the binary header. */
static uint64_t bin_u(const uint8_t *bin, int pos, int size)
{
    uint64_t v = 0;
    for (int i = 0; i < size; i++)
        v = v << 8 | bin[pos - SEGY_TEXT_HEADER_SIZE - 1 + i];
    return v;
}

static double bin_f64(const uint8_t *bin, int pos)
{
    uint64_t u = bin_u(bin, pos, 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* The field sizes of the headers, in order from their first byte (0: a
 * byte left as it is: text, unassigned or single bytes), to swap a
 * little-endian header field by field. Trace header: SEG-Y rev 1/2
 * bytes 1-240; binary header: bytes 3201-3600. */
static const unsigned char trace_sizes[] = {
    4, 4, 4, 4, 4, 4, 4,           /* 1-28 */
    2, 2, 2, 2,                    /* 29-36 */
    4, 4, 4, 4, 4, 4, 4, 4,        /* 37-68 */
    2, 2,                          /* 69-72 */
    4, 4, 4, 4,                    /* 73-88 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2,                             /* 89-180: 46 two-byte fields */
    4, 4, 4, 4, 4, 2, 2, 4, 2, 2, 2, 2, 2, 4, 2, 4, 2, 2, /* 181-232 */
};
static const unsigned char binary_sizes[] = {
    4, 4, 4,                       /* 3201-3212 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2,                             /* 3213-3260: 24 two-byte fields */
    4, 4, 4, 8, 8, 4, 4, 4,        /* 3261-3300 (rev 2) */
};
/* rev 2 fields after the unassigned 3301-3500, from byte 3503 */
static const unsigned char binary_sizes_3503[] = {2, 2, 4, 2, 8, 8, 4};

static void swap_fields(uint8_t *h, const unsigned char *sizes, size_t n)
{
    for (size_t i = 0; i < n; h += sizes[i], i++)
        for (unsigned a = 0, b = sizes[i] - 1u; a < b; a++, b--) {
            uint8_t t = h[a];
            h[a] = h[b];
            h[b] = t;
        }
}

/* n 4-byte values reversed in place */
static void swap4(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++, p += 4) {
        uint8_t a = p[0], b = p[1];
        p[0] = p[3];
        p[1] = p[2];
        p[2] = b;
        p[3] = a;
    }
}

/* A trace header in big-endian order: `th` itself, or its swapped copy
 * in `tmp` for a little-endian file. */
static const uint8_t *trace_header(const uint8_t *th, int le,
                                   uint8_t tmp[SEGY_TRACE_HEADER_SIZE])
{
    if (!le)
        return th;
    memcpy(tmp, th, SEGY_TRACE_HEADER_SIZE);
    swap_fields(tmp, trace_sizes, sizeof trace_sizes);
    return tmp;
}

static int known_format(unsigned f)
{
    return f == 1 || f == 2 || f == 3 || f == 5 || f == 8;
}

/* How plausible the binary header is read in one byte order: a known
 * sample format code counts most, then a sample count and an interval
 * in range. */
static int plausibility(const uint8_t *b, int le)
{
    const uint8_t *f = b + 24, *n = b + 20, *dt = b + 16; /* 3225, 3221, 3217 */
    unsigned fmt = le ? f[0] | f[1] << 8 : f[1] | f[0] << 8;
    unsigned ns = le ? n[0] | n[1] << 8 : n[1] | n[0] << 8;
    unsigned iv = le ? dt[0] | dt[1] << 8 : dt[1] | dt[0] << 8;
    return 4 * known_format(fmt) + 2 * (ns >= 2 && ns <= 32767) +
           (iv > 0 && iv <= 32767);
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
    /* the byte order: rev 2's constant, else the plausible reading */
    const uint8_t *raw = buf + SEGY_TEXT_HEADER_SIZE;
    const uint8_t *order = raw + 96; /* byte 3297 */
    static const uint8_t msb[4] = {1, 2, 3, 4}, lsb[4] = {4, 3, 2, 1};
    int le;
    const char *order_note;
    if (!memcmp(order, msb, 4) || !memcmp(order, lsb, 4)) {
        le = !memcmp(order, lsb, 4);
        order_note = "byte 3297's constant";
    } else {
        le = plausibility(raw, 1) > plausibility(raw, 0);
        order_note = "the sample format code and count that make sense "
                     "in that order";
    }
    uint8_t bin_copy[SEGY_BINARY_HEADER_SIZE];
    memcpy(bin_copy, raw, sizeof bin_copy);
    if (le) {
        swap_fields(bin_copy, binary_sizes, sizeof binary_sizes);
        swap_fields(bin_copy + 302, binary_sizes_3503,
                    sizeof binary_sizes_3503);
    }
    const uint8_t *bin = bin_copy;
    int format = bfield(bin, SEGY_BIN_FORMAT);
    int samples = bfield(bin, SEGY_BIN_SAMPLES);
    double interval = bfield(bin, SEGY_BIN_INTERVAL);
    int ext = bfield(bin, SEGY_BIN_EXT_HEADERS);
    int revision = bfield(bin, SEGY_BIN_SEGY_REVISION);
    int measure = bfield(bin, SEGY_BIN_MEASUREMENT_SYSTEM);
    /* rev 2: a sample count and interval too large or too fine for the
     * 16-bit fields, extra trace headers, and the first trace's offset */
    int rev2 = (revision >> 8 & 0xFF) >= 2;
    const char *ext_note = "";
    uint64_t first_trace = 0;
    if (rev2) {
        uint32_t ext_samples = (uint32_t)bin_u(bin, 3269, 4);
        double ext_interval = bin_f64(bin, 3273);
        uint32_t extra_headers = (uint32_t)bin_u(bin, 3507, 4);
        first_trace = bin_u(bin, 3521, 8);
        if (ext_samples) {
            if (ext_samples > SEGY_MAX_SAMPLES)
                return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header "
                               "extended samples (byte 3269): %u; need 2 to "
                               "%d", name, ext_samples, SEGY_MAX_SAMPLES);
            samples = (int)ext_samples;
            ext_note = ", rev 2 extended sample count";
        }
        if (ext_interval != 0) {
            if (!(ext_interval > 0) || !isfinite(ext_interval) ||
                ext_interval > 1e9)
                return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header "
                               "extended sample interval (byte 3273): %g; "
                               "need a positive number", name, ext_interval);
            interval = ext_interval;
            ext_note = ext_samples ? ", rev 2 extended sample count and "
                                     "interval"
                                   : ", rev 2 extended sample interval";
        }
        if (extra_headers)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header "
                           "additional trace headers (byte 3507): %u; "
                           "minescan reads only traces with the one 240-byte "
                           "header", name, extra_headers);
    }
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
                           ? " (read in either byte order)"
                           : "");
    }
    }
    /* the first trace header says it when the binary header does not */
    size_t trace0 = SEGY_TEXT_HEADER_SIZE + SEGY_BINARY_HEADER_SIZE;
    if (ext < 0 || ext > 100000)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header extended "
                       "textual headers (byte 3505): %d", name, ext);
    trace0 += (size_t)ext * SEGY_TEXT_HEADER_SIZE;
    /* rev 2: the first trace's byte offset, when given, overrides */
    if (first_trace) {
        if (first_trace < SEGY_TEXT_HEADER_SIZE + SEGY_BINARY_HEADER_SIZE ||
            first_trace > len)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: binary header first "
                           "trace offset (byte 3521): %llu; the file is %zu "
                           "bytes", name, (unsigned long long)first_trace,
                           len);
        trace0 = (size_t)first_trace;
    }
    if (trace0 + SEGY_TRACE_HEADER_SIZE > len)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no trace: the file ends "
                       "at byte %zu, before the first trace header (at %zu)",
                       name, len, trace0);
    uint8_t th0_copy[SEGY_TRACE_HEADER_SIZE], th_copy[SEGY_TRACE_HEADER_SIZE];
    const uint8_t *th0 = trace_header(buf + trace0, le, th0_copy);
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
                       "(byte 3217): %g; need a sample interval > 0", name,
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
        if (rec)
            rec->gpr = g; /* freed with the recording */
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
            const uint8_t *th =
                trace_header(buf + trace0 + t * trace_bytes, le, th_copy);
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
                       "spacing with --dx M (import, info, run, batch)",
                       name, coord_units);
    }
    if (!have_xy && !(opt.dx_m > 0) && n > 1) {
        free(tmp);
        ms_recording_free(rec);
        return ms_fail(MS_ERR_USAGE, "%s: trace headers: every trace at the "
                       "same source, group and CDP coordinates; give the "
                       "trace spacing with --dx M (import, info, run, "
                       "batch)", name);
    }
    for (size_t t = 0; t < n; t++) {
        const uint8_t *s = buf + trace0 + t * trace_bytes +
                           SEGY_TRACE_HEADER_SIZE;
        const uint8_t *th =
            trace_header(buf + trace0 + t * trace_bytes, le, th_copy);
        float *row = g->data + t * ns;
        if (bytes == 4) {
            memcpy(tmp, s, ns * 4);
            if (le) /* to the big-endian order segy_to_native expects */
                swap4((uint8_t *)tmp, ns);
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
                row[k] = le ? (float)(int16_t)(s[2 * k + 1] << 8 | s[2 * k])
                            : (float)(int16_t)(s[2 * k] << 8 | s[2 * k + 1]);
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
    snprintf(im->detail, sizeof im->detail, "revision %d.%d, %s samples, "
             "%s%s", (revision >> 8) & 0xFF, revision & 0xFF,
             fmt_names[format], le ? "little-endian" : "big-endian",
             ext_note);
    if (le)
        ms_diag_add(&im->assumed, "%s: little-endian SEG-Y (from %s)", name,
                    order_note);
    ms_diag_add(&im->assumed, "%s: sample interval %g read as %s: %.6g ns; "
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
    ms_import_field(im, "interval", "%.17g", interval);
    ms_import_field(im, "byte_order", "%s", le ? "little-endian"
                                                 : "big-endian");
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
