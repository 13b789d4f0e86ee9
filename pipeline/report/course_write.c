/* course.csv, course.json and course.html: see course.h. Every string
 * that comes from a file (operator id, lane id, title, date, folder) is
 * escaped for where it goes: CSV quoting, JSON strings, HTML text and
 * attributes (a link is also percent-encoded). */
#include "report/course.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/detect.h"
#include "minescan/error.h"
#include "minescan/version.h"
#include "core/files.h"

/* Sums over one trainee's lanes (NaN-free parts only). */
typedef struct totals {
    size_t lanes, scored;
    double mines, found, missed, false_marks, area, pipeline;
    double coverage_sum, over_sum;
    size_t n_coverage, n_over;
} totals;

static void add_total(totals *t, const ms_course_lane *l)
{
    t->lanes++;
    if (!isnan(l->found_by_trainee)) {
        t->scored++;
        t->mines += l->mines;
        t->found += l->found_by_trainee;
        t->missed += l->missed;
        t->false_marks += l->false_marks;
        t->area += isnan(l->marks_area_m2) ? 0 : l->marks_area_m2;
        t->pipeline += isnan(l->found_by_pipeline) ? 0 : l->found_by_pipeline;
    }
    if (!isnan(l->coverage_fraction)) {
        t->coverage_sum += l->coverage_fraction;
        t->n_coverage++;
    }
    if (!isnan(l->fraction_over_limit)) {
        t->over_sum += l->fraction_over_limit;
        t->n_over++;
    }
}

/* One trainee's lanes are [first, end). */
static size_t trainee_end(const ms_course *c, size_t first)
{
    size_t e = first;
    while (e < c->n &&
           !strcmp(c->lanes[e].operator_id, c->lanes[first].operator_id))
        e++;
    return e;
}

/* ---- course.csv ----------------------------------------------------------- */

static void csv_num(FILE *f, double v, int last)
{
    if (!isnan(v))
        fprintf(f, "%.9g", v);
    fputc(last ? '\n' : ',', f);
}

static void csv_text(FILE *f, const char *s)
{
    ms_csv_write_field(f, s ? s : "");
    fputc(',', f);
}

