/* GSSI DZT: a 1024-byte little-endian header block per channel, then the
 * scans, channels interleaved per scan, samples uint8, uint16 or signed
 * int32. Field offsets and the data-offset rule are GSSI's documented
 * layout (as readgssi, GPRPy and RGPR also read it); see FORMATS.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/formats/formats.h"

#define DZT_BLOCK 1024

static unsigned u16(const uint8_t *p) { return p[0] | (unsigned)p[1] << 8; }
static int s16(const uint8_t *p) { return (int16_t)u16(p); }
static uint32_t u32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static float f32(const uint8_t *p)
{
    uint32_t v = u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* Centre frequencies (MHz) of GSSI antennas by the model name written in
 * the header (the list the open readers agree on). */
static const struct {
    const char *name;
    double mhz;
} known_antennas[] = {
    {"3207", 100},     {"3207AP", 100},  {"5106", 200},    {"5106A", 200},
    {"50270", 270},    {"50270S", 270},  {"50300", 300},   {"D50300", 300},
    {"350", 350},      {"350HS", 350},   {"D400HS", 350},  {"5103", 400},
    {"5103A", 400},    {"50400", 400},   {"50400S", 400},  {"800", 800},
    {"D50800", 800},   {"3101", 900},    {"3101A", 900},   {"51600", 1600},
    {"51600S", 1600},  {"SS MINI", 1600}, {"62000", 2000}, {"62000-003", 2000},
    {"62300", 2300},   {"62300XT", 2300}, {"52600", 2600}, {"52600S", 2600},
};

static double antenna_mhz(const char *name)
{
    for (size_t i = 0; i < sizeof known_antennas / sizeof known_antennas[0];
         i++)
        if (strcmp(name, known_antennas[i].name) == 0)
            return known_antennas[i].mhz;
    return 0;
}

/* The antenna name: up to 14 printable characters, trailing blanks off. */
static void antenna_name(const uint8_t *p, char out[15])
{
    size_t n = 0;
    for (; n < 14 && p[n]; n++)
        out[n] = p[n] >= 32 && p[n] < 127 ? (char)p[n] : '?';
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = 0;
}

/* GSSI's packed date: seconds/2 (5 bits), minutes (6), hours (5), day
 * (5), month (4), year - 1980 (7). "" when it does not make a date. */
static void packed_date(uint32_t v, char out[32])
{
    unsigned sec = (v & 31) * 2, min = (v >> 5) & 63, hour = (v >> 11) & 31,
             day = (v >> 16) & 31, mon = (v >> 21) & 15,
             year = 1980 + (v >> 25);
    out[0] = 0;
    if (v && day >= 1 && mon >= 1 && mon <= 12 && hour < 24 && min < 60 &&
        sec < 60)
        snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u", year, mon, day,
                 hour, min, sec);
}

/* Positions from the .DZG sidecar: "$GSSIS,scan,..." lines each followed
 * by a "$GPGGA" fix. x is the distance along the track (metres, from the
 * fixes by a local flat-earth approximation), interpolated between the
 * scans that have a fix. Returns the number of fixes used (0: none). */
