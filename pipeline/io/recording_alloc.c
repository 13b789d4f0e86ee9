/* Allocation and freeing of recordings, and the lane rectangle. */
#include "minescan/recording.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* n * size bytes, or NULL (with the message set) when that overflows or
 * memory runs out. Zero-length arrays get one element so that NULL always
 * means failure. */
static void *alloc_array(size_t n, size_t size, int zero)
{
    if (size && n > SIZE_MAX / size) {
        ms_fail(MS_ERR_NOMEM, "array of %zu x %zu bytes overflows size_t", n,
                size);
        return NULL;
    }
    size_t bytes = n * size;
    if (bytes == 0)
        bytes = size ? size : 1;
    void *p = zero ? calloc(1, bytes) : malloc(bytes);
    if (!p)
        ms_fail(MS_ERR_NOMEM, "out of memory allocating %zu bytes", bytes);
    return p;
}

ms_recording *ms_recording_new(void)
{
    ms_recording *rec = calloc(1, sizeof *rec);
    if (!rec) {
        ms_fail(MS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    rec->format_version = 1;
    return rec;
}

void ms_gpr_free(ms_gpr *g)
{
    if (!g)
        return;
    free(g->data);
    free(g->valid);
    free(g->x);
    free(g->y);
    free(g->height);
    free(g->time);
    free(g->units);
    free(g);
}

ms_gpr *ms_gpr_new(size_t n_traces, size_t n_samples)
{
    ms_gpr *g = calloc(1, sizeof *g);
    if (!g) {
        ms_fail(MS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    /* Check n_traces * n_samples before the product is used. */
    if (n_samples && n_traces > SIZE_MAX / n_samples) {
        ms_fail(MS_ERR_NOMEM, "%zu x %zu samples overflow size_t", n_traces,
                n_samples);
        free(g);
        return NULL;
    }
    g->n_traces = n_traces;
    g->n_samples = n_samples;
    g->data = alloc_array(n_traces * n_samples, sizeof *g->data, 1);
    g->x = alloc_array(n_traces, sizeof *g->x, 1);
    g->y = alloc_array(n_traces, sizeof *g->y, 1);
    if (!g->data || !g->x || !g->y) {
        ms_gpr_free(g);
        return NULL;
    }
    return g;
}

void ms_emi_free(ms_emi *e)
{
    if (!e)
        return;
    free(e->data);
    free(e->valid);
    free(e->x);
    free(e->y);
    free(e->height);
    free(e->time);
    free(e->units);
    if (e->channel_names)
        for (size_t i = 0; i < e->n_channels; i++)
            free(e->channel_names[i]);
    free(e->channel_names);
    free(e);
}

ms_emi *ms_emi_new(size_t n_readings, size_t n_channels)
{
    ms_emi *e = calloc(1, sizeof *e);
    if (!e) {
        ms_fail(MS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (n_channels && n_readings > SIZE_MAX / n_channels) {
        ms_fail(MS_ERR_NOMEM, "%zu x %zu readings overflow size_t",
                n_readings, n_channels);
        free(e);
        return NULL;
    }
    e->n_readings = n_readings;
    e->n_channels = n_channels;
    e->data = alloc_array(n_readings * n_channels, sizeof *e->data, 1);
    e->x = alloc_array(n_readings, sizeof *e->x, 1);
    e->y = alloc_array(n_readings, sizeof *e->y, 1);
    if (!e->data || !e->x || !e->y) {
        ms_emi_free(e);
        return NULL;
    }
    return e;
}

void ms_truth_free(ms_truth *t)
{
    if (!t)
        return;
    free(t->x);
    free(t->y);
    free(t->is_mine);
    free(t->depth);
    free(t->diameter);
    if (t->label)
        for (size_t i = 0; i < t->n; i++)
            free(t->label[i]);
    free(t->label);
    free(t);
}

ms_truth *ms_truth_new(size_t n)
{
    ms_truth *t = calloc(1, sizeof *t);
    if (!t) {
        ms_fail(MS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->n = n;
    t->x = alloc_array(n, sizeof *t->x, 1);
    t->y = alloc_array(n, sizeof *t->y, 1);
    t->is_mine = alloc_array(n, sizeof *t->is_mine, 1);
    if (!t->x || !t->y || !t->is_mine) {
        ms_truth_free(t);
        return NULL;
    }
    return t;
}

void ms_marks_free(ms_marks *m)
{
    if (!m)
        return;
    free(m->x);
    free(m->y);
    free(m->time);
    free(m);
}

ms_marks *ms_marks_new(size_t n)
{
    ms_marks *m = calloc(1, sizeof *m);
    if (!m) {
        ms_fail(MS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    m->n = n;
    m->x = alloc_array(n, sizeof *m->x, 1);
    m->y = alloc_array(n, sizeof *m->y, 1);
    if (!m->x || !m->y) {
        ms_marks_free(m);
        return NULL;
    }
    return m;
}

void ms_recording_free(ms_recording *rec)
{
    if (!rec)
        return;
    free(rec->title);
    free(rec->site);
    free(rec->lane_id);
    free(rec->operator_id);
    free(rec->instrument);
    free(rec->recorded_at);
    ms_gpr_free(rec->gpr);
    ms_emi_free(rec->emi);
    ms_truth_free(rec->truth);
    ms_marks_free(rec->marks);
    free(rec);
}

static void extend(ms_lane *l, const double *x, const double *y, size_t n)
{
    if (!x || !y)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        if (!l->present) {
            l->x_min = l->x_max = x[i];
            l->y_min = l->y_max = y[i];
            l->present = 1;
            continue;
        }
        l->x_min = fmin(l->x_min, x[i]);
        l->x_max = fmax(l->x_max, x[i]);
        l->y_min = fmin(l->y_min, y[i]);
        l->y_max = fmax(l->y_max, y[i]);
    }
}

ms_lane ms_recording_lane(const ms_recording *rec)
{
    ms_lane l = {0};
    if (!rec)
        return l;
    if (rec->lane.present)
        return rec->lane;
    if (rec->gpr)
        extend(&l, rec->gpr->x, rec->gpr->y, rec->gpr->n_traces);
    if (rec->emi)
        extend(&l, rec->emi->x, rec->emi->y, rec->emi->n_readings);
    return l;
}

double ms_recording_lane_area(const ms_recording *rec)
{
    ms_lane l = ms_recording_lane(rec);
    if (!l.present)
        return 0.0;
    return (l.x_max - l.x_min) * (l.y_max - l.y_min);
}
