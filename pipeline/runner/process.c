/* The main job on one recording: see process.h. */
#include "runner/process.h"
#include "core/clock.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "minescan/detect.h"
#include "minescan/render.h"
#include "minescan/version.h"
#include "core/files.h"
#include "core/outdir.h"
#include "io/condition.h"
#include "report/maps_write.h"
#include "report/summary.h"


/* Every file a run may write. A new run removes those of an earlier run
 * that it does not write itself (a GPR-only lane after a dual one must not
 * leave the old bscan.png, nor a lane without /truth an old score.json). */
static const char *const known_outputs[] = {
    "summary.json", "bscan.png", "heatmap.png", "coverage.png",
    "alarms.csv", "alarms.geojson", "score.json", "roc.csv", "roc.png",
    "maps.h5", "index.html",
};

ms_process_options ms_process_options_default(void)
{
    ms_process_options o = {0};
    ms_detect_options d = ms_detect_options_default();
    o.recipe = "default";
    o.device_requested = "auto";
    o.alarm_threshold = d.alarm_threshold;
    o.alarm_separation_m = d.separation_m;
    o.halo_m = d.halo_m;
    o.sensor_threshold = d.sensor_threshold;
    return o;
}

/* Everything one run needs to hand between its steps. */
typedef struct job {
    ms_outdir out;
    const ms_process_options *opt;
    ms_recording *rec;
    ms_recipe recipe;
    char *parameters; /* the effective recipe, for the PNGs' text chunks */
    ms_run *run;
    ms_detection det;
} job;

static void out_path(const job *j, const char *name, char *buf, size_t len)
{
    ms_outdir_path(&j->out, name, buf, len);
}

static void add_output(job *j, const char *name)
{
    ms_outdir_add(&j->out, name);
}

static ms_map_view map_view(ms_run *run, const char *slot)
{
    ms_map_view v = {0};
    ms_shape s;
    const ms_env *env = ms_run_env(run);
    const float *data = slot ? ms_run_slot(run, slot, &s) : NULL;
    if (!data || s.kind != MS_ARRAY_MAP)
        return v;
    v.v = data;
    v.ny = s.dims[0];
    v.nx = s.dims[1];
    v.x_min = env->lane_x_min;
    v.y_min = env->lane_y_min;
    v.cell = s.cell_m; /* square cells from the lane origin (stage.h) */
    if (!(v.cell > 0))
        v.v = NULL; /* not a map over the lane */
    return v;
}

/* The sensor whose positions the stage that wrote `slot` read ("gpr" for
 * gpr_xy), or "". */
static const char *coverage_sensor(const ms_recipe *r, const char *slot)
{
    for (size_t i = r->n_steps; i-- > 0;) {
        const ms_recipe_step *st = &r->steps[i];
        for (unsigned o = 0; o < st->decl->n_out; o++)
            if (!strcmp(st->out[o], slot))
                for (unsigned k = 0; k < st->decl->n_in; k++) {
                    if (!strcmp(st->in[k], "gpr_xy"))
                        return "gpr";
                    if (!strcmp(st->in[k], "emi_xy"))
                        return "emi";
                }
    }
    return "";
}

