/* index.html: the lane page a trainer opens. See index_page.h. */
#include "report/index_page.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "report/report_text.h"
#include "core/i18n.h"
#include "minescan/error.h"
#include "minescan/version.h"

static int has_text(const char *s) { return s && *s; }

static int written(const ms_outdir *o, const char *name)
{
    return ms_outdir_has(o, name);
}

/* One row of the answer: a translated label and an escaped value. */
static void row(FILE *f, const char *label, const char *value)
{
    fputs("<tr><th>", f);
    ms_put_html(f, label);
    fputs("</th><td>", f);
    ms_put_html(f, value);
    fputs("</td></tr>\n", f);
}

static size_t count_kind(const ms_evidence *ev, ms_evidence_kind k)
{
    size_t n = 0;
    for (size_t i = 0; ev && i < ev->n; i++)
        n += ev->items[i].kind == k;
    return n;
}

static const char STYLE[] =
    "body{font-family:'DejaVu Sans','Khmer OS System',sans-serif;"
    "max-width:1200px;margin:auto;padding:0 1em;color:#111}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em;"
    "border-bottom:1px solid #999}\n"
    "table.answer{border-collapse:collapse;font-size:1.1em}\n"
    "table.answer th{text-align:left;font-weight:normal;color:#444;"
    "padding:.25em 1.5em .25em 0;vertical-align:top}\n"
    "table.answer td{font-weight:bold;padding:.25em 0}\n"
    "img{max-width:100%;border:1px solid #ccc}\n"
    ".panels{display:flex;flex-wrap:wrap;gap:1em}\n"
    ".panels figure{margin:0;flex:1 1 560px}\n"
    "figure{margin:0 0 1em 0}figcaption{font-size:.9em;color:#333}\n"
    ".note{color:#555;font-size:.9em}\n"
    "@media print{@page{size:A4 landscape;margin:10mm}"
    "body{max-width:none;padding:0;font-size:10pt}"
    "a{color:inherit;text-decoration:none}"
    "h2{break-after:avoid}figure,table.answer{break-inside:avoid}"
    ".panels figure{flex:1 1 45%}"
    "section.technical{break-before:page}}\n";

static void answer_table(FILE *f, const ms_detection *det,
                         const ms_recording *rec, json_t *marks,
                         json_t *sweep, const ms_evidence *ev)
{
    char buf[1200];
    fputs("<table class=\"answer\">\n", f);
    row(f, _("Trainee"), has_text(rec->operator_id) ? rec->operator_id
                                                   : _("unknown"));
    if (has_text(rec->lane_id) && has_text(rec->site))
        snprintf(buf, sizeof buf, "%s (%s)", rec->lane_id, rec->site);
    else
        snprintf(buf, sizeof buf, "%s",
                 has_text(rec->lane_id) ? rec->lane_id
                 : has_text(rec->site)  ? rec->site
                                        : _("not recorded"));
    row(f, _("Lane"), buf);
    row(f, _("Date"), has_text(rec->recorded_at) ? rec->recorded_at
                                                 : _("not recorded"));
    if (!det->scored) {
        row(f, _("Mines in the lane"),
            _("not known: the recording has no ground truth"));
    } else {
        size_t n_mines = det->score.n_mines;
        snprintf(buf, sizeof buf, "%zu", n_mines);
        row(f, _("Mines in the lane"), buf);
        double found = ms_json_number(marks, "found");
        double missed = ms_json_number(marks, "missed");
        double fm = ms_json_number(marks, "false_marks");
        double fm_m2 = ms_json_number(marks, "false_marks_per_m2");
        if (isnan(found) && ev && ev->from_marks) {
            /* the run did not score the marks: the panels' counts */
            found = (double)count_kind(ev, MS_EVIDENCE_MINE);
            missed = (double)count_kind(ev, MS_EVIDENCE_MISSED);
            fm = (double)count_kind(ev, MS_EVIDENCE_FALSE_MARK);
        }
        if (isnan(found)) {
            row(f, _("Mines found by the trainee"),
                _("no marks in the recording"));
        } else {
            snprintf(buf, sizeof buf, _("%.0f of %zu"), found, n_mines);
            row(f, _("Mines found by the trainee"), buf);
            snprintf(buf, sizeof buf, "%.0f", missed);
            row(f, _("Mines missed by the trainee"), buf);
            if (isnan(fm_m2))
                snprintf(buf, sizeof buf, "%.0f", fm);
            else
                snprintf(buf, sizeof buf, _("%.0f (%.2f per m²)"), fm, fm_m2);
            row(f, _("False marks"), buf);
        }
        if (isnan(det->score.pd))
            snprintf(buf, sizeof buf, _("no mines; %zu false alarms (%.2f "
                     "per m²)"), det->score.n_false_alarms, det->score.far);
        else
            snprintf(buf, sizeof buf, _("%zu of %zu; %zu false alarms "
                     "(%.2f per m²)"), det->score.n_detected, n_mines,
                     det->score.n_false_alarms, det->score.far);
        row(f, _("Mines found by the detector"), buf);
    }
    double cov = ms_json_number(sweep, "coverage_fraction");
    if (isnan(cov)) {
        row(f, _("Coverage"), _("not measured in this run"));
    } else {
        snprintf(buf, sizeof buf, _("%.0f %% of the lane; gaps %.2f m² "
                 "(sensor footprint %.2f m)"), 100 * cov,
                 ms_json_number(sweep, "gap_area_m2"),
                 ms_json_number(sweep, "footprint_m"));
        row(f, _("Coverage"), buf);
    }
    double v50 = ms_json_number(sweep, "speed_median_m_per_s");
    if (isnan(v50)) {
        row(f, _("Sweep speed"), _("not measured in this run"));
    } else {
        snprintf(buf, sizeof buf, _("median %.2f m/s, 95th percentile %.2f "
                 "m/s; %.0f %% of the track over %.2f m/s"), v50,
                 ms_json_number(sweep, "speed_p95_m_per_s"),
                 100 * ms_json_number(sweep, "fraction_over_limit"),
                 ms_json_number(sweep, "speed_limit_m_per_s"));
        row(f, _("Sweep speed"), buf);
    }
    double h50 = ms_json_number(sweep, "height_median_m");
    if (!isnan(h50)) {
        snprintf(buf, sizeof buf, _("median %.2f m"), h50);
        row(f, _("Sensor height"), buf);
    }
    fputs("</table>\n", f);
}

