/* Error codes, messages and problem lists: see include/minescan/error.h. */
#include "minescan/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_message[2048];

const char *ms_strerror(int code)
{
    switch (code) {
#define MS_X_TEXT(name, value, exit_code, text)                                \
    case value:                                                                \
        return text;
        MS_ERROR_LIST(MS_X_TEXT)
#undef MS_X_TEXT
    }
    return "unknown error";
}

const char *ms_error_name(int code)
{
    switch (code) {
#define MS_X_NAME(name, value, exit_code, text)                                \
    case value:                                                                \
        return #name;
        MS_ERROR_LIST(MS_X_NAME)
#undef MS_X_NAME
    }
    return "MS_ERR_UNKNOWN";
}

int ms_exit_code(int code)
{
    switch (code) {
#define MS_X_EXIT(name, value, exit_code, text)                                \
    case value:                                                                \
        return exit_code;
        MS_ERROR_LIST(MS_X_EXIT)
#undef MS_X_EXIT
    }
    return 3;
}

int ms_fail(int code, const char *fmt, ...)
{
    /* Format into a local buffer first: callers may pass
     * ms_error_message() itself as an argument, to prefix it. */
    char buf[sizeof last_message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    memcpy(last_message, buf, sizeof buf);
    return code;
}

const char *ms_error_message(void) { return last_message; }

void ms_error_clear(void) { last_message[0] = '\0'; }

void ms_diag_init(ms_diag *d) { memset(d, 0, sizeof *d); }

void ms_diag_add(ms_diag *d, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        char **lines = realloc(d->lines, cap * sizeof *lines);
        if (!lines)
            return; /* out of memory: the line is lost, the list stays valid */
        d->lines = lines;
        d->cap = cap;
    }
    char *copy = strdup(buf);
    if (copy)
        d->lines[d->n++] = copy;
}

void ms_diag_free(ms_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    ms_diag_init(d);
}