static int write_bscan(job *j)
{
    ms_shape s;
    const ms_gpr *g = j->rec->gpr;
    /* The recipe's bscan output, which a stage filtered (ms_run_output
     * never names raw traces, which would be mislabelled). */
    const char *slot = ms_run_output(j->run, MS_ROLE_BSCAN);
    if (!g || !slot)
        return 0;
    const float *data = ms_run_slot(j->run, slot, &s);
    if (!data || s.kind != MS_ARRAY_TRACES || s.dims[0] != g->n_traces)
        return 0;
    double *dist = malloc(g->n_traces * sizeof *dist);
    if (!dist)
        return ms_fail(MS_ERR_NOMEM, "out of memory for the B-scan");
    dist[0] = 0.0;
    for (size_t i = 1; i < g->n_traces; i++)
        dist[i] = dist[i - 1] + hypot(g->x[i] - g->x[i - 1],
                                      g->y[i] - g->y[i - 1]);
    ms_png_text text[] = {{"minescan:recipe", j->recipe.name},
                          {"minescan:parameters", j->parameters},
                          {"minescan:slot", slot}};
    ms_image_spec spec = {.title = "Filtered B-scan along the sweep path "
                                   "(every sweep, end to end)",
                          .value_label = "amplitude",
                          .cmap = MS_CMAP_BALANCE,
                          .symmetric = 1,
                          .text = text,
                          .n_text = 3};
    char path[MS_PATH_MAX];
    out_path(j, "bscan.png", path, sizeof path);
    int rc = ms_render_bscan(path, data, s.dims[0], s.dims[1], dist,
                             g->sample_interval_s, &spec);
    free(dist);
    if (!rc)
        add_output(j, "bscan.png");
    return rc;
}

/* Markers for the heatmap: truth (missed mines stand out), the operator's
 * marks, the alarms. */
static ms_marker *heatmap_markers(const job *j, size_t *n)
{
    const ms_truth *t = j->rec->truth;
    const ms_marks *m = j->rec->marks;
    size_t cap = (t ? t->n : 0) + (m ? m->n : 0) + j->det.n_alarms;
    ms_marker *mk = malloc((cap ? cap : 1) * sizeof *mk);
    *n = 0;
    if (!mk)
        return NULL;
    for (size_t i = 0; t && i < t->n; i++) {
        ms_marker_kind k = !t->is_mine[i] ? MS_MARKER_CLUTTER
                           : (j->det.detected && !j->det.detected[i]) ? MS_MARKER_MISSED
                                                              : MS_MARKER_MINE;
        mk[(*n)++] = (ms_marker){t->x[i], t->y[i], k};
    }
    for (size_t i = 0; m && i < m->n; i++)
        mk[(*n)++] = (ms_marker){m->x[i], m->y[i], MS_MARKER_OPERATOR};
    for (size_t i = 0; i < j->det.n_alarms; i++)
        mk[(*n)++] = (ms_marker){j->det.alarms[i].x, j->det.alarms[i].y,
                                 MS_MARKER_ALARM};
    return mk;
}

/* A map as drawn: cells nobody swept (zero hits in every sensor) are NaN,
 * which the renderer shows as "no coverage". */
static float *masked_copy(job *j, const ms_map_view *v)
{
    size_t n = v->nx * v->ny;
    float *out = malloc((n ? n : 1) * sizeof *out);
    if (!out)
        return NULL;
    memcpy(out, v->v, n * sizeof *out);
    /* Every coverage map the recipe declares that this run wrote. */
    const ms_recipe_output *cov = &j->recipe.outputs[MS_ROLE_COVERAGE];
    ms_map_view hits[MS_MAX_IO];
    unsigned n_hits = 0;
    for (unsigned k = 0; k < cov->n; k++) {
        ms_map_view h = map_view(j->run, cov->slots[k]);
        if (h.v && h.nx == v->nx && h.ny == v->ny)
            hits[n_hits++] = h;
    }
    for (size_t i = 0; n_hits && i < n; i++) {
        int swept = 0;
        for (unsigned k = 0; k < n_hits; k++)
            swept |= hits[k].v[i] > 0;
        if (!swept)
            out[i] = NAN;
    }
    return out;
}