static size_t dzg_positions(const char *dzg, size_t len, size_t n_scans,
                            double *x)
{
    size_t cap = 0, n = 0;
    double *scan = NULL, *lat = NULL, *lon = NULL;
    double cur_scan = -1;
    const char *p = dzg, *end = dzg + len;
    while (p < end) {
        char line[256];
        p = ms_sidecar_line(p, end, line, sizeof line);
        if (strncmp(line, "$GSSIS,", 7) == 0) {
            cur_scan = strtod(line + 7, NULL);
        } else if (strncmp(line, "$GPGGA,", 7) == 0 ||
                   strncmp(line, "$GNGGA,", 7) == 0) {
            /* $GPGGA,time,ddmm.mmmm,N,dddmm.mmmm,E,quality,... */
            char *f[8] = {0};
            char *s = line;
            for (int k = 0; k < 8 && s; k++) {
                f[k] = s;
                s = strchr(s, ',');
                if (s)
                    *s++ = 0;
            }
            if (!f[5] || !(cur_scan >= 0 && cur_scan <= 1e12) || !f[2][0] ||
                !f[4][0])
                continue;
            double la = strtod(f[2], NULL), lo = strtod(f[4], NULL);
            if (!(fabs(la) <= 9000) || !(fabs(lo) <= 18000))
                continue; /* ddmm.mmmm and dddmm.mmmm */
            la = floor(la / 100) + fmod(la, 100) / 60;
            lo = floor(lo / 100) + fmod(lo, 100) / 60;
            if (f[3][0] == 'S')
                la = -la;
            if (f[5][0] == 'W')
                lo = -lo;
            if (ms_grow_rows(n, &cap, (double **[]){&scan, &lat, &lon}, 3))
                break;
            if (n && cur_scan <= scan[n - 1])
                continue; /* scans must go forward */
            scan[n] = cur_scan;
            lat[n] = la;
            lon[n] = lo;
            n++;
            cur_scan = -1;
        }
    }
    if (n < 2 || ms_track_positions(scan, lat, lon, n, n_scans, x) != 0)
        n = 0;
    free(scan);
    free(lat);
    free(lon);
    return n;
}

/* Sample k of scan s, channel c, as a float (unsigned storage centred on
 * its mid-scale). */
static float sample_at(const uint8_t *data, unsigned bytes, size_t nsamp,
                       unsigned nchan, size_t s, unsigned c, size_t k)
{
    const uint8_t *p = data + ((s * nchan + c) * nsamp + k) * bytes;
    switch (bytes) {
    case 1: return (float)((int)p[0] - 128);
    case 2: return (float)((long)u16(p) - 32768);
    default: return (float)(int32_t)u32(p);
    }
}

/* Raw integer value of a sample (for the header-word test). */
static int64_t raw_at(const uint8_t *data, unsigned bytes, size_t nsamp,
                      unsigned nchan, size_t s, unsigned c, size_t k)
{
    const uint8_t *p = data + ((s * nchan + c) * nsamp + k) * bytes;
    if (bytes == 1)
        return p[0];
    return bytes == 2 ? (int64_t)u16(p) : (int64_t)(int32_t)u32(p);
}

/* The scan header words some GSSI units write over the first two samples
 * of every scan: sample 0 the same in every scan, sample 1 the same in
 * every scan or a counter going up by one, while sample 2 is radar data
 * (it varies between scans). Returns how many samples to drop (0 or 2). */
static size_t header_words(const uint8_t *data, unsigned bytes, size_t nsamp,
                           unsigned nchan, size_t n_scans, unsigned c)
{
    if (n_scans < 3 || nsamp < 4)
        return 0;
    int64_t a0 = raw_at(data, bytes, nsamp, nchan, 0, c, 0);
    int64_t b0 = raw_at(data, bytes, nsamp, nchan, 0, c, 1);
    int64_t c0 = raw_at(data, bytes, nsamp, nchan, 0, c, 2);
    int b_const = 1, b_count = 1, c_varies = 0;
    for (size_t s = 1; s < n_scans; s++) {
        if (raw_at(data, bytes, nsamp, nchan, s, c, 0) != a0)
            return 0;
        int64_t b = raw_at(data, bytes, nsamp, nchan, s, c, 1);
        b_const &= b == b0;
        b_count &= b == b0 + (int64_t)s;
        c_varies |= raw_at(data, bytes, nsamp, nchan, s, c, 2) != c0;
    }
    return (b_const || b_count) && c_varies ? 2 : 0;
}

/* The first `needle` in [b, e), or NULL. */
static const char *find_in(const char *b, const char *e, const char *needle)
{
    size_t n = strlen(needle);
    for (; b && (size_t)(e - b) >= n; b++)
        if (!memcmp(b, needle, n))
            return b;
    return NULL;
}

/* Positions from the .DZX sidecar (GSSI's XML): each <WayPt> element with
 * a <scan> and a <distance> (processed files; user marks alone have no
 * distance) is a known position; x is interpolated per scan between them.
 * Distances are taken as metres. Returns the waypoints used (0: fewer
 * than two). */
