/* The output-folder transaction: see outdir.h. */
#include "core/outdir.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minescan/error.h"
#include "core/files.h"

#define STAGING_PREFIX ".minescan-tmp-"

/* dir/name into buf; 0, or -1 when it does not fit. */
static int join(char *buf, size_t len, const char *dir, const char *name)
{
    return snprintf(buf, len, "%s/%s", dir, name) < (int)len ? 0 : -1;
}

/* Whether `path` is the same file as `input` (a recording named like an
 * output, in the output folder). */
static int same_file(const char *path, const struct stat *input)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == input->st_dev &&
           st.st_ino == input->st_ino;
}

/* Before anything in the folder changes: every name this run may replace
 * or remove must be a plain file or absent, and none may be the input. */
static int check_targets(const ms_outdir *o, const char *input)
{
    struct stat in_st, st;
    int have_input = input && stat(input, &in_st) == 0;
    char to[MS_PATH_MAX];
    for (size_t k = 0; k < o->n_known; k++) {
        join(to, sizeof to, o->dir, o->known[k]);
        if (have_input && same_file(to, &in_st))
            return ms_fail(MS_ERR_USAGE, "%s: the input is named like an "
                           "output of minescan run; choose another -o folder",
                           input);
        if (lstat(to, &st) == 0 && !S_ISREG(st.st_mode))
            return ms_fail(MS_ERR_IO, "%s: exists and is not a plain file; "
                           "move it away or choose another -o folder", to);
    }
    return 0;
}

/* Remove a staging folder and whatever is in it: it is flat and ours
 * (outputs and the writers' temporary files). */
static void remove_staging(const char *staging)
{
    DIR *d = opendir(staging);
    if (d) {
        struct dirent *e;
        char path[MS_PATH_MAX];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                join(path, sizeof path, staging, e->d_name) == 0)
                unlink(path);
        closedir(d);
    }
    rmdir(staging);
}

/* Whether process `pid` is running: a zombie (killed, not yet reaped by
 * whoever inherited it) is not. */
static int process_alive(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1; /* no /proc: trust kill() */
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* after the command name */
    return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

/* Staging folders left by runs that were killed (their process is gone):
 * remove them, so that an output folder does not collect them. */
void ms_outdir_sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(STAGING_PREFIX);
        if (strncmp(e->d_name, STAGING_PREFIX, n) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + n, &end, 10);
        if (*end || pid <= 0)
            continue;
        if (process_alive((pid_t)pid))
            continue; /* a run in progress */
        char path[MS_PATH_MAX];
        join(path, sizeof path, dir, e->d_name);
        remove_staging(path);
    }
    closedir(d);
}

int ms_outdir_open(ms_outdir *o, const char *dir, const char *input,
                   const char *const *known, size_t n_known, const char *last)
{
    memset(o, 0, sizeof *o);
    if (strlen(dir) >= sizeof o->dir)
        return ms_fail(MS_ERR_USAGE, "%.64s...: the output folder's path is "
                       "too long", dir);
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    snprintf(o->staging, sizeof o->staging, "%s/" STAGING_PREFIX "%ld", dir,
             (long)getpid());
    o->known = known;
    o->n_known = n_known;
    o->last = last;
    int rc = ms_make_dirs(dir);
    if (!rc)
        rc = check_targets(o, input);
    if (!rc) {
        ms_outdir_sweep(dir);
        rc = ms_make_dirs(o->staging);
    }
    o->open = !rc;
    return rc;
}

void ms_outdir_path(const ms_outdir *o, const char *name, char *buf,
                    size_t len)
{
    join(buf, len, o->staging, name);
}

void ms_outdir_add(ms_outdir *o, const char *name)
{
    if (o->n_written < MS_OUTDIR_MAX_FILES)
        o->written[o->n_written++] = name;
}

int ms_outdir_has(const ms_outdir *o, const char *name)
{
    for (size_t i = 0; i < o->n_written; i++)
        if (!strcmp(o->written[i], name))
            return 1;
    return 0;
}

int ms_outdir_publish(ms_outdir *o)
{
    char from[MS_PATH_MAX], to[MS_PATH_MAX];
    /* The old `last` goes first: should a later step fail, the folder
     * must not look complete and current (batch would skip it). */
    join(to, sizeof to, o->dir, o->last);
    if (unlink(to) != 0 && errno != ENOENT)
        return ms_fail(MS_ERR_IO, "%s: cannot remove the earlier run's "
                       "file: %s", to, strerror(errno));
    for (size_t k = 0; k < o->n_known; k++) {
        join(to, sizeof to, o->dir, o->known[k]);
        if (!ms_outdir_has(o, o->known[k]) && unlink(to) != 0 &&
            errno != ENOENT)
            return ms_fail(MS_ERR_IO, "%s: cannot remove the earlier run's "
                           "file: %s", to, strerror(errno));
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < o->n_written; i++) {
            if ((strcmp(o->written[i], o->last) == 0) != pass)
                continue;
            join(from, sizeof from, o->staging, o->written[i]);
            join(to, sizeof to, o->dir, o->written[i]);
            if (rename(from, to) != 0)
                return ms_fail(MS_ERR_IO, "%s: cannot move the new file into "
                               "place: %s", to, strerror(errno));
        }
    return 0;
}

void ms_outdir_close(ms_outdir *o)
{
    if (o->open)
        remove_staging(o->staging);
    o->open = 0;
}
