/* The facts about a recording as JSON (`minescan info --json`), and
 * validation in a child process so that a libhdf5 crash on a hostile file
 * becomes an "invalid file" answer. */
#include "minescan/recording.h"

#include "core/files.h"
#include "io/isolate.h"
#include "io/formats/formats.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* JSON text must be UTF-8; file names and attribute text need not be. */
static json_t *jstr(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return json_null();
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j ? j : json_null();
}

static json_t *jreal(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *jrect(double x0, double x1, double y0, double y1)
{
    return json_pack("{s:o, s:o, s:o, s:o}", "x_min", jreal(x0), "x_max",
                     jreal(x1), "y_min", jreal(y0), "y_max", jreal(y1));
}

/* Bounding box of finite positions; NULL-JSON when there is none. */
static json_t *jextent(const double *x, const double *y, size_t n)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        x0 = fmin(x0, x[i]);
        x1 = fmax(x1, x[i]);
        y0 = fmin(y0, y[i]);
        y1 = fmax(y1, y[i]);
    }
    return x0 <= x1 ? jrect(x0, x1, y0, y1) : json_null();
}

static json_t *jlines(const ms_diag *d)
{
    json_t *a = json_array();
    if (d)
        for (size_t i = 0; i < d->n; i++)
            json_array_append_new(a, jstr(d->lines[i]));
    return a;
}

/* Range and mean of the present values: a quick check that the stored
 * type and its scaling were understood. */
static void jstats(json_t *o, const float *v, const uint8_t *valid, size_t n)
{
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid && !valid[i])
            continue;
        lo = fmin(lo, v[i]);
        hi = fmax(hi, v[i]);
        sum += v[i];
        k++;
    }
    json_object_set_new(o, "data_min", k ? jreal(lo) : json_null());
    json_object_set_new(o, "data_max", k ? jreal(hi) : json_null());
    json_object_set_new(o, "data_mean", k ? jreal(sum / (double)k)
                                          : json_null());
}

static json_t *jgpr(const ms_gpr *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "n_traces", json_integer((json_int_t)g->n_traces));
    json_object_set_new(o, "n_samples",
                        json_integer((json_int_t)g->n_samples));
    json_object_set_new(o, "sample_interval_s", jreal(g->sample_interval_s));
    /* Sample k is at k * dt: the window spans (n_samples - 1) * dt. */
    json_object_set_new(o, "time_window_s",
                        jreal((double)(g->n_samples - 1) *
                              g->sample_interval_s));
    json_object_set_new(o, "time_zero_s", jreal(g->time_zero_s));
    json_object_set_new(o, "centre_frequency_hz",
                        g->centre_frequency_hz > 0
                            ? jreal(g->centre_frequency_hz)
                            : json_null());
    json_object_set_new(o, "units", jstr(g->units));
    json_object_set_new(o, "has_height", json_boolean(g->height != NULL));
    json_object_set_new(o, "has_time", json_boolean(g->time != NULL));
    json_object_set_new(o, "n_missing_samples",
                        json_integer((json_int_t)g->n_missing_samples));
    json_object_set_new(o, "n_dropped_traces",
                        json_integer((json_int_t)g->n_dropped_traces));
    jstats(o, g->data, g->valid, g->n_traces * g->n_samples);
    json_object_set_new(o, "extent", jextent(g->x, g->y, g->n_traces));
    return o;
}

static json_t *jemi(const ms_emi *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "n_readings",
                        json_integer((json_int_t)e->n_readings));
    json_object_set_new(o, "n_channels",
                        json_integer((json_int_t)e->n_channels));
    json_t *names = json_null();
    if (e->channel_names) {
        names = json_array();
        for (size_t i = 0; i < e->n_channels; i++)
            json_array_append_new(names, jstr(e->channel_names[i]));
    }
    json_object_set_new(o, "channel_names", names);
    json_object_set_new(o, "units", jstr(e->units));
    json_object_set_new(o, "has_height", json_boolean(e->height != NULL));
    json_object_set_new(o, "has_time", json_boolean(e->time != NULL));
    json_object_set_new(o, "n_missing_samples",
                        json_integer((json_int_t)e->n_missing_samples));
    json_object_set_new(o, "n_dropped_readings",
                        json_integer((json_int_t)e->n_dropped_readings));
    jstats(o, e->data, e->valid, e->n_readings * e->n_channels);
    json_object_set_new(o, "extent", jextent(e->x, e->y, e->n_readings));
    return o;
}