static void image(FILE *f, const char *file, const char *alt,
                  const char *caption)
{
    fprintf(f, "<figure><a href=\"%s\"><img src=\"%s\" alt=\"", file, file);
    ms_put_html(f, alt);
    fputs("\"></a>", f);
    if (caption) {
        fputs("<figcaption>", f);
        ms_put_html(f, caption);
        fputs("</figcaption>", f);
    }
    fputs("</figure>\n", f);
}

static void evidence_section(FILE *f, const ms_evidence *ev)
{
    fputs("<section class=\"evidence\"><h2>", f);
    ms_put_html(f, _("Evidence at each target"));
    fputs("</h2>\n<p class=\"note\">", f);
    ms_put_html(f, _("For every mine, missed mine and false mark: the map "
                  "around it, the radar traces of the sweep that passed "
                  "closest and the metal detector along that sweep (the "
                  "dashed line is where the sweep came closest)."));
    if (ev && !ev->from_marks && ev->n) {
        fputs(" ", f);
        ms_put_html(f, _("The recording has no marks: found and missed are the "
                      "detector's."));
    }
    fputs("</p>\n", f);
    if (!ev || !ev->n) {
        fputs("<p>", f);
        ms_put_html(f, _("No targets: the recording has no mines and no "
                      "marks."));
        fputs("</p>\n", f);
    }
    fputs("<div class=\"panels\">\n", f);
    for (size_t i = 0; ev && i < ev->n; i++) {
        const ms_evidence_item *it = &ev->items[i];
        char title[600], cap[900];
        ms_evidence_title(it, title, sizeof title);
        size_t len = (size_t)snprintf(cap, sizeof cap, "%s", title);
        if (!isnan(it->gpr_nearest_m) && len < sizeof cap)
            len += (size_t)snprintf(cap + len, sizeof cap - len,
                                    _("; nearest radar trace %.2f m away"),
                                    it->gpr_nearest_m);
        if (!isnan(it->emi_nearest_m) && len < sizeof cap)
            snprintf(cap + len, sizeof cap - len,
                     _("; nearest metal-detector reading %.2f m away"),
                     it->emi_nearest_m);
        image(f, it->file, title, cap);
    }
    fputs("</div>\n", f);
    if (ev && ev->n_left_out) {
        char buf[300];
        snprintf(buf, sizeof buf, _("%zu more targets not shown."),
                 ev->n_left_out);
        fputs("<p>", f);
        ms_put_html(f, buf);
        fputs("</p>\n", f);
    }
    fputs("</section>\n", f);
}

