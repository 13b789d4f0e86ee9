/* summary.json: see summary.h. */
#include "core/i18n.h"
#include "report/summary.h"
#include "report/report_text.h"

#include "core/files.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "minescan/version.h"
#include "render/render_time.h"

int ms_file_crc32(const char *path, char hex[9], long long *bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ms_fail(MS_ERR_IO, "%s: cannot open for the checksum", path);
    uLong crc = crc32(0L, Z_NULL, 0);
    unsigned char buf[1 << 16];
    size_t got;
    long long total = 0;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        crc = crc32(crc, buf, (uInt)got);
        total += (long long)got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return ms_fail(MS_ERR_IO, "%s: read error computing the checksum",
                       path);
    snprintf(hex, 9, "%08lx", crc & 0xffffffffUL);
    if (bytes)
        *bytes = total;
    return 0;
}

static json_t *stage_json(const ms_stage_report *rep)
{
    const ms_recipe_step *st = rep->step;
    const ms_stage_decl *d = st->decl;
    json_t *params = json_object();
    for (unsigned k = 0; k < d->n_params; k++)
        json_object_set_new(params, d->params[k].name,
                            d->params[k].type == MS_PARAM_INT
                                ? json_integer((json_int_t)ms_param_get(
                                      &d->params[k], &st->params))
                                : json_real(ms_param_get(&d->params[k],
                                                         &st->params)));
    json_t *in = json_array(), *out = json_array();
    for (unsigned k = 0; k < d->n_in; k++)
        json_array_append_new(in, json_string(st->in[k]));
    for (unsigned k = 0; k < d->n_out; k++)
        json_array_append_new(out, json_string(st->out[k]));
    return json_pack("{s:s, s:i, s:o, s:o, s:o, s:s, s:f, s:o}", "stage",
                     d->name, "line", st->line, "params", params, "in", in,
                     "out", out, "device", rep->device, "seconds",
                     rep->seconds, "note",
                     rep->reason[0] ? json_string(rep->reason) : json_null());
}

/* What stages estimated from the data, keyed "STAGE#N.KEY" with N the
 * stage's line among the recipe's lines of that stage (as --set counts). */
static json_t *estimates_json(const ms_stage_report *reps, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        const ms_stage_decl *d = reps[i].step->decl;
        int nth = 1;
        for (size_t j = 0; j < i; j++)
            nth += reps[j].step->decl == d;
        for (unsigned k = 0; k < reps[i].estimates.n; k++) {
            char key[160];
            snprintf(key, sizeof key, "%s#%d.%s", d->name, nth,
                     reps[i].estimates.key[k]);
            json_object_set_new(o, key, json_real(reps[i].estimates.value[k]));
        }
    }
    return o;
}