char *ms_recording_info_json(const char *path, const ms_recording *rec,
                             int rc, const ms_diag *diag)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int valid = rc == 0 && rec;
    json_object_set_new(o, "file", jstr(path));
    json_object_set_new(o, "valid", json_boolean(valid));
    json_object_set_new(o, "error",
                        rc ? json_string(ms_error_name(rc)) : json_null());
    if (valid) {
        json_object_set_new(o, "format", json_string("minescan-recording"));
        json_object_set_new(o, "format_version",
                            json_integer(rec->format_version));
        json_object_set_new(o, "title", jstr(rec->title));
        json_object_set_new(o, "site", jstr(rec->site));
        json_object_set_new(o, "lane_id", jstr(rec->lane_id));
        json_object_set_new(o, "operator_id", jstr(rec->operator_id));
        json_object_set_new(o, "instrument", jstr(rec->instrument));
        json_object_set_new(o, "recorded_at", jstr(rec->recorded_at));

        json_t *sensors = json_array();
        if (rec->gpr)
            json_array_append_new(sensors, json_string("gpr"));
        if (rec->emi)
            json_array_append_new(sensors, json_string("emi"));
        json_object_set_new(o, "sensors", sensors);
        json_object_set_new(o, "gpr", rec->gpr ? jgpr(rec->gpr) : json_null());
        json_object_set_new(o, "emi", rec->emi ? jemi(rec->emi) : json_null());

        /* Extent of every position (the lane when /lane is absent). */
        ms_lane all = {0};
        ms_recording tmp = *rec;
        tmp.lane.present = 0;
        all = ms_recording_lane(&tmp);
        json_object_set_new(o, "extent",
                            all.present ? jrect(all.x_min, all.x_max,
                                                all.y_min, all.y_max)
                                        : json_null());
        ms_lane lane = ms_recording_lane(rec);
        json_t *jl = json_null();
        if (lane.present) {
            jl = jrect(lane.x_min, lane.x_max, lane.y_min, lane.y_max);
            json_object_set_new(jl, "source",
                                json_string(rec->lane.present ? "/lane"
                                                              : "positions"));
        }
        json_object_set_new(o, "lane", jl);
        json_object_set_new(o, "lane_area_m2",
                            jreal(ms_recording_lane_area(rec)));

        json_t *jt = json_null();
        if (rec->truth) {
            size_t mines = 0;
            for (size_t i = 0; i < rec->truth->n; i++)
                mines += rec->truth->is_mine[i] != 0;
            jt = json_pack("{s:I, s:I, s:I}", "n_objects",
                           (json_int_t)rec->truth->n, "n_mines",
                           (json_int_t)mines, "n_clutter",
                           (json_int_t)(rec->truth->n - mines));
        }
        json_object_set_new(o, "truth", jt);
        json_object_set_new(o, "marks",
                            rec->marks ? json_pack("{s:I}", "n_marks",
                                                   (json_int_t)rec->marks->n)
                                       : json_null());
        size_t missing = 0, dropped = 0;
        if (rec->gpr) {
            missing += rec->gpr->n_missing_samples;
            dropped += rec->gpr->n_dropped_traces;
        }
        if (rec->emi) {
            missing += rec->emi->n_missing_samples;
            dropped += rec->emi->n_dropped_readings;
        }
        json_object_set_new(o, "n_missing_samples",
                            json_integer((json_int_t)missing));
        json_object_set_new(o, "n_dropped_traces",
                            json_integer((json_int_t)dropped));
    }
    json_object_set_new(o, "warnings", valid ? jlines(diag) : json_array());
    json_object_set_new(o, "problems", valid ? json_array() : jlines(diag));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

/* ---- validation in a child ------------------------------------------ */

typedef struct validate_job {
    const char *path;
    double dx_m;
} validate_job;

static int validate_child(void *ctx, int fd)
{
    const validate_job *job = ctx;
    const char *path = job->path;
    ms_diag d;
    ms_recording *rec = NULL;
    ms_diag_init(&d);
    ms_format fmt = MS_FORMAT_UNKNOWN;
    ms_import_options io = ms_import_options_default();
    io.dx_m = job->dx_m;
    int rc = ms_recording_load_opt(path, &io, &rec, &d, &fmt);
    char *json = ms_recording_info_json(path, rec, rc, &d);
    if (json && fmt != MS_FORMAT_MINESCAN && fmt != MS_FORMAT_UNKNOWN) {
        /* a field format: say which, and (in warnings) what was assumed */
        json_t *o = json_loads(json, 0, NULL);
        if (o) {
            json_object_set_new(o, "source_format",
                                json_string(ms_format_name(fmt)));
            free(json);
            json = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            json_decref(o);
        }
    }
    if (!json)
        rc = MS_ERR_NOMEM;
    else if (ms_write_all(fd, json, strlen(json)))
        rc = MS_ERR_IO;
    free(json);
    ms_recording_free(rec);
    ms_diag_free(&d);
    return rc;
}

int ms_recording_validate_isolated(const char *path, ms_diag *diag,
                                   char **json_out)
{
    return ms_recording_validate_isolated_dx(path, 0, diag, json_out);
}

int ms_recording_validate_isolated_dx(const char *path, double dx_m,
                                      ms_diag *diag, char **json_out)
{
    validate_job job = {path, dx_m};
    ms_isolated_result r;
    json_t *root = NULL;
    char *text = NULL;
    int ret;

    if (json_out)
        *json_out = NULL;
    double stall = ms_isolated_stall_s();
    ret = ms_run_isolated(validate_child, &job, stall, &r);
    if (ret)
        return ret;
    if (r.exited)
        root = json_loads(r.text, 0, NULL);
    if (!r.exited || !root) {
        /* The child died (libhdf5 crashed) or left no result. */
        ms_diag crash;
        ms_diag_init(&crash);
        ret = ms_isolated_read_failure(path, &r, stall, &crash);
        if (diag)
            for (size_t i = 0; i < crash.n; i++)
                ms_diag_add(diag, "%s", crash.lines[i]);
        text = ms_recording_info_json(path, NULL, ret, &crash);
        ms_diag_free(&crash);
        goto done;
    }
    ret = r.code;
    json_t *lines = json_object_get(root, ret ? "problems" : "warnings");
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        if (diag)
            ms_diag_add(diag, "%s", json_string_value(line));
        if (i == 0 && ret)
            ms_fail(ret, "%s", json_string_value(line));
    }
    if (ret && json_array_size(lines) == 0) {
        ms_fail(ret, "%s: %s", path, ms_strerror(ret));
        if (diag)
            ms_diag_add(diag, "%s", ms_error_message());
    }
    text = r.text;
    r.text = NULL;
done:
    json_decref(root);
    free(r.text);
    if (json_out)
        *json_out = text;
    else
        free(text);
    return ret;
}
