/* Batch progress lines: see batch_progress.h. */
#include "runner/batch_progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"

void ms_progress_init(ms_batch_progress *p, size_t total, int quiet,
                      int verbose)
{
    memset(p, 0, sizeof *p);
    p->total = total;
    p->quiet = quiet;
    p->verbose = verbose && !quiet;
    p->tty = !quiet && isatty(STDOUT_FILENO);
    p->t0 = ms_now_s();
}

/* "1h02m", "3m05s", "12s" */
static void duration(char *buf, size_t len, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else if (t >= 60)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, len, "%lds", t);
}

/* Take the terminal line away before other output. */
static void clear_line(ms_batch_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
        p->drawn = 0;
    }
}

static void draw(ms_batch_progress *p)
{
    double now = ms_now_s(), elapsed = now - p->t0;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    char left[32] = "?";
    if (rate > 0)
        duration(left, sizeof left, (double)(p->total - p->done) / rate);
    char took[32];
    duration(took, sizeof took, elapsed);
    printf("\r\033[K[%zu/%zu] %zu failed, %zu skipped, %.2f files/s, %s, %s "
           "left",
           p->done, p->total, p->failed, p->skipped, rate, took,
           p->done < p->total ? left : "0s");
    fflush(stdout);
    p->drawn = 1;
    p->last_draw = now;
}

void ms_progress_row(ms_batch_progress *p, const char *status,
                     const char *input, const char *reason, double wall_s)
{
    p->done++;
    int failed = !strcmp(status, "failed");
    p->failed += failed;
    p->skipped += !strcmp(status, "skipped");
    if (failed) {
        clear_line(p);
        fprintf(stderr, "%s\n", reason);
        fflush(stderr);
    }
    if (p->quiet)
        return;
    if (!p->tty || p->verbose) {
        clear_line(p);
        printf("[%zu/%zu] %-7s %s (%.1f s)\n", p->done, p->total, status,
               input, wall_s);
        fflush(stdout);
    }
    if (p->tty)
        draw(p);
}

void ms_progress_tick(ms_batch_progress *p)
{
    if (p->tty && ms_now_s() - p->last_draw >= 0.25)
        draw(p);
}

void ms_progress_note(ms_batch_progress *p, const char *fmt, ...)
{
    if (!p->verbose)
        return;
    clear_line(p);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

void ms_progress_end(ms_batch_progress *p)
{
    if (p->tty) {
        draw(p);
        putchar('\n');
        fflush(stdout);
        p->drawn = 0;
    }
}
