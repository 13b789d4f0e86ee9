/* score.json's "marks" and "sweep" objects (shared/spec/outputs.md and
 * README's outputs table name the keys). */
#include "detect/operator_json.h"

#include <math.h>

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *kind_name(ms_mark_kind k)
{
    return k == MS_MARK_FOUND ? "found" : k == MS_MARK_MISSED ? "missed"
                                                              : "false_mark";
}

json_t *ms_marks_score_json(const ms_marks_score *m)
{
    json_t *items = json_array();
    for (size_t i = 0; items && i < m->n_items; i++) {
        const ms_mark_item *it = &m->items[i];
        json_t *o = json_pack(
            "{s:s, s:o, s:o, s:o, s:o}", "kind", kind_name(it->kind), "x_m",
            num(it->x), "y_m", num(it->y), "type",
            it->type ? json_string(it->type) : json_null(), "distance_m",
            num(it->distance_m));
        if (o && it->kind != MS_MARK_MISSED &&
            (json_object_set_new(o, "mark_x_m", num(it->mark_x)) ||
             json_object_set_new(o, "mark_y_m", num(it->mark_y)))) {
            json_decref(o);
            o = NULL;
        }
        if (!o || json_array_append_new(items, o)) {
            json_decref(items);
            return NULL;
        }
    }
    if (!items)
        return NULL;
    return json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "halo_m",
                     num(m->halo_m), "n_mines", (json_int_t)m->n_mines,
                     "n_marks", (json_int_t)m->n_marks, "found",
                     (json_int_t)m->found, "missed", (json_int_t)m->missed,
                     "false_marks", (json_int_t)m->false_marks,
                     "false_marks_per_m2", num(m->false_marks_per_m2),
                     "area_m2", num(m->area_m2), "items", items);
}

json_t *ms_sweep_quality_json(const ms_sweep_quality *q)
{
    json_t *gaps = json_array(), *over = json_array();
    /* the largest first (gap_area_m2 and n_gaps count them all) */
    for (size_t i = 0; gaps && i < q->n_gaps && i < MS_SWEEP_MAX_GAPS_LISTED;
         i++) {
        const ms_sweep_gap *g = &q->gaps[i];
        if (json_array_append_new(
                gaps, json_pack("{s:o, s:o, s:o, s:o, s:o}", "x0_m", num(g->x0),
                                "y0_m", num(g->y0), "x1_m", num(g->x1), "y1_m",
                                num(g->y1), "area_m2", num(g->area_m2)))) {
            json_decref(gaps);
            gaps = NULL;
        }
    }
    for (size_t i = 0; over && i < q->n_over_limit; i++) {
        const ms_speed_point *p = &q->over_limit[i];
        if (json_array_append_new(
                over, json_pack("{s:o, s:o, s:o}", "x_m", num(p->x), "y_m",
                                num(p->y), "speed_m_per_s", num(p->speed)))) {
            json_decref(over);
            over = NULL;
        }
    }
    if (!gaps || !over) {
        json_decref(gaps);
        json_decref(over);
        return NULL;
    }
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:s?, s:o}",
        "footprint_m", num(q->footprint_m), "cell_m", num(q->cell_m),
        "coverage_fraction", num(q->coverage_fraction), "gap_area_m2",
        num(q->gap_area_m2), "n_gaps", json_integer((json_int_t)q->n_gaps),
        "gaps", gaps, "overlap_mean",
        num(q->overlap_mean), "speed_limit_m_per_s", num(q->speed_limit_m_s),
        "speed_median_m_per_s", num(q->speed_median), "speed_p95_m_per_s",
        num(q->speed_p95), "fraction_over_limit", num(q->fraction_over_limit),
        "over_limit", over, "height_median_m", num(q->height_median),
        "lane",
        json_pack("{s:o, s:o, s:o, s:o}", "x_min_m", num(q->lane.x_min),
                  "x_max_m", num(q->lane.x_max), "y_min_m",
                  num(q->lane.y_min), "y_max_m", num(q->lane.y_max)),
        "speed_sensor", q->speed_sensor && q->speed_sensor[0]
                            ? q->speed_sensor : NULL,
        "gaps_min_cells", json_integer(MS_SWEEP_MIN_GAP_CELLS));
}
