/* report_text.h's helpers, one copy for every report file. */
#include "report/report_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/files.h"
#include "minescan/error.h"

void ms_put_html(FILE *f, const char *s)
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

int ms_json_write_atomic(const char *path, json_t *root)
{
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                      JSON_REAL_PRECISION(9));
    json_decref(root);
    if (!text)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    int rc = ms_write_text_atomic(path, text, strlen(text));
    free(text);
    return rc;
}

int ms_memstream_write_atomic(const char *path, FILE *f, char **text,
                              size_t *len)
{
    if (fclose(f)) {
        free(*text);
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    }
    int rc = ms_write_text_atomic(path, *text, *len);
    free(*text);
    return rc;
}

double ms_json_number(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int ms_summary_lists(json_t *summary, const char *name)
{
    json_t *outs = json_object_get(summary, "outputs");
    for (size_t i = 0; i < json_array_size(outs); i++) {
        const char *o = json_string_value(json_array_get(outs, i));
        if (o && !strcmp(o, name))
            return 1;
    }
    return 0;
}