int ms_index_write(ms_outdir *o, const char *input, const char *recipe_name,
                   const ms_detection *det, const ms_recording *rec,
                   const ms_evidence *ev)
{
    /* the marks and sweep figures, when this run wrote them */
    char path[MS_PATH_MAX];
    ms_outdir_path(o, "score.json", path, sizeof path);
    json_t *score = written(o, "score.json") ? json_load_file(path, 0, NULL)
                                              : NULL;
    json_t *marks = json_object_get(score, "marks");
    json_t *sweep = json_object_get(score, "sweep");

    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (!f) {
        json_decref(score);
        return ms_fail(MS_ERR_NOMEM, "out of memory writing index.html");
    }
    const char *heading = has_text(rec->title)     ? rec->title
                          : has_text(rec->lane_id) ? rec->lane_id
                                                   : input;
    fprintf(f, "<!doctype html>\n<html lang=\"%s\"><head><meta "
               "charset=\"utf-8\">\n", ms_lang());
    /* only images beside the page; no script, no network */
    fputs("<meta http-equiv=\"Content-Security-Policy\" content=\""
          "default-src 'none'; img-src 'self' file:; style-src "
          "'unsafe-inline'\">\n<meta name=\"viewport\" "
          "content=\"width=device-width\">\n<title>", f);
    ms_put_html(f, heading);
    fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>", STYLE);
    ms_put_html(f, heading);
    fputs("</h1>\n", f);
    answer_table(f, det, rec, marks, sweep, ev);

    if (written(o, "heatmap.png")) {
        fputs("<section class=\"map\"><h2>", f);
        ms_put_html(f, _("Anomaly map with the truth, the marks and the "
                      "alarms"));
        fputs("</h2>\n", f);
        char legend[1200];
        snprintf(legend, sizeof legend, "%s: \u25cb %s, \u2298 %s, \u00d7 %s, "
                 "\u25c7 %s, \u25a1 %s", _("Markers"), _("mine"),
                 _("mine missed by the detector"), _("operator mark"), _("alarm"),
                 _("clutter"));
        image(f, "heatmap.png", _("Anomaly map"), legend);
        fputs("</section>\n", f);
    }
    if (written(o, "sweep.png")) {
        fputs("<section class=\"sweep\"><h2>", f);
        ms_put_html(f, _("Sweep: gaps and speed"));
        fputs("</h2>\n", f);
        image(f, "sweep.png", _("Sweep: gaps and speed"),
              _("The recorded track, painted as wide as the sensor's "
                "footprint; hatched: not covered; dashed boxes: the gaps; "
                "triangles: sweep faster than the limit."));
        fputs("</section>\n", f);
    }
    evidence_section(f, ev);

    fputs("<section class=\"technical\"><h2>", f);
    ms_put_html(f, _("Technical images and files"));
    fputs("</h2>\n<p class=\"note\">minescan " MINESCAN_VERSION ", ", f);
    ms_put_html(f, _("input"));
    fputs(": <code>", f);
    ms_put_html(f, input);
    fputs("</code>, ", f);
    ms_put_html(f, _("recipe"));
    fputs(": <code>", f);
    ms_put_html(f, recipe_name);
    fputs("</code></p>\n", f);
    static const char *const tech[] = {"coverage.png", "roc.png",
                                       "bscan.png"};
    for (size_t k = 0; k < sizeof tech / sizeof tech[0]; k++)
        if (written(o, tech[k]))
            image(f, tech[k], tech[k], tech[k]);
    /* the depth slices of a migrated volume, top down, side by side */
    int slices = 0;
    for (size_t i = 0; i < o->n_written; i++)
        if (!strncmp(o->written[i], "slice_", 6)) {
            if (!slices++) {
                fputs("<h2>", f);
                ms_put_html(f, _("Depth slices (migrated radar)"));
                fputs("</h2>\n<p>", f);
            }
            fprintf(f, "<a href=\"%s\"><img src=\"%s\" alt=\"%s\" "
                       "style=\"max-width:49%%\"></a>\n", o->written[i],
                    o->written[i], o->written[i]);
        }
    if (slices)
        fputs("</p>\n", f);
    fputs("<ul class=\"files\">\n", f);
    for (size_t i = 0; i < o->n_written; i++) {
        const char *name = o->written[i]; /* our own fixed names */
        size_t n = strlen(name);
        if (n < 4 || strcmp(name + n - 4, ".png"))
            fprintf(f, "<li><a href=\"%s\">%s</a></li>\n", name, name);
    }
    fputs("<li><a href=\"summary.json\">summary.json</a></li>\n</ul>\n"
          "</section>\n</body></html>\n", f);
    json_decref(score);
    if (fclose(f) != 0 || !page) {
        free(page);
        return ms_fail(MS_ERR_NOMEM, "out of memory writing index.html");
    }
    ms_outdir_path(o, "index.html", path, sizeof path);
    int rc = ms_write_text_atomic(path, page, len);
    free(page);
    if (!rc)
        ms_outdir_add(o, "index.html");
    return rc;
}
