#define _DEFAULT_SOURCE /* realpath */
/* The course read back from lane folders: see course.h. Nothing is
 * recomputed: the numbers are those of the lane's score.json. */
#include "report/course.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "report/report_text.h"

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *str_at(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* `to` relative to the folder `from` (both real, absolute paths). */
static char *relative_path(const char *from, const char *to)
{
    size_t i = 0, common = 0;
    while (from[i] && from[i] == to[i]) {
        if (from[i] == '/')
            common = i;
        i++;
    }
    if (!from[i] && (to[i] == '/' || !to[i]))
        common = i; /* `to` is `from` or inside it */
    size_t ups = 0;
    for (const char *p = from + common; *p; p++)
        ups += *p == '/';
    const char *rest = to + common;
    while (*rest == '/')
        rest++;
    size_t len = ups * 3 + strlen(rest) + 2;
    char *out = malloc(len);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t k = 0; k < ups; k++)
        strcat(out, "../");
    strcat(out, rest);
    if (!out[0])
        strcpy(out, ".");
    return out;
}

static void lane_free(ms_course_lane *l)
{
    free(l->operator_id);
    free(l->lane_id);
    free(l->title);
    free(l->recorded_at);
    free(l->site);
    free(l->dir);
    free(l->page);
}

static void read_score(json_t *sc, ms_course_lane *l)
{
    if (json_object_get(sc, "n_detected")) { /* the alarms were scored */
        l->mines = ms_json_number(sc, "n_mines");
        l->found_by_pipeline = ms_json_number(sc, "n_detected");
    }
    json_t *m = json_object_get(sc, "marks");
    if (json_is_object(m)) {
        l->mines = ms_json_number(m, "n_mines");
        l->found_by_trainee = ms_json_number(m, "found");
        l->missed = ms_json_number(m, "missed");
        l->false_marks = ms_json_number(m, "false_marks");
        l->false_marks_per_m2 = ms_json_number(m, "false_marks_per_m2");
        l->marks_area_m2 = ms_json_number(m, "area_m2");
    }
    json_t *w = json_object_get(sc, "sweep");
    if (json_is_object(w)) {
        l->coverage_fraction = ms_json_number(w, "coverage_fraction");
        l->fraction_over_limit = ms_json_number(w, "fraction_over_limit");
        l->speed_median = ms_json_number(w, "speed_median_m_per_s");
    }
}

int ms_course_add_folder(ms_course *c, const char *lane_dir,
                         const char *course_dir)
{
    char real_lane[PATH_MAX], real_course[PATH_MAX], path[PATH_MAX + 32];
    if (!realpath(lane_dir, real_lane))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: no such folder", lane_dir);
    if (!realpath(course_dir, real_course))
        return ms_fail(MS_ERR_IO, "%s: no such folder", course_dir);
    for (size_t i = 0; i < c->n; i++) {
        char other[PATH_MAX];
        if (realpath(c->lanes[i].dir, other) && !strcmp(other, real_lane))
            return 0;
    }
    snprintf(path, sizeof path, "%s/summary.json", lane_dir);
    json_error_t err;
    json_t *sum = json_load_file(path, 0, &err);
    if (!sum || !json_is_object(sum)) {
        json_decref(sum);
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: line %d: %s", path,
                       err.line, sum ? "not a JSON object" : err.text);
    }
    json_t *sc = NULL;
    if (ms_summary_lists(sum, "score.json")) {
        snprintf(path, sizeof path, "%s/score.json", lane_dir);
        sc = json_load_file(path, 0, &err);
        if (!sc) {
            json_decref(sum);
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: line %d: %s", path,
                           err.line, err.text);
        }
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        ms_course_lane *v = realloc(c->lanes, cap * sizeof *v);
        if (!v) {
            json_decref(sum);
            json_decref(sc);
            return ms_fail(MS_ERR_NOMEM, "course: out of memory");
        }
        c->lanes = v;
        c->cap = cap;
    }
    ms_course_lane l = {0};
    l.mines = l.found_by_trainee = l.missed = l.false_marks = NAN;
    l.false_marks_per_m2 = l.marks_area_m2 = l.found_by_pipeline = NAN;
    l.coverage_fraction = l.fraction_over_limit = l.speed_median = NAN;
    json_t *rec = json_object_get(sum, "recording");
    const char *op = str_at(rec, "operator_id");
    l.operator_id = strdup(op && *op ? op : "unknown");
    l.lane_id = dup_or_null(str_at(rec, "lane_id"));
    l.title = dup_or_null(str_at(rec, "title"));
    l.recorded_at = dup_or_null(str_at(rec, "recorded_at"));
    l.site = dup_or_null(str_at(rec, "site"));
    l.dir = strdup(lane_dir);
    char *rel = relative_path(real_course, real_lane);
    if (rel) {
        l.page = malloc(strlen(rel) + 12);
        if (l.page)
            sprintf(l.page, "%s/index.html", rel);
        free(rel);
    }
    if (sc)
        read_score(sc, &l);
    json_decref(sum);
    json_decref(sc);
    if (!l.operator_id || !l.dir || !l.page) {
        lane_free(&l);
        return ms_fail(MS_ERR_NOMEM, "course: out of memory");
    }
    c->lanes[c->n++] = l;
    return 0;
}

/* NULL after any string. */
static int cmp_opt(const char *a, const char *b)
{
    if (!a || !b)
        return (a == NULL) - (b == NULL);
    return strcmp(a, b);
}

static int lane_cmp(const void *pa, const void *pb)
{
    const ms_course_lane *a = pa, *b = pb;
    int ua = !strcmp(a->operator_id, "unknown"),
        ub = !strcmp(b->operator_id, "unknown");
    int r = ua != ub ? ua - ub : strcmp(a->operator_id, b->operator_id);
    if (!r)
        r = cmp_opt(a->recorded_at, b->recorded_at);
    if (!r)
        r = cmp_opt(a->lane_id, b->lane_id);
    if (!r)
        r = cmp_opt(a->title, b->title);
    return r ? r : strcmp(a->dir, b->dir);
}

void ms_course_sort(ms_course *c)
{
    if (c->n)
        qsort(c->lanes, c->n, sizeof *c->lanes, lane_cmp);
}

void ms_course_free(ms_course *c)
{
    for (size_t i = 0; i < c->n; i++)
        lane_free(&c->lanes[i]);
    free(c->lanes);
    memset(c, 0, sizeof *c);
}