static int render_map(job *j, const char *file, const ms_map_view *v,
                      const char *title, const char *label, ms_colormap cmap,
                      int with_markers)
{
    float *shown = masked_copy(j, v);
    size_t n_markers = 0;
    ms_marker *markers = with_markers ? heatmap_markers(j, &n_markers) : NULL;
    if (!shown || (with_markers && !markers)) {
        free(shown);
        free(markers);
        return ms_fail(MS_ERR_NOMEM, "out of memory drawing %s", file);
    }
    ms_png_text text[] = {{"minescan:recipe", j->recipe.name},
                          {"minescan:parameters", j->parameters}};
    ms_image_spec spec = {.title = title, .value_label = label, .cmap = cmap,
                          .text = text, .n_text = 2};
    char path[MS_PATH_MAX];
    out_path(j, file, path, sizeof path);
    int rc = ms_render_map(path, shown, v->nx, v->ny, v->x_min,
                           v->x_min + v->cell * (double)v->nx, v->y_min,
                           v->y_min + v->cell * (double)v->ny, markers,
                           n_markers, &spec);
    free(shown);
    free(markers);
    if (!rc)
        add_output(j, file);
    return rc;
}

static int detect_and_score(job *j, const ms_map_view *final)
{
    ms_map_view g = map_view(j->run, ms_run_output(j->run, MS_ROLE_GPR)),
                e = map_view(j->run, ms_run_output(j->run, MS_ROLE_EMI));
    const ms_process_options *opt = j->opt;
    ms_detect_options o = {opt->alarm_threshold, opt->alarm_separation_m,
                           opt->halo_m, opt->sensor_threshold};
    double area = ms_recording_lane_area(j->rec);
    if (!(area > 0)) {
        /* A single straight line and no /lane: false alarms per m^2 of the
         * strip the map covers (the runner widens it to 0.1 m). */
        const ms_env *env = ms_run_env(j->run);
        area = (env->lane_x_max - env->lane_x_min) *
               (env->lane_y_max - env->lane_y_min);
    }
    int rc = ms_detect(final, &g, &e, j->rec->truth, area, &o, &j->det);
    char path[MS_PATH_MAX];
    if (!rc) {
        out_path(j, "alarms.csv", path, sizeof path);
        rc = ms_alarms_write_csv(path, j->det.alarms, j->det.n_alarms);
    }
    if (!rc) {
        add_output(j, "alarms.csv");
        out_path(j, "alarms.geojson", path, sizeof path);
        rc = ms_alarms_write_geojson(path, j->det.alarms, j->det.n_alarms);
    }
    if (!rc)
        add_output(j, "alarms.geojson");
    if (rc || !j->det.scored)
        return rc;
    out_path(j, "score.json", path, sizeof path);
    rc = ms_score_write_json(path, &j->det.score, &j->det.roc);
    if (!rc) {
        add_output(j, "score.json");
        out_path(j, "roc.csv", path, sizeof path);
        rc = ms_roc_write_csv(path, &j->det.roc);
    }
    if (!rc) {
        add_output(j, "roc.csv");
        out_path(j, "roc.png", path, sizeof path);
        rc = ms_render_roc(path, &j->det.roc, &j->det.score,
                           "Detection: Pd against false alarms per m2");
    }
    if (!rc)
        add_output(j, "roc.png");
    return rc;
}

