/* MALA: a text .rad of "KEY:value" lines and a headerless data file of
 * little-endian traces, int16 in .rd3 and int32 in .rd7. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/formats/formats.h"

#define MALA_MAX_SAMPLES 1000000

/* The number before "MHz" in an antenna description ("MALA 500MHz",
 * "250 MHz shielded"); 0 when there is none. */
static double antenna_mhz(const char *s)
{
    for (const char *p = s; *p; p++) {
        if (strncasecmp(p, "mhz", 3) != 0)
            continue;
        const char *e = p;
        while (e > s && e[-1] == ' ')
            e--;
        const char *b = e;
        while (b > s && (isdigit((unsigned char)b[-1]) || b[-1] == '.'))
            b--;
        if (b < e)
            return strtod(b, NULL);
    }
    return 0;
}

/* Positions from the .cor sidecar: one fix a line, "TRACE DATE TIME LAT
 * N|S LON E|W ALT M QUALITY" separated by tabs (or blanks), the trace
 * counted from 1, latitude and longitude in decimal degrees. Lines that
 * do not read so, and fixes whose trace does not go forward, are skipped.
 * x along the track as for the .DZG. Returns the fixes used (0: none). */
static size_t cor_positions(const char *cor, size_t len, size_t n_traces,
                            double *x)
{
    size_t cap = 0, n = 0;
    double *at = NULL, *lat = NULL, *lon = NULL;
    const char *p = cor, *end = cor + len;
    while (p < end) {
        char line[256];
        p = ms_sidecar_line(p, end, line, sizeof line);
        char *tok[7], *save = NULL;
        int k = 0;
        for (char *s = strtok_r(line, " \t\r", &save); s && k < 7;
             s = strtok_r(NULL, " \t\r", &save))
            tok[k++] = s;
        if (k < 7)
            continue;
        char *e0, *e3, *e5;
        double tr = strtod(tok[0], &e0), la = strtod(tok[3], &e3),
               lo = strtod(tok[5], &e5);
        char ns = (char)toupper((unsigned char)tok[4][0]),
             ew = (char)toupper((unsigned char)tok[6][0]);
        if (*e0 || *e3 || *e5 || !(tr >= 1 && tr <= 1e12) ||
            !(fabs(la) <= 90) || !(fabs(lo) <= 180) ||
            (ns != 'N' && ns != 'S') || (ew != 'E' && ew != 'W'))
            continue;
        if (n && tr - 1 <= at[n - 1])
            continue; /* traces must go forward */
        if (ms_grow_rows(n, &cap, (double **[]){&at, &lat, &lon}, 3))
            break;
        at[n] = tr - 1;
        lat[n] = ns == 'S' ? -la : la;
        lon[n] = ew == 'W' ? -lo : lo;
        n++;
    }
    if (n < 2 || ms_track_positions(at, lat, lon, n, n_traces, x) != 0)
        n = 0;
    free(at);
    free(lat);
    free(lon);
    return n;
}

int ms_mala_parse(const char *name, const char *rad, size_t rad_len,
                  const uint8_t *data, size_t data_len, int bps,
                  const ms_import_options *opt_in, ms_import *im)
{
    return ms_mala_parse_cor(name, rad, rad_len, data, data_len, bps, NULL,
                             0, opt_in, im);
}

