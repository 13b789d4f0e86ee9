/* From the final map to alarms and scores, in one call: see
 * minescan/detect.h (ms_detect). */
#include "minescan/detect.h"
#include "minescan/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

ms_detect_options ms_detect_options_default(void)
{
    return (ms_detect_options){.alarm_threshold = 3.0,
                               .separation_m = 0.15,
                               .halo_m = 0.25,
                               .sensor_threshold = 1.5};
}

/* Where the candidates come from: the map's 2-D peaks, or for a line
 * recording the peaks along its traces. */
typedef struct track {
    const ms_line *line;
    const double *x, *y;
    size_t n;
} track;

static int detect(const ms_map_view *final, const ms_map_view *gpr,
                  const ms_map_view *emi, const ms_truth *truth,
                  double area_m2, const ms_detect_options *o, const track *tr,
                  ms_detection *out)
{
    memset(out, 0, sizeof *out);
    /* Every peak above the lane mean is a candidate: the ROC sweeps the
     * threshold over all of them. The alarms are the candidates at or
     * above the operating threshold (strongest first, so a prefix). */
    gpr = gpr && gpr->v ? gpr : NULL;
    emi = emi && emi->v ? emi : NULL;
    int rc = tr ? ms_alarms_find_line(final, gpr, emi, tr->x, tr->y, tr->n,
                                      tr->line, 0.0, o->separation_m,
                                      o->sensor_threshold, &out->alarms,
                                      &out->n_candidates)
                : ms_alarms_find(final, gpr, emi, 0.0, o->separation_m,
                                 o->sensor_threshold, &out->alarms,
                                 &out->n_candidates);
    if (rc)
        return rc;
    while (out->n_alarms < out->n_candidates &&
           out->alarms[out->n_alarms].score >= o->alarm_threshold)
        out->n_alarms++;
    if (!truth)
        return 0;
    out->detected = calloc(truth->n ? truth->n : 1, 1);
    if (!out->detected) {
        ms_detection_free(out);
        return ms_fail(MS_ERR_NOMEM, "out of memory scoring");
    }
    rc = ms_score_alarms(truth, area_m2, o->halo_m, out->alarms, out->n_alarms,
                         -INFINITY, &out->score, out->detected);
    if (!rc)
        rc = ms_roc_compute(truth, area_m2, o->halo_m, out->alarms,
                            out->n_candidates, &out->roc);
    if (rc) {
        ms_detection_free(out);
        return rc;
    }
    out->score.threshold = o->alarm_threshold;
    out->scored = 1;
    return 0;
}

int ms_detect(const ms_map_view *final, const ms_map_view *gpr,
              const ms_map_view *emi, const ms_truth *truth, double area_m2,
              const ms_detect_options *o, ms_detection *out)
{
    return detect(final, gpr, emi, truth, area_m2, o, NULL, out);
}

int ms_detect_line(const ms_map_view *final, const ms_map_view *gpr,
                   const ms_map_view *emi, const ms_truth *truth,
                   double area_m2, const ms_detect_options *o,
                   const ms_line *line, const double *x, const double *y,
                   size_t n, ms_detection *out)
{
    track tr = {line, x, y, n};
    return detect(final, gpr, emi, truth, area_m2, o, &tr, out);
}

void ms_detection_free(ms_detection *d)
{
    if (d->scored)
        ms_roc_free(&d->roc);
    free(d->detected);
    free(d->alarms);
    memset(d, 0, sizeof *d);
}
