/* The main job on one recording: see process.h. */
#include "runner/process.h"
#include "core/clock.h"
#include "core/i18n.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minescan/detect.h"
#include "minescan/operator.h"
#include "minescan/render.h"
#include "minescan/version.h"
#include "core/files.h"
#include "core/outdir.h"
#include "detect/operator_json.h"
#include "io/formats/formats.h"
#include "io/condition.h"
#include "report/evidence.h"
#include "report/figures.h"
#include "report/index_page.h"
#include "report/maps_write.h"
#include "report/summary.h"


/* Every file a run may write. A new run removes those of an earlier run
 * that it does not write itself (a GPR-only lane after a dual one must not
 * leave the old bscan.png, nor a lane without /truth an old score.json). */
static const char *const known_outputs[] = {
    "summary.json", "bscan.png", "heatmap.png", "coverage.png",
    "alarms.csv", "alarms.geojson", "score.json", "roc.csv", "roc.png",
    "targets.csv", "candidates.csv", "maps.h5", "index.html", "sweep.png",
    MS_SLICE_FILES,
    MS_EVIDENCE_FILE_NAMES,
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
    ms_sweep_options sw = ms_sweep_options_default();
    o.footprint_m = sw.footprint_m;
    o.speed_limit_m_s = sw.speed_limit_m_s;
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
    ms_detect_options detect;
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

/* The plain inputs of the figures: the recording, the alarms, the PNG
 * text and every coverage map of the recipe that this run wrote. */
static ms_figures figure_inputs(job *j, const ms_png_text *text, size_t n)
{
    ms_figures f = {.rec = j->rec, .det = &j->det, .text = text, .n_text = n};
    const ms_recipe_output *cov = &j->recipe.outputs[MS_ROLE_COVERAGE];
    for (unsigned k = 0; k < cov->n && f.n_coverage < MS_FIGURES_MAX_COVERAGE;
         k++) {
        ms_map_view h = map_view(j->run, cov->slots[k]);
        if (h.v)
            f.coverage[f.n_coverage++] = h;
    }
    return f;
}

/* The recipe's bscan output, which a stage filtered (ms_run_output never
 * names raw traces, which would be mislabelled). */
static int write_bscan(job *j, const ms_figures *f)
{
    ms_shape s;
    const char *slot = ms_run_output(j->run, MS_ROLE_BSCAN);
    if (!j->rec->gpr || !slot)
        return 0;
    const float *data = ms_run_slot(j->run, slot, &s);
    if (!data || s.kind != MS_ARRAY_TRACES ||
        s.dims[0] != j->rec->gpr->n_traces)
        return 0;
    return ms_figure_bscan(&j->out, f, data, s.dims[0], s.dims[1], slot);
}

/* The recipe's slices output, a depth volume (migrate_kirchhoff's), as
 * slice_<depth>m.png every 5 cm down to 1 m. */
static int write_slices(job *j, const ms_figures *f, const char *input)
{
    ms_shape s;
    const char *slot = ms_run_output(j->run, MS_ROLE_SLICES);
    const float *data = slot ? ms_run_slot(j->run, slot, &s) : NULL;
    if (!data)
        return 0;
    if (s.kind != MS_ARRAY_VOLUME || !(s.plane_m > 0) || !(s.cell_m > 0)) {
        fprintf(stderr, "%s: warning: output slices=%s: not a volume in depth "
                "(migrate_kirchhoff makes one); no slices drawn\n",
                input, slot);
        return 0;
    }
    const ms_env *env = ms_run_env(j->run);
    ms_map_view grid = {.nx = s.dims[2], .ny = s.dims[1],
                        .x_min = env->lane_x_min, .y_min = env->lane_y_min,
                        .cell = s.cell_m};
    return ms_figure_slices(&j->out, f, data, s.dims[0], &grid, s.plane_m,
                            slot);
}

/* The evidence panels: the recipe's filtered radar traces (as in
 * bscan.png) and the metal detector's channel 0 (the one the default
 * recipe maps) as recorded, missing readings NaN. */
static int write_evidence(job *j, const ms_figures *f,
                          const ms_map_view *final, ms_evidence *ev)
{
    ms_evidence_data d = {0};
    ms_shape s;
    const ms_emi *e = j->rec->emi;
    float *emi0 = NULL;
    if (e && e->data && e->n_channels) {
        emi0 = malloc((e->n_readings ? e->n_readings : 1) * sizeof *emi0);
        if (!emi0)
            return ms_fail(MS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < e->n_readings; i++) {
            size_t k = i * e->n_channels;
            emi0[i] = !e->valid || e->valid[k] ? e->data[k] : NAN;
        }
        d.emi = emi0;
        d.emi_n = e->n_readings;
        d.emi_stride = 1;
    }
    const char *slot = ms_run_output(j->run, MS_ROLE_BSCAN);
    const float *gpr = slot ? ms_run_slot(j->run, slot, &s) : NULL;
    if (gpr && s.kind == MS_ARRAY_TRACES && j->rec->gpr &&
        s.dims[0] == j->rec->gpr->n_traces) {
        d.gpr = gpr;
        d.gpr_n = s.dims[0];
        d.gpr_samples = s.dims[1];
    }
    int rc = ms_evidence_write(&j->out, f, final, &d, j->opt->halo_m, ev);
    free(emi0);
    return rc;
}

/* maps.h5: every map a stage of this run wrote, under its slot name. */
static int write_maps(job *j)
{
    size_t n = 0, cap = 0;
    ms_shape s;
    const char *name;
    while (ms_run_stage_slot(j->run, cap, &s))
        cap++;
    ms_named_map *maps = malloc((cap ? cap : 1) * sizeof *maps);
    if (!maps)
        return ms_fail(MS_ERR_NOMEM, "out of memory writing maps.h5");
    for (size_t i = 0; (name = ms_run_stage_slot(j->run, i, &s)); i++) {
        ms_map_view v = s.kind == MS_ARRAY_MAP ? map_view(j->run, name)
                                               : (ms_map_view){0};
        if (v.v)
            maps[n++] = (ms_named_map){name, v};
    }
    const char *final = ms_run_final_map(j->run);
    char path[MS_PATH_MAX];
    out_path(j, "maps.h5", path, sizeof path);
    int rc = ms_maps_write(path, maps, n, final ? final : "");
    free(maps);
    if (!rc)
        add_output(j, "maps.h5");
    return rc;
}

/* score.json: the alarms' score (with /truth), the marks' score (with
 * /truth and /marks) and the sweep quality (whenever the positions span
 * an area; every lane, so a lane without truth still gets "sweep"). */
static int write_score_json(job *j, const ms_line *line, double swath,
                            double area)
{
    const ms_recording *rec = j->rec;
    ms_marks_score marks = {0};
    ms_sweep_quality sweep = {0};
    int have_marks = 0, have_sweep = 0, rc = 0;
    if (j->det.scored && rec->marks) {
        rc = ms_marks_score_compute(rec->truth, rec->marks, area,
                                    j->opt->halo_m, &marks);
        have_marks = !rc;
    }
    if (!rc) {
        ms_sweep_options so = {j->opt->footprint_m, j->opt->speed_limit_m_s};
        int src = ms_sweep_quality_recording(rec, &so, &sweep);
        have_sweep = !src;
        /* positions at one spot: no lane to cover, no "sweep" */
        if (src && src != MS_ERR_INVALID_INPUT)
            rc = src;
    }
    if (!rc && (j->det.scored || have_sweep)) {
        char path[MS_PATH_MAX];
        out_path(j, "score.json", path, sizeof path);
        rc = ms_score_write_lane_json(
            path, j->det.scored ? &j->det.score : NULL,
            j->det.scored ? &j->det.roc : NULL, line, swath,
            have_marks ? &marks : NULL, have_sweep ? &sweep : NULL);
        if (!rc)
            add_output(j, "score.json");
    }
    ms_marks_score_free(&marks);
    ms_sweep_quality_free(&sweep);
    return rc;
}

static int detect_and_score(job *j, const ms_map_view *final)
{
    ms_map_view g = map_view(j->run, ms_run_output(j->run, MS_ROLE_GPR)),
                e = map_view(j->run, ms_run_output(j->run, MS_ROLE_EMI));
    const ms_process_options *opt = j->opt;
    j->detect = (ms_detect_options){opt->alarm_threshold,
                                    opt->alarm_separation_m, opt->halo_m,
                                    opt->sensor_threshold};
    /* A recording along one straight line (a single B-scan) and no /lane:
     * false alarms per m^2 of the strip it sweeps, its length times
     * MS_LINE_SWATH_M; score.json adds them per metre of line. */
    ms_line line;
    double swath = NAN, area = ms_recording_lane_area(j->rec);
    int is_line =
        ms_recording_line(j->rec, MS_LINE_TOL_M, &line) != MS_LINE_NONE;
    if (is_line && !j->rec->lane.present) {
        swath = MS_LINE_SWATH_M;
        area = line.length_m * swath;
    } else if (!(area > 0)) {
        /* All positions at one spot and no /lane: false alarms per m^2 of
         * the square the map covers (the runner widens it to 0.1 m). */
        const ms_env *env = ms_run_env(j->run);
        area = (env->lane_x_max - env->lane_x_min) *
               (env->lane_y_max - env->lane_y_min);
    }
    /* A line's alarms are the peaks along its traces (the radar's, else
     * the metal detector's readings), at their positions: on the line. */
    const ms_gpr *gp = j->rec->gpr;
    const ms_emi *em = j->rec->emi;
    int rc = !is_line ? ms_detect(final, &g, &e, j->rec->truth, area,
                                  &j->detect, &j->det)
             : gp ? ms_detect_line(final, &g, &e, j->rec->truth, area,
                                   &j->detect, &line, gp->x, gp->y,
                                   gp->n_traces, &j->det)
                  : ms_detect_line(final, &g, &e, j->rec->truth, area,
                                   &j->detect, &line, em->x, em->y,
                                   em->n_readings, &j->det);
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
    if (!rc)
        rc = write_score_json(j, &line, swath, area);
    if (rc || !j->det.scored)
        return rc;
    out_path(j, "roc.csv", path, sizeof path);
    rc = ms_roc_write_csv(path, &j->det.roc);
    if (!rc) {
        add_output(j, "roc.csv");
        out_path(j, "roc.png", path, sizeof path);
        rc = ms_render_roc(path, &j->det.roc, &j->det.score,
                           _("Detection: Pd against false alarms per m²"));
    }
    if (!rc)
        add_output(j, "roc.png");
    /* What pooling many lanes under one threshold needs (minescan
     * evaluate): per truth object the score at which it first counts, and
     * what every candidate peak matched. */
    ms_target_scores ts = {0};
    if (!rc)
        rc = ms_target_scores_compute(j->rec->truth, opt->halo_m,
                                      j->det.alarms, j->det.n_candidates, &ts);
    if (!rc) {
        out_path(j, "targets.csv", path, sizeof path);
        rc = ms_targets_write_csv(path, j->rec->truth, &ts,
                                  opt->alarm_threshold);
    }
    if (!rc) {
        add_output(j, "targets.csv");
        out_path(j, "candidates.csv", path, sizeof path);
        rc = ms_candidates_write_csv(path, j->det.alarms, &ts);
    }
    if (!rc)
        add_output(j, "candidates.csv");
    ms_target_scores_free(&ts);
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
        /* HDF5 recordings, and field formats converted in memory */
        ms_import_options io = ms_import_options_default();
        io.dx_m = opt->dx_m;
        rc = ms_recording_load_opt(input, &io, &j.rec, diag, NULL);
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
    ms_png_text text[] = {{"minescan:recipe", j.recipe.name},
                          {"minescan:parameters", j.parameters}};
    ms_figures fig = {0};
    if (!rc) {
        fig = figure_inputs(&j, text, 2);
        rc = write_bscan(&j, &fig);
    }
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
        char title[600];
        if (gs && es)
            snprintf(title, sizeof title, "%s", _("Anomaly map: radar + "
                     "metal-detector scores"));
        else if (gs && !strcmp(gs, name))
            snprintf(title, sizeof title, "%s", _("Radar anomaly map"));
        else if (es && !strcmp(es, name))
            snprintf(title, sizeof title, "%s", _("Metal-detector anomaly map"));
        else
            snprintf(title, sizeof title, _("Anomaly map (%s)"), name);
        rc = ms_figure_heatmap(&j.out, &fig, &final, title,
                               opt->alarm_threshold);
    }
    if (!rc) {
        /* The first coverage map of the recipe that this run wrote; which
         * sensor it counts is the sensor its grid stage read. */
        const char *slot = ms_run_output(j.run, MS_ROLE_COVERAGE);
        rc = ms_figure_coverage(&j.out, &fig,
                                slot ? coverage_sensor(&j.recipe, slot) : "");
    }
    if (!rc)
        rc = ms_figure_sweep(&j.out, &fig, opt->footprint_m,
                             opt->speed_limit_m_s);
    ms_evidence *ev = NULL;
    if (!rc) {
        ev = malloc(sizeof *ev);
        rc = ev ? write_evidence(&j, &fig, &final, ev)
                : ms_fail(MS_ERR_NOMEM, "out of memory");
    }
    if (!rc)
        rc = write_slices(&j, &fig, input);
    if (!rc)
        rc = write_maps(&j);
    if (!rc)
        rc = ms_index_write(&j.out, input, j.recipe.name, &j.det, j.rec, ev);
    free(ev);
    if (!rc) {
        double t_end = ms_now_s();
        ms_summary_input s = {
            .input_path = input,
            .n_overrides = opt->n_overrides,
            .device_requested = opt->device_requested,
            .device_name = ms_runner_device_name(runner),
            .device_note = ms_runner_note(runner),
            .device_choice = ms_runner_choice(runner),
            .recipe = &j.recipe,
            .warnings = diag,
            .outputs = j.out.written,
            .n_outputs = j.out.n_written,
            .read_seconds = t_read - t_start,
            .render_seconds = t_end - t_render,
            .total_seconds = t_end - t_start,
            .detect = &j.detect,
            .n_alarms = j.det.n_alarms,
            .scored = j.det.scored,
            .pd = j.det.score.pd,
            .far = j.det.score.far,
            .rec = j.rec,
            .footprint_m = opt->footprint_m,
            .speed_limit_m_s = opt->speed_limit_m_s,
            .dx_m = opt->dx_m,
        };
        s.reports = ms_run_reports(j.run, &s.n_reports);
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