int ms_summary_write(const char *path, const ms_summary_input *in)
{
    char crc[9] = "";
    long long bytes = -1;
    ms_file_crc32(in->input_path, crc, &bytes);

    json_t *root = json_object();
    json_object_set_new(root, "software", json_string("minescan"));
    json_object_set_new(root, "version", json_string(MINESCAN_VERSION));
    /* the language of the labels (--lang): batch redoes a folder in
     * another language */
    json_object_set_new(root, "lang", json_string(ms_lang()));
    /* dx_m: the trace spacing --dx gave a radar field file (null when
     * not given): it changes the positions, so batch redoes the input */
    json_object_set_new(root, "input",
                        json_pack("{s:s, s:s, s:I, s:o}", "path",
                                  in->input_path, "crc32", crc, "bytes",
                                  (json_int_t)bytes, "dx_m",
                                  in->dx_m > 0 ? json_real(in->dx_m)
                                               : json_null()));
    json_t *overrides = json_array();
    for (size_t i = 0; i < in->n_overrides; i++)
        json_array_append_new(overrides,
                              json_string(in->recipe_overrides[i]));
    json_object_set_new(root, "recipe",
                        json_pack("{s:s, s:s, s:o, s:f}", "name",
                                  in->recipe->name, "text", in->recipe->text,
                                  "overrides", overrides,
                                  "opencl_vs_cpu_tolerance",
                                  ms_recipe_tolerance(in->recipe)));
    json_t *stages = json_array(), *fallbacks = json_array();
    size_t n_reports = in->n_reports;
    const ms_stage_report *reps = in->reports;
    /* The device actually used: "opencl", "cpu", or "opencl+cpu" when
     * some stages fell back. */
    int on_cl = 0, on_cpu = 0;
    for (size_t i = 0; i < n_reports; i++) {
        on_cl |= !strcmp(reps[i].device, "opencl");
        on_cpu |= !strcmp(reps[i].device, "cpu");
    }
    const char *used = on_cl && on_cpu ? "opencl+cpu"
                       : on_cl         ? "opencl"
                                       : "cpu";
    json_object_set_new(
        root, "device",
        json_pack("{s:s, s:s, s:s, s:o, s:o}", "requested",
                  in->device_requested, "used", used, "name",
                  in->device_name, "note",
                  in->device_note[0] ? json_string(in->device_note)
                                     : json_null(),
                  "choice",
                  in->device_choice[0] ? json_string(in->device_choice)
                                       : json_null()));
    for (size_t i = 0; i < n_reports; i++) {
        json_array_append_new(stages, stage_json(&reps[i]));
        if (reps[i].fell_back)
            json_array_append_new(
                fallbacks, json_pack("{s:s, s:s}", "stage",
                                     reps[i].step->decl->name, "reason",
                                     reps[i].reason));
    }
    json_object_set_new(root, "stages", stages);
    json_object_set_new(root, "fallbacks", fallbacks);
    json_object_set_new(root, "estimates", estimates_json(reps, n_reports));
    /* Where the time went outside the stages too: reading (and validating,
     * the same pass), the stages (with uploads and downloads), drawing and
     * writing the PNGs, and the other outputs (alarms, scores, maps.h5,
     * index.html). in->render_seconds is everything after the stages. */
    double png_s = ms_render_seconds_take();
    json_object_set_new(
        root, "timing",
        json_pack("{s:f, s:f, s:f, s:f, s:f}", "read_seconds",
                  in->read_seconds, "stages_seconds",
                  in->total_seconds - in->read_seconds - in->render_seconds,
                  "render_seconds", png_s, "write_seconds",
                  in->render_seconds - png_s, "total_seconds",
                  in->total_seconds));
    json_t *outputs = json_array();
    for (size_t i = 0; i < in->n_outputs; i++)
        json_array_append_new(outputs, json_string(in->outputs[i]));
    json_object_set_new(root, "outputs", outputs);
    /* kept at the top level as well, as the first version wrote it */
    json_object_set_new(root, "n_alarms",
                        json_integer((json_int_t)in->n_alarms));
    json_object_set_new(
        root, "detection",
        json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "alarm_threshold",
                  in->detect->alarm_threshold, "alarm_separation_m",
                  in->detect->separation_m, "halo_m", in->detect->halo_m,
                  "sensor_threshold", in->detect->sensor_threshold,
                  "sweep_footprint_m", in->footprint_m,
                  "sweep_speed_limit_m_per_s", in->speed_limit_m_s));
    json_object_set_new(
        root, "results",
        json_pack("{s:I, s:o, s:o}", "n_alarms", (json_int_t)in->n_alarms,
                  "pd", in->scored && !isnan(in->pd) ? json_real(in->pd)
                                                     : json_null(),
                  "far_per_m2", in->scored ? json_real(in->far) : json_null()));
    /* Who swept which lane when (the course page groups by these). */
    const ms_recording *rec = in->rec;
    json_object_set_new(
        root, "recording",
        json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "title",
                  rec ? rec->title : NULL, "lane_id", rec ? rec->lane_id : NULL,
                  "operator_id", rec ? rec->operator_id : NULL, "recorded_at",
                  rec ? rec->recorded_at : NULL, "site",
                  rec ? rec->site : NULL));
    json_t *warnings = json_array();
    for (size_t i = 0; in->warnings && i < in->warnings->n; i++)
        json_array_append_new(warnings, json_string(in->warnings->lines[i]));
    for (size_t i = 0; i < n_reports; i++)
        if (reps[i].warning[0])
            json_array_append_new(
                warnings, json_pack("s+++", "stage ", reps[i].step->decl->name,
                                    ": ", reps[i].warning));
    json_object_set_new(root, "warnings", warnings);

    return ms_json_write_atomic(path, root);
}
