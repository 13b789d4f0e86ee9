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
#include "report/report_text.h"
#include "core/files.h"
#include "core/i18n.h"

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
    return ms_memstream_write_atomic(path, f, &text, &len);
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
    return ms_json_write_atomic(path, root);
}

/* ---- course.html ---------------------------------------------------------- */

/* What the page marks as needing attention, with a symbol as well as a
 * colour (a greyscale print still reads): a training lane is passed with
 * no mine missed and no false mark, the lane swept (coverage at the
 * sensor footprint) to COVERAGE_MIN and at most OVER_SPEED_MAX of the
 * time over the speed limit. */
#define COVERAGE_MIN 0.95
#define OVER_SPEED_MAX 0.10

enum cue { CUE_NONE, CUE_OK, CUE_BAD };

static enum cue cue_if(double v, int bad)
{
    return isnan(v) ? CUE_NONE : bad ? CUE_BAD : CUE_OK;
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

/* A number cell: `text` (escaped), "–" when empty, led by ✓ or ✗. */
static void td_text(FILE *f, const char *text, enum cue c)
{
    fputs(c == CUE_BAD ? "<td class=\"n bad\">" : "<td class=\"n\">", f);
    if (c == CUE_BAD)
        fputs("<span class=\"cue\">\u2717</span> ", f);
    else if (c == CUE_OK)
        fputs("<span class=\"cue\">\u2713</span> ", f);
    ms_put_html(f, text && *text ? text : "\u2013");
    fputs("</td>", f);
}

static void td_num(FILE *f, double v, const char *fmt, enum cue c)
{
    char buf[64] = "";
    if (!isnan(v))
        snprintf(buf, sizeof buf, fmt, v);
    td_text(f, buf, c);
}

static void td_pct(FILE *f, double v, enum cue c)
{
    td_num(f, isnan(v) ? v : 100 * v, "%.0f %%", c);
}

/* recorded_at as a trainer reads it: "2026-11-02T09:00:00Z" as
 * "2026-11-02 09:00" (the full time stays in course.csv and the title);
 * anything else as it is. */
static void put_date(FILE *f, const char *s)
{
    if (!s || !*s) {
        fputs("\u2013", f);
        return;
    }
    int iso = strlen(s) >= 16 && s[4] == '-' && s[7] == '-' && s[10] == 'T' &&
              s[13] == ':';
    fputs("<time title=\"", f);
    ms_put_html(f, s);
    fputs("\">", f);
    if (iso) {
        /* the date and the minutes, escaped too: only five of the
         * characters were checked */
        char d[20];
        snprintf(d, sizeof d, "%.10s %.5s", s, s + 11);
        ms_put_html(f, d);
    } else {
        ms_put_html(f, s);
    }
    fputs("</time>", f);
}

static void th(FILE *f, ms_course_label_id id)
{
    fputs("<th>", f);
    ms_put_html(f, ms_course_label(id));
    fputs("</th>", f);
}

static void header_row(FILE *f)
{
    static const ms_course_label_id cols[] = {
        MS_CL_DATE, MS_CL_LANE, MS_CL_TITLE, MS_CL_MINES,
        MS_CL_FOUND_BY_TRAINEE, MS_CL_MISSED, MS_CL_FALSE_MARKS,
        MS_CL_FALSE_MARKS_PER_M2, MS_CL_FOUND_BY_PIPELINE, MS_CL_COVERAGE,
        MS_CL_OVER_SPEED, MS_CL_LANE_PAGE};
    fputs("<tr>", f);
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        th(f, cols[i]);
    fputs("</tr>\n", f);
}

static void lane_row(FILE *f, const ms_course_lane *l)
{
    fputs("<tr><td class=\"d\">", f);
    put_date(f, l->recorded_at);
    fputs("</td><td class=\"d\">", f);
    ms_put_html(f, l->lane_id ? l->lane_id : "\u2013");
    fputs("</td><td>", f);
    ms_put_html(f, l->title ? l->title : "");
    fputs("</td>", f);
    if (isnan(l->mines))
        td_text(f, ms_course_label(MS_CL_NOT_SCORED), CUE_NONE);
    else
        td_num(f, l->mines, "%.0f", CUE_NONE);
    td_num(f, l->found_by_trainee, "%.0f", CUE_NONE);
    td_num(f, l->missed, "%.0f", cue_if(l->missed, l->missed > 0));
    td_num(f, l->false_marks, "%.0f",
           cue_if(l->false_marks, l->false_marks > 0));
    td_num(f, l->false_marks_per_m2, "%.2f", CUE_NONE);
    td_num(f, l->found_by_pipeline, "%.0f", CUE_NONE);
    td_pct(f, l->coverage_fraction,
           cue_if(l->coverage_fraction, l->coverage_fraction < COVERAGE_MIN));
    td_pct(f, l->fraction_over_limit,
           cue_if(l->fraction_over_limit,
                  l->fraction_over_limit > OVER_SPEED_MAX));
    fputs("<td><a href=\"", f);
    put_href(f, l->page);
    fputs("\">", f);
    ms_put_html(f, ms_course_label(MS_CL_OPEN));
    fputs("</a></td></tr>\n", f);
}

static double mean_coverage(const totals *t)
{
    return t->n_coverage ? t->coverage_sum / (double)t->n_coverage : NAN;
}

static double mean_over(const totals *t)
{
    return t->n_over ? t->over_sum / (double)t->n_over : NAN;
}

static void totals_row(FILE *f, const totals *t)
{
    int s = t->scored > 0;
    fputs("<tr class=\"total\"><td colspan=\"3\">", f);
    ms_put_html(f, ms_course_label(MS_CL_TOTAL));
    fprintf(f, " (%zu)</td>", t->lanes);
    td_num(f, s ? t->mines : NAN, "%.0f", CUE_NONE);
    td_num(f, s ? t->found : NAN, "%.0f", CUE_NONE);
    td_num(f, s ? t->missed : NAN, "%.0f", cue_if(s ? 0 : NAN, t->missed > 0));
    td_num(f, s ? t->false_marks : NAN, "%.0f",
           cue_if(s ? 0 : NAN, t->false_marks > 0));
    td_num(f, s && t->area > 0 ? t->false_marks / t->area : NAN, "%.2f",
           CUE_NONE);
    td_num(f, s ? t->pipeline : NAN, "%.0f", CUE_NONE);
    double cov = mean_coverage(t), over = mean_over(t);
    td_pct(f, cov, cue_if(cov, cov < COVERAGE_MIN));
    td_pct(f, over, cue_if(over, over > OVER_SPEED_MAX));
    fputs("<td></td></tr>\n", f);
}

/* The answer first: one row per trainee, the course's totals. */
static void summary_table(FILE *f, const ms_course *c)
{
    fputs("<section class=\"answer\"><h2>", f);
    ms_put_html(f, ms_course_label(MS_CL_SUMMARY));
    fputs("</h2>\n<table class=\"summary\">\n<tr>", f);
    static const ms_course_label_id cols[] = {
        MS_CL_TRAINEE, MS_CL_LANES, MS_CL_FOUND_BY_TRAINEE, MS_CL_MISSED,
        MS_CL_FALSE_MARKS, MS_CL_COVERAGE, MS_CL_OVER_SPEED,
        MS_CL_FOUND_BY_PIPELINE};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        th(f, cols[i]);
    fputs("</tr>\n", f);
    size_t n = 0;
    for (size_t i = 0; i < c->n; n++) {
        size_t e = trainee_end(c, i);
        totals t = {0};
        for (size_t k = i; k < e; k++)
            add_total(&t, &c->lanes[k]);
        int s = t.scored > 0;
        char buf[256];
        fprintf(f, "<tr><td><a href=\"#trainee-%zu\">", n + 1);
        ms_put_html(f, c->lanes[i].operator_id);
        fprintf(f, "</a></td><td class=\"n\">%zu</td>", t.lanes);
        if (s)
            snprintf(buf, sizeof buf, _("%.0f of %zu"), t.found,
                     (size_t)t.mines);
        td_text(f, s ? buf : ms_course_label(MS_CL_NOT_SCORED), CUE_NONE);
        td_num(f, s ? t.missed : NAN, "%.0f",
               cue_if(s ? 0 : NAN, t.missed > 0));
        if (s && t.area > 0)
            snprintf(buf, sizeof buf, _("%.0f (%.2f per m²)"), t.false_marks,
                     t.false_marks / t.area);
        else if (s)
            snprintf(buf, sizeof buf, "%.0f", t.false_marks);
        td_text(f, s ? buf : "", s ? cue_if(0, t.false_marks > 0) : CUE_NONE);
        double cov = mean_coverage(&t), over = mean_over(&t);
        td_pct(f, cov, cue_if(cov, cov < COVERAGE_MIN));
        td_pct(f, over, cue_if(over, over > OVER_SPEED_MAX));
        if (s)
            snprintf(buf, sizeof buf, _("%.0f of %zu"), t.pipeline,
                     (size_t)t.mines);
        td_text(f, s ? buf : "", CUE_NONE);
        fputs("</tr>\n", f);
        i = e;
    }
    fputs("</table>\n<p class=\"note\">", f);
    char legend[1024];
    snprintf(legend, sizeof legend, _("\u2713 meets the standard, \u2717 "
             "needs attention: a missed mine, a false mark, coverage below "
             "%.0f %% or more than %.0f %% of the time over the speed limit. "
             "Coverage and time over the speed limit of a trainee are the "
             "mean over their lanes."), 100 * COVERAGE_MIN,
             100 * OVER_SPEED_MAX);
    ms_put_html(f, legend);
    fputs("</p></section>\n", f);
}

static const char STYLE[] =
    "body{font-family:'DejaVu Sans','Khmer OS System',sans-serif;"
    "max-width:1200px;margin:auto;padding:0 1em;color:#111}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em;"
    "border-bottom:1px solid #999}\n"
    "table{border-collapse:collapse;margin-bottom:1em}\n"
    "th,td{border:1px solid #999;padding:3px 6px;vertical-align:top}\n"
    "th{background:#eee;text-align:left}\n"
    "td.n{text-align:right;white-space:nowrap}td.d{white-space:nowrap}\n"
    "table.lanes{width:100%;font-size:.9em}\n"
    "td.bad{background:#fde0dc;font-weight:bold}\n"
    ".cue{font-weight:bold}\n"
    "tr.total{font-weight:bold}\n"
    "table.summary{font-size:1.1em}table.summary td:first-child{"
    "white-space:nowrap}\n"
    ".note{color:#444;font-size:.9em}\n"
    "@media print{@page{size:A4 landscape;margin:10mm}"
    "body{max-width:none;padding:0;font-size:9pt}"
    "a{color:inherit;text-decoration:none}"
    "th{background:none}td.bad{background:none}"
    "h2{break-after:avoid}table,section.answer{break-inside:avoid}}\n";

int ms_course_write_html(const char *path, const ms_course *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    fputs("<!doctype html>\n<html lang=\"", f);
    ms_put_html(f, ms_lang());
    /* links to the lane pages only; no script, no network, no image */
    fputs("\"><head><meta charset=\"utf-8\">\n<meta "
          "http-equiv=\"Content-Security-Policy\" content=\"default-src "
          "'none'; img-src 'self' file:; style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width\">\n<title>",
          f);
    ms_put_html(f, ms_course_label(MS_CL_PAGE_TITLE));
    fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>", STYLE);
    ms_put_html(f, ms_course_label(MS_CL_PAGE_TITLE));
    fputs("</h1>\n", f);
    summary_table(f, c);
    fputs("<p class=\"note\">", f);
    ms_put_html(f, ms_course_label(MS_CL_INTRO));
    fputs("</p>\n", f);
    size_t n = 0;
    for (size_t i = 0; i < c->n; n++) {
        size_t e = trainee_end(c, i);
        totals t = {0};
        fprintf(f, "<section class=\"trainee\" id=\"trainee-%zu\"><h2>", n + 1);
        ms_put_html(f, ms_course_label(MS_CL_TRAINEE));
        fputs(": ", f);
        ms_put_html(f, c->lanes[i].operator_id);
        fputs(" (", f);
        ms_put_html(f, ms_course_label(MS_CL_LANES));
        fprintf(f, ": %zu)</h2>\n<table class=\"lanes\">\n", e - i);
        header_row(f);
        for (size_t k = i; k < e; k++) {
            add_total(&t, &c->lanes[k]);
            lane_row(f, &c->lanes[k]);
        }
        totals_row(f, &t);
        fputs("</table></section>\n", f);
        i = e;
    }
    fputs("<p>", f);
    ms_put_html(f, ms_course_label(MS_CL_FILES));
    fputs(": <a href=\"course.csv\">course.csv</a>, <a href=\"course.json\">"
          "course.json</a></p>\n", f);
    fprintf(f, "<p class=\"note\">minescan %s</p>\n</body></html>\n",
            MINESCAN_VERSION);
    return ms_memstream_write_atomic(path, f, &text, &len);
}
