/* index.html: the page a trainer opens. See index_page.h. */
#include "report/index_page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "minescan/version.h"
#include "core/files.h"

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

int ms_index_write(ms_outdir *o, const char *input, const char *recipe_name,
                   const ms_detection *det)
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
    put_html(f, recipe_name);
    fprintf(f, "</code><br>Alarms: %zu", det->n_alarms);
    if (det->scored && isnan(det->score.pd))
        fprintf(f, "<br>No mines in this lane; false alarms: %zu (%.2f per "
                   "m&sup2;)", det->score.n_false_alarms, det->score.far);
    else if (det->scored)
        fprintf(f, "<br>Mines detected: %zu of %zu (Pd %.2f), false alarms: "
                   "%zu (%.2f per m&sup2;), halo %.2f m", det->score.n_detected,
                det->score.n_mines, det->score.pd, det->score.n_false_alarms,
                det->score.far, det->score.halo_m);
    fputs("</p>\n", f);
    /* what a trainer reads first, first */
    static const char *const images[] = {"heatmap.png", "coverage.png",
                                         "roc.png", "bscan.png"};
    for (size_t k = 0; k < sizeof images / sizeof images[0]; k++)
        for (size_t i = 0; i < o->n_written; i++)
            if (!strcmp(o->written[i], images[k]))
                fprintf(f, "<h2>%s</h2>\n<a href=\"%s\"><img src=\"%s\" "
                           "alt=\"%s\"></a>\n", images[k], images[k],
                        images[k], images[k]);
    /* the depth slices of a migrated volume, top down, side by side */
    int slices = 0;
    for (size_t i = 0; i < o->n_written; i++)
        if (!strncmp(o->written[i], "slice_", 6)) {
            if (!slices++)
                fputs("<h2>Depth slices (migrated radar)</h2>\n<p>", f);
            fprintf(f, "<a href=\"%s\"><img src=\"%s\" alt=\"%s\" "
                       "style=\"max-width:49%%\"></a>\n", o->written[i],
                    o->written[i], o->written[i]);
        }
    if (slices)
        fputs("</p>\n", f);
    for (size_t i = 0; i < o->n_written; i++) {
        const char *name = o->written[i]; /* our own fixed names */
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
    ms_outdir_path(o, "index.html", path, sizeof path);
    int rc = ms_write_text_atomic(path, page, len);
    free(page);
    if (!rc)
        ms_outdir_add(o, "index.html");
    return rc;
}