static size_t dzx_positions(const char *dzx, size_t len, size_t n_scans,
                            double *x)
{
    size_t cap = 0, n = 0;
    double *at = NULL, *dist = NULL;
    const char *p = dzx, *end = dzx + len;
    while ((p = find_in(p, end, "<WayPt>")) != NULL) {
        const char *close = find_in(p, end, "</WayPt>");
        const char *stop = close ? close : end;
        const char *sc = find_in(p, stop, "<scan>");
        const char *di = find_in(p, stop, "<distance>");
        p = close ? close + 8 : end;
        if (!sc || !di)
            continue;
        char a[64], b[64];
        size_t la = (size_t)(stop - (sc + 6)), lb = (size_t)(stop - (di + 10));
        memcpy(a, sc + 6, la < 63 ? la : 63);
        a[la < 63 ? la : 63] = 0;
        memcpy(b, di + 10, lb < 63 ? lb : 63);
        b[lb < 63 ? lb : 63] = 0;
        char *ea, *eb;
        double scan = strtod(a, &ea), d = strtod(b, &eb);
        while (*ea == ' ' || *ea == '\t' || *ea == '\r' || *ea == '\n')
            ea++;
        while (*eb == ' ' || *eb == '\t' || *eb == '\r' || *eb == '\n')
            eb++;
        if (ea == a || eb == b || *ea != '<' || *eb != '<' ||
            !(scan >= 0 && scan <= 1e12) || !(fabs(d) <= 1e9))
            continue;
        if (n && scan <= at[n - 1])
            continue; /* scans must go forward */
        if (ms_grow_rows(n, &cap, (double **[]){&at, &dist}, 2))
            break;
        at[n] = scan;
        dist[n] = d;
        n++;
    }
    if (n >= 2)
        ms_positions_interpolate(at, dist, n, n_scans, x);
    else
        n = 0;
    free(at);
    free(dist);
    return n;
}

int ms_dzt_parse(const char *name, const uint8_t *buf, size_t len,
                 const char *dzg, size_t dzg_len,
                 const ms_import_options *opt_in, ms_import *im)
{
    return ms_dzt_parse_sidecars(name, buf, len, dzg, dzg_len, NULL, 0,
                                 opt_in, im);
}