int ms_course_write_csv(const char *path, const ms_course *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    fputs("operator_id,lane_id,title,recorded_at,mines,found_by_trainee,"
          "missed,false_marks,false_marks_per_m2,found_by_pipeline,"
          "coverage_fraction,fraction_over_limit,lane_page\n", f);
    for (size_t i = 0; i < c->n; i++) {
        const ms_course_lane *l = &c->lanes[i];
        csv_text(f, l->operator_id);
        csv_text(f, l->lane_id);
        csv_text(f, l->title);
        csv_text(f, l->recorded_at);
        csv_num(f, l->mines, 0);
        csv_num(f, l->found_by_trainee, 0);
        csv_num(f, l->missed, 0);
        csv_num(f, l->false_marks, 0);
        csv_num(f, l->false_marks_per_m2, 0);
        csv_num(f, l->found_by_pipeline, 0);
        csv_num(f, l->coverage_fraction, 0);
        csv_num(f, l->fraction_over_limit, 0);
        ms_csv_write_field(f, l->page);
        fputc('\n', f);
    }
    if (fclose(f)) {
        free(text);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    int rc = ms_write_text_atomic(path, text, len);
    free(text);
    return rc;
}

/* ---- course.json ---------------------------------------------------------- */

static json_t *jnum(double v)
{
    return isnan(v) || isinf(v) ? json_null() : json_real(v);
}

static json_t *lane_json(const ms_course_lane *l)
{
    return json_pack(
        "{s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:o, s:s, s:s}",
        "operator_id", l->operator_id, "lane_id", l->lane_id, "title",
        l->title, "recorded_at", l->recorded_at, "site", l->site, "mines",
        jnum(l->mines), "found_by_trainee", jnum(l->found_by_trainee),
        "missed", jnum(l->missed), "false_marks", jnum(l->false_marks),
        "false_marks_per_m2", jnum(l->false_marks_per_m2),
        "found_by_pipeline", jnum(l->found_by_pipeline), "coverage_fraction",
        jnum(l->coverage_fraction), "fraction_over_limit",
        jnum(l->fraction_over_limit), "speed_median_m_per_s",
        jnum(l->speed_median), "lane_page", l->page, "lane_dir", l->dir);
}

static json_t *totals_json(const totals *t)
{
    int s = t->scored > 0;
    return json_pack(
        "{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "lanes",
        (json_int_t)t->lanes, "lanes_scored", (json_int_t)t->scored, "mines",
        s ? json_real(t->mines) : json_null(), "found_by_trainee",
        s ? json_real(t->found) : json_null(), "missed",
        s ? json_real(t->missed) : json_null(), "false_marks",
        s ? json_real(t->false_marks) : json_null(), "area_m2",
        s ? json_real(t->area) : json_null(), "false_marks_per_m2",
        s && t->area > 0 ? json_real(t->false_marks / t->area) : json_null(),
        "found_by_pipeline", s ? json_real(t->pipeline) : json_null(),
        "coverage_fraction_mean",
        t->n_coverage ? json_real(t->coverage_sum / (double)t->n_coverage)
                      : json_null(),
        "fraction_over_limit_mean",
        t->n_over ? json_real(t->over_sum / (double)t->n_over) : json_null());
}

int ms_course_write_json(const char *path, const ms_course *c)
{
    json_t *trainees = json_array();
    int bad = !trainees;
    for (size_t i = 0; !bad && i < c->n;) {
        size_t e = trainee_end(c, i);
        totals t = {0};
        json_t *lanes = json_array();
        bad = !lanes;
        for (size_t k = i; !bad && k < e; k++) {
            add_total(&t, &c->lanes[k]);
            bad = json_array_append_new(lanes, lane_json(&c->lanes[k])) != 0;
        }
        json_t *tr = bad ? NULL
                         : json_pack("{s:s, s:O, s:o}", "operator_id",
                                     c->lanes[i].operator_id, "lanes", lanes,
                                     "totals", totals_json(&t));
        json_decref(lanes);
        bad = bad || !tr || json_array_append_new(trainees, tr);
        i = e;
    }
    json_t *root = bad ? NULL
                       : json_pack("{s:s, s:s, s:I, s:O}", "software",
                                   "minescan", "version", MINESCAN_VERSION,
                                   "n_lanes", (json_int_t)c->n, "trainees",
                                   trainees);
    json_decref(trainees);
    if (!root)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                      JSON_REAL_PRECISION(9));
    json_decref(root);
    if (!text)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    size_t len = strlen(text);
    int rc = ms_write_text_atomic(path, text, len);
    free(text);
    return rc;
}

/* ---- course.html ---------------------------------------------------------- */

/* Text and attribute values: the characters HTML gives a meaning. */
static void put_html(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
}

/* A relative link: every byte but unreserved ones and '/' percent-encoded
 * (so no "javascript:" and no '?' or '#' from a folder name). */