int ms_mala_parse_cor(const char *name, const char *rad, size_t rad_len,
                      const uint8_t *data, size_t data_len, int bps,
                      const char *cor, size_t cor_len,
                      const ms_import_options *opt_in, ms_import *im)
{
    ms_import_options opt = opt_in ? *opt_in : ms_import_options_default();
    im->format = MS_FORMAT_MALA;
    if (bps != 2 && bps != 4)
        return ms_fail(MS_ERR_USAGE, "%s: %d bytes per sample; .rd3 has 2, "
                       ".rd7 4", name, bps);
    double samples = -1, freq = 0, window = 0, last = -1, dist = -1;
    char antennas[128] = "";
    const char *pos = rad, *end = rad + rad_len;
    char key[128], val[256];
    while (ms_text_header_next(&pos, end, ':', key, sizeof key, val,
                               sizeof val)) {
        ms_import_field(im, key, "%s", val);
        double *dst = !strcasecmp(key, "SAMPLES")             ? &samples
                      : !strcasecmp(key, "FREQUENCY")         ? &freq
                      : !strcasecmp(key, "TIMEWINDOW")        ? &window
                      : !strcasecmp(key, "LAST TRACE")        ? &last
                      : !strcasecmp(key, "DISTANCE INTERVAL") ? &dist
                                                              : NULL;
        if (!strcasecmp(key, "ANTENNAS"))
            snprintf(antennas, sizeof antennas, "%.127s", val);
        if (dst && ms_parse_number(val, dst) != 0)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: .rad %s: '%s' is not "
                           "a number", name, key, val);
    }
    if (samples < 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .rad: no SAMPLES line",
                       name);
    if (!(samples >= 2 && samples <= MALA_MAX_SAMPLES) ||
        samples != floor(samples))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .rad SAMPLES: %g; need a "
                       "whole number from 2 to %d", name, samples,
                       MALA_MAX_SAMPLES);
    size_t ns = (size_t)samples;
    double dt;
    if (freq >= 1e-3 && freq < 1e7)
        dt = 1e-6 / freq;
    else if (window >= 1e-3 && window < 1e7)
        dt = window * 1e-9 / samples;
    else
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .rad FREQUENCY: %g MHz "
                       "(and TIMEWINDOW %g ns): no sample interval", name,
                       freq, window);
    size_t trace_bytes = ns * (size_t)bps;
    size_t n = data_len / trace_bytes, trailing = data_len % trace_bytes;
    if (n == 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no complete trace: the "
                       "file is %zu bytes, a trace of SAMPLES %zu is %zu",
                       name, data_len, ns, trace_bytes);
    if (last >= 0 && last > (double)n)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: .rad LAST TRACE: %g, but "
                       "the file holds %zu complete traces (truncated?)",
                       name, last, n);
    /* no distance calibration: --dx, else the .cor GPS track */
    size_t fixes = 0;
    ms_recording *rec = ms_import_gpr_recording(name, n, ns, "samples");
    if (!rec)
        return MS_ERR_NOMEM;
    ms_gpr *g = rec->gpr;
    if (!(dist > 0) && !(opt.dx_m > 0) && cor)
        fixes = cor_positions(cor, cor_len, n, g->x);
    if (!(dist >= 0) && !(opt.dx_m > 0) && !fixes) {
        ms_recording_free(rec);
        return ms_fail(MS_ERR_USAGE, "%s: .rad: no DISTANCE INTERVAL; give "
                       "the trace spacing with --dx M (import, info, run, "
                       "batch)", name);
    }
    if (dist == 0 && !(opt.dx_m > 0) && !fixes) {
        ms_recording_free(rec);
        return ms_fail(MS_ERR_USAGE, "%s: .rad DISTANCE INTERVAL: 0: "
                       "recorded in time mode; give the trace spacing with "
                       "--dx M (import, info, run, batch)", name);
    }
    double dx = opt.dx_m > 0 ? opt.dx_m : dist;
    for (size_t t = 0; t < n; t++) {
        const uint8_t *s = data + t * trace_bytes;
        float *row = g->data + t * ns;
        if (bps == 2)
            for (size_t k = 0; k < ns; k++)
                row[k] = (float)(int16_t)(s[2 * k] | s[2 * k + 1] << 8);
        else
            for (size_t k = 0; k < ns; k++)
                row[k] = (float)(int32_t)((uint32_t)s[4 * k] |
                                          (uint32_t)s[4 * k + 1] << 8 |
                                          (uint32_t)s[4 * k + 2] << 16 |
                                          (uint32_t)s[4 * k + 3] << 24);
        if (!fixes)
            g->x[t] = (double)t * dx;
        g->y[t] = 0;
    }
    g->sample_interval_s = dt;
    double mhz = antenna_mhz(antennas);
    if (opt.centre_frequency_hz > 0)
        g->centre_frequency_hz = opt.centre_frequency_hz;
    else if (mhz > 0 && mhz < 1e5)
        g->centre_frequency_hz = mhz * 1e6;
    else
        ms_diag_add(&im->assumed, "%s: ANTENNAS '%s' names no frequency: no "
                    "centre frequency (give it with --centre-frequency MHZ)",
                    name, antennas);
    if (antennas[0])
        im->antenna = strdup(antennas);
    char inst[160];
    snprintf(inst, sizeof inst, "MALA%s%s", antennas[0] ? ", " : "",
             antennas);
    rec->instrument = strdup(inst);
    snprintf(im->detail, sizeof im->detail, "%s (%s samples)",
             bps == 2 ? ".rd3" : ".rd7", bps == 2 ? "int16" : "int32");
    if (opt.dx_m > 0)
        ms_diag_add(&im->assumed, "%s: trace spacing %g m from --dx", name,
                    opt.dx_m);
    else if (fixes)
        ms_diag_add(&im->assumed, "%s: no distance calibration: x is the "
                    "distance along the GPS track of the .cor sidecar (%zu "
                    "fixes, interpolated per trace)", name, fixes);
    if (last >= 0 && last < (double)n)
        ms_diag_add(&im->assumed, "%s: LAST TRACE %g but the file holds %zu "
                    "traces: all imported", name, last, n);
    if (trailing)
        ms_diag_add(&im->assumed, "%s: %zu bytes after the last complete "
                    "trace ignored", name, trailing);
    ms_diag_add(&im->assumed, "%s: sample interval %.6g ns (%s); time zero "
                "at the first sample (the .rad gives none)", name, dt * 1e9,
                freq > 0 ? "1 / FREQUENCY" : "TIMEWINDOW / SAMPLES");
    im->rec = rec;
    return 0;
}
