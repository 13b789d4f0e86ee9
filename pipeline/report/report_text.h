/* What the report writers and readers share: HTML-escaped text, a JSON
 * file written atomically, and reading back a run's JSON. */
#ifndef MINESCAN_REPORT_TEXT_H
#define MINESCAN_REPORT_TEXT_H

#include <jansson.h>
#include <stdio.h>

/* Text and attribute values with the characters HTML gives a meaning
 * escaped (everything that comes from a file, and the translations). */
void ms_put_html(FILE *f, const char *s);

/* Write `root` as indented JSON (reals to 9 digits, keys in order) to
 * `path` atomically; takes the reference to `root`. 0 or an error. */
int ms_json_write_atomic(const char *path, json_t *root);

/* Close `f`, an open_memstream onto *text / *len, and write its text to
 * `path` atomically; frees the text. 0 or an error naming `path`. */
int ms_memstream_write_atomic(const char *path, FILE *f, char **text,
                              size_t *len);

/* The number under `key` of object `o`, NaN when missing or not one. */
double ms_json_number(json_t *o, const char *key);

/* Whether a summary.json lists `name` among the run's outputs. */
int ms_summary_lists(json_t *summary, const char *name);

#endif