int ms_dzt_parse_sidecars(const char *name, const uint8_t *buf, size_t len,
                          const char *dzg, size_t dzg_len, const char *dzx,
                          size_t dzx_len, const ms_import_options *opt_in,
                          ms_import *im)
{
    ms_import_options opt = opt_in ? *opt_in : ms_import_options_default();
    im->format = MS_FORMAT_DZT;
    if (len < DZT_BLOCK)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: header: the file is %zu bytes, shorter than "
                       "the 1024-byte DZT header", name, len);
    unsigned tag = u16(buf), rh_data = u16(buf + 2);
    int nsamp_i = s16(buf + 4), bits = s16(buf + 6), zero = s16(buf + 8);
    float sps = f32(buf + 10), spm = f32(buf + 14), mpm = f32(buf + 18),
          position = f32(buf + 22), range = f32(buf + 26);
    int npass = s16(buf + 30), nchan_i = s16(buf + 52);
    float epsr = f32(buf + 54);

    if (bits != 8 && bits != 16 && bits != 32)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rh_bits: %d bits per "
                       "sample; DZT has 8, 16 or 32", name, bits);
    if (nsamp_i < 2)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rh_nsamp: %d samples per "
                       "scan; need at least 2", name, nsamp_i);
    if (nchan_i < 1 || nchan_i > 8)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rh_nchan: %d channels; "
                       "expected 1 to 8", name, nchan_i);
    unsigned nchan = (unsigned)nchan_i, bytes = (unsigned)bits / 8;
    size_t nsamp = (size_t)nsamp_i;
    if ((size_t)nchan * DZT_BLOCK > len)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rh_nchan: %u channel "
                       "headers of 1024 bytes do not fit in the %zu-byte "
                       "file", name, nchan, len);
    size_t offset = rh_data < DZT_BLOCK ? (size_t)DZT_BLOCK * rh_data
                                        : (size_t)DZT_BLOCK * nchan;
    if (offset < (size_t)DZT_BLOCK * nchan)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rh_data: %u puts the data "
                       "at byte %zu, inside the %u channel header(s)", name,
                       rh_data, offset, nchan);
    if (offset > len)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rh_data: %u puts the data "
                       "at byte %zu, past the end of the %zu-byte file "
                       "(truncated?)", name, rh_data, offset, len);
    if (!(isfinite(range) && range >= 1e-3 && range < 1e7))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rhf_range: %g ns is not a "
                       "time window", name, (double)range);
    if (!isfinite(spm) || spm < 0 || (spm > 0 && spm < 1e-3))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: rhf_spm: %g scans per "
                       "metre", name, (double)spm);
    int ch = opt.channel > 0 ? opt.channel : 1;
    if ((unsigned)ch > nchan)
        return ms_fail(MS_ERR_USAGE, "%s: --channel %d: the file has %u "
                       "channel(s)", name, ch, nchan);
    size_t scan_bytes = nsamp * bytes * nchan; /* <= 32767 * 4 * 8 */
    size_t n_scans = (len - offset) / scan_bytes;
    size_t trailing = (len - offset) % scan_bytes;
    if (n_scans == 0)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: data: no complete scan "
                       "after byte %zu (a scan is %zu bytes, the file %zu)",
                       name, offset, scan_bytes, len);
    const uint8_t *data = buf + offset;

    /* positions first: a time-mode file without --dx stops here */
    double *x = malloc(n_scans * sizeof *x);
    if (!x)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", name);
    char pos_note[200] = "";
    size_t fixes = 0;
    if (opt.dx_m > 0) {
        for (size_t s = 0; s < n_scans; s++)
            x[s] = (double)s * opt.dx_m;
        snprintf(pos_note, sizeof pos_note, "trace spacing %g m from --dx%s",
                 opt.dx_m, spm > 0 ? " (overrides the file's rhf_spm)" : "");
    } else if (spm > 0) {
        for (size_t s = 0; s < n_scans; s++)
            x[s] = (double)s / spm;
    } else if (dzx && (fixes = dzx_positions(dzx, dzx_len, n_scans, x))) {
        snprintf(pos_note, sizeof pos_note, "recorded in time mode: x from "
                 "the distances of the .DZX sidecar's %zu waypoints (taken "
                 "as metres), interpolated per scan", fixes);
    } else {
        fixes = dzg ? dzg_positions(dzg, dzg_len, n_scans, x) : 0;
        if (!fixes) {
            free(x);
            return ms_fail(MS_ERR_USAGE, "%s: rhf_spm: 0: recorded in time "
                           "mode without distance calibration; give the "
                           "trace spacing with --dx M (import, info, run, "
                           "batch)",
                           name);
        }
        snprintf(pos_note, sizeof pos_note, "recorded in time mode: x is "
                 "the distance along the GPS track of the .DZG sidecar "
                 "(%zu fixes, interpolated per scan)", fixes);
    }

    unsigned c = (unsigned)ch - 1;
    size_t drop = opt.keep_header_words
                      ? 0
                      : header_words(data, bytes, nsamp, nchan, n_scans, c);
    double dt = (double)range * 1e-9 / (double)nsamp;
    ms_recording *rec = ms_recording_new();
    ms_gpr *g = rec ? ms_gpr_new(n_scans, nsamp - drop) : NULL;
    double *tm = sps > 0 && isfinite(sps) ? malloc(n_scans * sizeof *tm)
                                          : NULL;
    if (!rec || !g || (sps > 0 && isfinite(sps) && !tm)) {
        free(x);
        free(tm);
        ms_gpr_free(g);
        ms_recording_free(rec);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory for %zu scans of "
                       "%zu samples", name, n_scans, nsamp);
    }
    rec->gpr = g;
    for (size_t s = 0; s < n_scans; s++) {
        float *row = g->data + s * g->n_samples;
        for (size_t k = drop; k < nsamp; k++)
            row[k - drop] = sample_at(data, bytes, nsamp, nchan, s, c, k);
        g->x[s] = x[s];
        g->y[s] = 0;
        if (tm)
            tm[s] = (double)s / sps;
    }
    free(x);
    g->time = tm;
    g->sample_interval_s = dt;
    /* rhf_position: where the window starts relative to time zero (ns);
     * a negative one puts time zero inside the window. */
    double tz = position < 0 && isfinite(position) ? -position * 1e-9 : 0;
    tz -= (double)drop * dt;
    if (tz < 0 || tz > (double)(g->n_samples - 1) * dt)
        tz = 0;
    g->time_zero_s = tz;

    char ant[15], block_ant[15];
    antenna_name(buf + (size_t)DZT_BLOCK * c + 98, ant);
    double mhz = antenna_mhz(ant);
    if (opt.centre_frequency_hz > 0) {
        g->centre_frequency_hz = opt.centre_frequency_hz;
        ms_diag_add(&im->assumed, "%s: centre frequency %g MHz from "
                    "--centre-frequency", name, opt.centre_frequency_hz / 1e6);
    } else if (mhz > 0) {
        g->centre_frequency_hz = mhz * 1e6;
    } else {
        ms_diag_add(&im->assumed, "%s: antenna '%s' is not in the table of "
                    "known GSSI antennas: no centre frequency (give it with "
                    "--centre-frequency MHZ)", name, ant);
    }
    im->antenna = strdup(ant);
    char date[32];
    packed_date(u32(buf + 32), date);
    if (date[0])
        rec->recorded_at = strdup(date);
    char inst[96];
    snprintf(inst, sizeof inst, "GSSI, antenna %s", ant[0] ? ant : "unnamed");
    rec->instrument = strdup(inst);

    snprintf(im->detail, sizeof im->detail, "%d-bit %s, %u channel(s)%s",
             bits, bits == 32 ? "signed" : "unsigned", nchan,
             nchan > 1 ? (ch == 1 ? ", channel 1 imported (--channel N)"
                                  : ", channel given by --channel imported")
                       : "");
    if (bits != 32)
        ms_diag_add(&im->assumed, "%s: unsigned %d-bit samples centred by "
                    "subtracting %d", name, bits, bits == 8 ? 128 : 32768);
    if (drop)
        ms_diag_add(&im->assumed, "%s: the first %zu samples of every scan "
                    "hold scan header words, not radar data: dropped", name,
                    drop);
    if (trailing)
        ms_diag_add(&im->assumed, "%s: %zu bytes after the last complete "
                    "scan ignored", name, trailing);
    if (pos_note[0])
        ms_diag_add(&im->assumed, "%s: %s", name, pos_note);
    ms_diag_add(&im->assumed, "%s: sample interval rhf_range / rh_nsamp = "
                "%.6g ns; time zero %.6g ns (from rhf_position %g ns)", name,
                dt * 1e9, g->time_zero_s * 1e9, (double)position);

    ms_import_field(im, "rh_tag", "%u", tag);
    ms_import_field(im, "rh_data", "%u", rh_data);
    ms_import_field(im, "rh_nsamp", "%d", nsamp_i);
    ms_import_field(im, "rh_bits", "%d", bits);
    ms_import_field(im, "rh_zero", "%d", zero);
    ms_import_field(im, "rhf_sps", "%.9g", (double)sps);
    ms_import_field(im, "rhf_spm", "%.9g", (double)spm);
    ms_import_field(im, "rhf_mpm", "%.9g", (double)mpm);
    ms_import_field(im, "rhf_position", "%.9g", (double)position);
    ms_import_field(im, "rhf_range", "%.9g", (double)range);
    ms_import_field(im, "rh_npass", "%d", npass);
    ms_import_field(im, "rh_nchan", "%u", nchan);
    ms_import_field(im, "rhf_epsr", "%.9g", (double)epsr);
    ms_import_field(im, "channel", "%d", ch);
    ms_import_field(im, "n_scans", "%zu", n_scans);
    if (date[0])
        ms_import_field(im, "rhb_cdt", "%s", date);
    for (unsigned k = 0; k < nchan; k++) {
        char key[32];
        antenna_name(buf + (size_t)DZT_BLOCK * k + 98, block_ant);
        snprintf(key, sizeof key, "rh_antname_%u", k + 1);
        ms_import_field(im, key, "%s", block_ant);
    }
    im->rec = rec;
    return 0;
}