static void put_href(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

static void td_num(FILE *f, double v, const char *fmt)
{
    fputs("<td class=\"n\">", f);
    if (!isnan(v))
        fprintf(f, fmt, v);
    else
        fputs("–", f);
    fputs("</td>", f);
}

static void td_pct(FILE *f, double v)
{
    fputs("<td class=\"n\">", f);
    if (!isnan(v))
        fprintf(f, "%.0f %%", 100 * v);
    else
        fputs("–", f);
    fputs("</td>", f);
}

static void header_row(FILE *f, const char *lang)
{
    static const ms_course_label_id cols[] = {
        MS_CL_DATE, MS_CL_LANE, MS_CL_TITLE, MS_CL_MINES,
        MS_CL_FOUND_BY_TRAINEE, MS_CL_MISSED, MS_CL_FALSE_MARKS,
        MS_CL_FALSE_MARKS_PER_M2, MS_CL_FOUND_BY_PIPELINE, MS_CL_COVERAGE,
        MS_CL_OVER_SPEED, MS_CL_LANE_PAGE};
    fputs("<tr>", f);
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        fputs("<th>", f);
        put_html(f, ms_course_label(cols[i], lang));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
}

static void lane_row(FILE *f, const ms_course_lane *l, const char *lang)
{
    fputs("<tr><td class=\"d\">", f);
    put_html(f, l->recorded_at ? l->recorded_at : "–");
    fputs("</td><td class=\"d\">", f);
    put_html(f, l->lane_id ? l->lane_id : "–");
    fputs("</td><td>", f);
    put_html(f, l->title ? l->title : "");
    fputs("</td>", f);
    td_num(f, l->mines, "%.0f");
    td_num(f, l->found_by_trainee, "%.0f");
    td_num(f, l->missed, "%.0f");
    td_num(f, l->false_marks, "%.0f");
    td_num(f, l->false_marks_per_m2, "%.2f");
    td_num(f, l->found_by_pipeline, "%.0f");
    td_pct(f, l->coverage_fraction);
    td_pct(f, l->fraction_over_limit);
    fputs("<td><a href=\"", f);
    put_href(f, l->page);
    fputs("\">", f);
    put_html(f, ms_course_label(MS_CL_OPEN, lang));
    fputs("</a></td></tr>\n", f);
}

static void totals_row(FILE *f, const totals *t, const char *lang)
{
    int s = t->scored > 0;
    fputs("<tr class=\"total\"><td colspan=\"3\">", f);
    put_html(f, ms_course_label(MS_CL_TOTAL, lang));
    fprintf(f, " (%zu)</td>", t->lanes);
    td_num(f, s ? t->mines : NAN, "%.0f");
    td_num(f, s ? t->found : NAN, "%.0f");
    td_num(f, s ? t->missed : NAN, "%.0f");
    td_num(f, s ? t->false_marks : NAN, "%.0f");
    td_num(f, s && t->area > 0 ? t->false_marks / t->area : NAN, "%.2f");
    td_num(f, s ? t->pipeline : NAN, "%.0f");
    td_pct(f, t->n_coverage ? t->coverage_sum / (double)t->n_coverage : NAN);
    td_pct(f, t->n_over ? t->over_sum / (double)t->n_over : NAN);
    fputs("<td></td></tr>\n", f);
}

int ms_course_write_html(const char *path, const ms_course *c,
                         const char *lang)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    fputs("<!doctype html>\n<html lang=\"", f);
    put_html(f, lang);
    fputs("\"><head><meta charset=\"utf-8\"><title>", f);
    put_html(f, ms_course_label(MS_CL_PAGE_TITLE, lang));
    fputs("</title>\n<style>body{font-family:sans-serif;max-width:1200px;"
          "margin:auto}table{border-collapse:collapse;margin-bottom:1.5em}"
          "th,td{border:1px solid #999;padding:3px 6px}td.n{text-align:"
          "right}td.d{white-space:nowrap}tr.total{font-weight:bold}@media print{@page{size:A4 "
          "landscape}a{color:inherit}}</style></head><body>\n<h1>", f);
    put_html(f, ms_course_label(MS_CL_PAGE_TITLE, lang));
    fputs("</h1>\n<p>", f);
    put_html(f, ms_course_label(MS_CL_INTRO, lang));
    fputs("</p>\n", f);
    for (size_t i = 0; i < c->n;) {
        size_t e = trainee_end(c, i);
        totals t = {0};
        fputs("<h2>", f);
        put_html(f, ms_course_label(MS_CL_TRAINEE, lang));
        fputs(": ", f);
        put_html(f, c->lanes[i].operator_id);
        fprintf(f, " (%zu ", e - i);
        put_html(f, ms_course_label(MS_CL_LANES, lang));
        fputs(")</h2>\n<table>\n", f);
        header_row(f, lang);
        for (size_t k = i; k < e; k++) {
            add_total(&t, &c->lanes[k]);
            lane_row(f, &c->lanes[k], lang);
        }
        totals_row(f, &t, lang);
        fputs("</table>\n", f);
        i = e;
    }
    fputs("<p>", f);
    put_html(f, ms_course_label(MS_CL_FILES, lang));
    fputs(": <a href=\"course.csv\">course.csv</a>, <a href=\"course.json\">"
          "course.json</a></p>\n", f);
    fprintf(f, "<p><small>minescan %s</small></p>\n</body></html>\n",
            MINESCAN_VERSION);
    if (fclose(f)) {
        free(text);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    int rc = ms_write_text_atomic(path, text, len);
    free(text);
    return rc;
}
