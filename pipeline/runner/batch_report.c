/* batch.csv and batch.json from the rows of a batch (or of its merged
 * shards): see ms_batch_write_reports in batch.h. */
#include "runner/batch.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minescan/error.h"
#include "minescan/version.h"
#include "core/files.h"

/* CSV field: quoted when it holds a comma, quote or newline. */
static void csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
        }
        fputc('"', f);
    } else
        fputs(s, f);
    fputc(last ? '\n' : ',', f);
}

static void csv_number(FILE *f, double v, int last)
{
    if (!isnan(v))
        fprintf(f, "%.6g", v);
    fputc(last ? '\n' : ',', f);
}

int ms_batch_write_reports(const char *outdir, const ms_batch_row *rows,
                           size_t n, json_t *extra)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/batch.csv", outdir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        json_decref(extra);
        return ms_fail(MS_ERR_IO, "%s: cannot create", path);
    }
    fputs("input,output_dir,status,reason,seconds,n_alarms,pd,far_per_m2\n", f);
    json_t *jrows = json_array();
    size_t ok = 0, skipped = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        const ms_batch_row *r = &rows[i];
        const char *status = r->status ? r->status : "failed";
        failed += !strcmp(status, "failed");
        skipped += !strcmp(status, "skipped");
        ok += !strcmp(status, "ok");
        csv_field(f, r->input, 0);
        csv_field(f, r->output_dir, 0);
        csv_field(f, status, 0);
        csv_field(f, r->reason, 0);
        csv_number(f, r->seconds, 0);
        csv_number(f, r->n_alarms < 0 ? NAN : (double)r->n_alarms, 0);
        csv_number(f, r->pd, 0);
        csv_number(f, r->far, 1);
        json_array_append_new(
            jrows,
            json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:o}", "input",
                      r->input, "output_dir", r->output_dir, "status",
                      status, "reason", r->reason, "seconds", r->seconds,
                      "n_alarms",
                      r->n_alarms < 0 ? json_null() : json_integer(r->n_alarms),
                      "pd", isnan(r->pd) ? json_null() : json_real(r->pd),
                      "far_per_m2",
                      isnan(r->far) ? json_null() : json_real(r->far)));
    }
    int bad = fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        json_decref(jrows);
        json_decref(extra);
        return ms_fail(MS_ERR_IO, "%s: write failed", path);
    }
    json_t *root = json_pack("{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}}",
                             "software", "minescan", "version",
                             MINESCAN_VERSION, "rows", jrows, "totals",
                             "inputs", (json_int_t)n, "ok", (json_int_t)ok,
                             "skipped", (json_int_t)skipped, "failed",
                             (json_int_t)failed);
    if (root && extra)
        json_object_update(root, extra);
    json_decref(extra);
    char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
                      : NULL;
    json_decref(root);
    if (!text)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/batch.json", outdir);
    int rc = ms_write_text_atomic(path, text, strlen(text));
    free(text);
    return rc;
}