/* Text with the characters HTML gives a meaning escaped. */
static void put_html(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

static int write_index(job *j, const char *input)
{
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (!f)
        return ms_fail(MS_ERR_NOMEM, "out of memory writing index.html");
    fputs("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>"
          "minescan: ", f);
    put_html(f, input);
    fprintf(f, "</title>\n<style>body{font-family:sans-serif;max-width:"
               "1100px;margin:auto}img{max-width:100%%;border:1px solid "
               "#ccc}</style></head><body>\n<h1>minescan %s</h1>\n<p>Input: "
               "<code>", MINESCAN_VERSION);
    put_html(f, input);
    fputs("</code><br>Recipe: <code>", f);
    put_html(f, j->recipe.name);
    fprintf(f, "</code><br>Alarms: %zu", j->det.n_alarms);
    if (j->det.scored && isnan(j->det.score.pd))
        fprintf(f, "<br>No mines in this lane; false alarms: %zu (%.2f per "
                   "m&sup2;)", j->det.score.n_false_alarms, j->det.score.far);
    else if (j->det.scored)
        fprintf(f, "<br>Mines detected: %zu of %zu (Pd %.2f), false alarms: "
                   "%zu (%.2f per m&sup2;), halo %.2f m", j->det.score.n_detected,
                j->det.score.n_mines, j->det.score.pd, j->det.score.n_false_alarms,
                j->det.score.far, j->det.score.halo_m);
    fputs("</p>\n", f);
    /* what a trainer reads first, first */
    static const char *const images[] = {"heatmap.png", "coverage.png",
                                         "roc.png", "bscan.png"};
    for (size_t k = 0; k < sizeof images / sizeof images[0]; k++)
        for (size_t i = 0; i < j->out.n_written; i++)
            if (!strcmp(j->out.written[i], images[k]))
                fprintf(f, "<h2>%s</h2>\n<a href=\"%s\"><img src=\"%s\" "
                           "alt=\"%s\"></a>\n", images[k], images[k],
                        images[k], images[k]);
    for (size_t i = 0; i < j->out.n_written; i++) {
        const char *name = j->out.written[i]; /* our own fixed names */
        size_t n = strlen(name);
        if (n < 4 || strcmp(name + n - 4, ".png"))
            fprintf(f, "<p><a href=\"%s\">%s</a></p>\n", name, name);
    }
    fputs("<p><a href=\"summary.json\">summary.json</a></p>\n</body></html>\n",
          f);
    if (fclose(f) != 0 || !page) {
        free(page);
        return ms_fail(MS_ERR_NOMEM, "out of memory writing index.html");
    }
    char path[MS_PATH_MAX];
    out_path(j, "index.html", path, sizeof path);
    int rc = ms_write_text_atomic(path, page, len);
    free(page);
    if (!rc)
        add_output(j, "index.html");
    return rc;
}

int ms_process_recording(ms_runner *runner, const char *input,
                         const char *outdir, const ms_process_options *opt,
                         ms_diag *diag, ms_process_result *result)
{
    double t_start = ms_now_s();
    job j = {.opt = opt};
    memset(result, 0, sizeof *result);
    result->pd = NAN;

    int rc = ms_recipe_load(opt->recipe ? opt->recipe : "default", &j.recipe);
    for (size_t i = 0; !rc && i < opt->n_overrides; i++)
        rc = ms_recipe_override(&j.recipe, opt->overrides[i]);
    if (!rc)
        rc = ms_recipe_validate(&j.recipe);
    if (!rc) {
        j.parameters = ms_recipe_effective_text(&j.recipe);
        if (!j.parameters)
            rc = ms_fail(MS_ERR_NOMEM, "out of memory");
    }
    if (!rc) {
        rc = ms_recording_read(input, &j.rec, diag);
        result->input_invalid = rc != 0;
    }
    double t_read = ms_now_s();
    if (!rc) {
        ms_condition_recording(input, j.rec, diag);
        rc = ms_outdir_open(&j.out, outdir, input, known_outputs,
                            sizeof known_outputs / sizeof known_outputs[0],
                            "summary.json");
    }
    if (!rc) {
        /* Nothing below reads the samples from the recording again. */
        ms_runner_consume_recordings(runner, 1);
        rc = ms_run_recipe(runner, input, j.rec, &j.recipe, &j.run);
        ms_runner_consume_recordings(runner, 0);
    }
    double t_render = ms_now_s();
    if (!rc)
        rc = write_bscan(&j);
    ms_map_view final = {0};
    if (!rc) {
        final = map_view(j.run, ms_run_final_map(j.run));
        if (!final.v)
            rc = ms_fail(MS_ERR_INVALID_INPUT,
                         "%s: recipe %s made no map (does the recording hold "
                         "the sensor the recipe uses?)", input, j.recipe.name);
    }
    if (!rc)
        rc = detect_and_score(&j, &final);
    if (!rc) {
        /* Which sensors the final map holds, from the recipe's outputs: a
         * sensor map that is the final map, or that the final map was
         * made from (a different slot of the same run). */
        const char *name = ms_run_final_map(j.run);
        const char *gs = ms_run_output(j.run, MS_ROLE_GPR);
        const char *es = ms_run_output(j.run, MS_ROLE_EMI);
        char title[160], label[64];
        if (gs && es)
            snprintf(title, sizeof title, "Anomaly map: radar + metal-detector "
                     "scores (each in standard deviations above its lane mean)");
        else if (gs && !strcmp(gs, name))
            snprintf(title, sizeof title, "Radar anomaly map (standard "
                     "deviations above the lane mean)");
        else if (es && !strcmp(es, name))
            snprintf(title, sizeof title, "Metal-detector anomaly map "
                     "(standard deviations above the lane mean)");
        else
            snprintf(title, sizeof title, "Anomaly map (%s)", name);
        snprintf(label, sizeof label, "score (alarm at %g or more)",
                 opt->alarm_threshold);
        rc = render_map(&j, "heatmap.png", &final, title, label,
                        MS_CMAP_VIRIDIS, 1);
    }
    if (!rc) {
        /* The first coverage map of the recipe that this run wrote; which
         * sensor it counts is the sensor its grid stage read. */
        const char *slot = ms_run_output(j.run, MS_ROLE_COVERAGE);
        ms_map_view hits = map_view(j.run, slot);
        const char *title = "Coverage: readings within the gridding radius "
                            "of each cell";
        if (slot && !strcmp(coverage_sensor(&j.recipe, slot), "gpr"))
            title = "Radar coverage: traces within the gridding radius of "
                    "each cell";
        else if (slot && !strcmp(coverage_sensor(&j.recipe, slot), "emi"))
            title = "Metal-detector coverage: readings within the gridding "
                    "radius of each cell";
        if (hits.v)
            rc = render_map(&j, "coverage.png", &hits, title, "readings",
                            MS_CMAP_MAGMA, 0);
    }
    if (!rc) {
        char path[MS_PATH_MAX];
        out_path(&j, "maps.h5", path, sizeof path);
        rc = ms_maps_write(path, j.run);
        if (!rc)
            add_output(&j, "maps.h5");
    }
    if (!rc)
        rc = write_index(&j, input);
    if (!rc) {
        double t_end = ms_now_s();
        ms_summary_input s = {
            .input_path = input,
            .n_overrides = opt->n_overrides,
            .device_requested = opt->device_requested,
            .runner = runner,
            .recipe = &j.recipe,
            .run = j.run,
            .warnings = diag,
            .outputs = j.out.written,
            .n_outputs = j.out.n_written,
            .read_seconds = t_read - t_start,
            .render_seconds = t_end - t_render,
            .total_seconds = t_end - t_start,
            .options = opt,
            .n_alarms = j.det.n_alarms,
            .scored = j.det.scored,
            .pd = j.det.score.pd,
            .far = j.det.score.far,
        };
        for (size_t i = 0; i < opt->n_overrides && i < 16; i++)
            s.recipe_overrides[i] = opt->overrides[i];
        char path[MS_PATH_MAX];
        out_path(&j, "summary.json", path, sizeof path);
        rc = ms_summary_write(path, &s);
        if (!rc)
            add_output(&j, "summary.json");
    }
    if (!rc)
        rc = ms_outdir_publish(&j.out);
    ms_outdir_close(&j.out);
    result->n_alarms = j.det.n_alarms;
    result->scored = j.det.scored;
    if (j.det.scored) {
        result->pd = j.det.score.pd;
        result->far = j.det.score.far;
    }
    result->seconds = ms_now_s() - t_start;
    ms_detection_free(&j.det);
    ms_run_free(j.run);
    ms_recording_free(j.rec);
    ms_recipe_free(&j.recipe);
    free(j.parameters);
    return rc;
}
