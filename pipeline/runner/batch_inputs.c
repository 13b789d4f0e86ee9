/* Batch inputs: see batch_inputs.h. */
#define _DEFAULT_SOURCE /* DT_DIR, strcasecmp */
#include "runner/batch_inputs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/formats/formats.h"
#include "minescan/error.h"

/* A vendor file recognised by ms_format_detect_buffer counts when it is a
 * data file: the .HD and .rad text headers (and .DZG/.DZX sidecars, which
 * no detector names) travel with their data file and are not inputs. */
static int is_field_data_file(const char *path, const uint8_t *head, size_t n)
{
    switch (ms_format_detect_buffer(path, head, n)) {
    case MS_FORMAT_DZT:
    case MS_FORMAT_SEGY:
        return 1;
    case MS_FORMAT_DT1:
    case MS_FORMAT_MALA: {
        const char *dot = strrchr(path, '.');
        return dot && (!strcasecmp(dot, ".dt1") || !strcasecmp(dot, ".rd3") ||
                       !strcasecmp(dot, ".rd7"));
    }
    default:
        return 0;
    }
}

int ms_input_is_recording(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n',
                                         0x1a, '\n'};
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    struct stat st;
    int found = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        /* The HDF5 superblock sits at 0 or a power of two from 512 on (a
         * user block before it). */
        for (off_t at = 0; !found && at + 8 <= st.st_size;
             at = at ? at * 2 : 512) {
            unsigned char b[8];
            found = pread(fd, b, 8, at) == 8 && !memcmp(b, sig, 8);
        }
        if (!found) {
            uint8_t head[3600];
            ssize_t n = pread(fd, head, sizeof head, 0);
            found = n > 0 && is_field_data_file(path, head, (size_t)n);
        }
    }
    close(fd);
    return found;
}

/* A set of strings (open addressing), so that a batch of 100,000
 * inputs checks duplicates in linear time. */
typedef struct str_set {
    char **slot;
    size_t cap, n;
} str_set;

static size_t str_hash(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* 1: added, 0: already there, or MS_ERR_NOMEM. */
static int str_set_add(str_set *set, const char *key)
{
    if (2 * (set->n + 1) > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 256;
        char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return ms_fail(MS_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < set->cap; i++)
            if (set->slot[i]) {
                size_t k = str_hash(set->slot[i]) & (cap - 1);
                while (slot[k])
                    k = (k + 1) & (cap - 1);
                slot[k] = set->slot[i];
            }
        free(set->slot);
        set->slot = slot;
        set->cap = cap;
    }
    size_t k = str_hash(key) & (set->cap - 1);
    for (; set->slot[k]; k = (k + 1) & (set->cap - 1))
        if (!strcmp(set->slot[k], key))
            return 0;
    if (!(set->slot[k] = strdup(key)))
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    set->n++;
    return 1;
}

static int str_set_has(const str_set *set, const char *key)
{
    if (!set->cap)
        return 0;
    size_t k = str_hash(key) & (set->cap - 1);
    for (; set->slot[k]; k = (k + 1) & (set->cap - 1))
        if (!strcmp(set->slot[k], key))
            return 1;
    return 0;
}

static void str_set_free(str_set *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slot[i]);
    free(set->slot);
    memset(set, 0, sizeof *set);
}

/* Seen files, by device and inode. */
typedef str_set seen_set;

/* The seen-set key of the file at `path`: 0, or -1 when it is not there. */
static int file_key(const char *path, char key[64])
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    snprintf(key, 64, "%llx:%llx", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    return 0;
}

static int push(ms_input_list *l, seen_set *seen, const char *path)
{
    char key[64];
    if (file_key(path, key) == 0) {
        int added = str_set_add(seen, key);
        if (added <= 0)
            return added;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (!p)
            return ms_fail(MS_ERR_NOMEM, "out of memory");
        l->paths = p;
        l->cap = cap;
    }
    if (!(l->paths[l->n] = strdup(path)))
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    l->n++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_folder(ms_input_list *l, seen_set *seen, const char *dir,
                      int depth)
{
    if (depth > 64)
        return ms_fail(MS_ERR_USAGE, "%s: folders nested too deep", dir);
    DIR *d = opendir(dir);
    if (!d)
        return ms_fail(MS_ERR_USAGE, "%s: cannot read this folder: %s", dir,
                       strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') /* ., .., hidden, staging folders */
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) {
                rc = ms_fail(MS_ERR_NOMEM, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[n] = strdup(e->d_name)))
            rc = ms_fail(MS_ERR_NOMEM, "out of memory");
        else
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; !rc && i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (!path) {
            rc = ms_fail(MS_ERR_NOMEM, "out of memory");
            break;
        }
        snprintf(path, len, "%s%s%s", dir,
                 dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        struct stat lst, st;
        if (lstat(path, &lst) == 0 && S_ISDIR(lst.st_mode))
            rc = add_folder(l, seen, path, depth + 1);
        else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (ms_input_is_recording(path))
                rc = push(l, seen, path);
            else
                l->n_skipped++;
        }
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int add_one(ms_input_list *l, seen_set *seen, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* A folder's recordings in plain path order (what --shard sorts
         * by), not by folder level. */
        size_t start = l->n;
        int rc = add_folder(l, seen, path, 0);
        if (l->n - start > 1)
            qsort(l->paths + start, l->n - start, sizeof *l->paths, by_name);
        return rc;
    }
    return push(l, seen, path); /* missing or bad: the batch says why */
}

static int add_list(ms_input_list *l, seen_set *seen, const char *list)
{
    FILE *f = fopen(list, "r");
    if (!f)
        return ms_fail(MS_ERR_USAGE, "%s: cannot read this list of inputs: "
                       "%s", list, strerror(errno));
    const char *slash = strrchr(list, '/');
    size_t dirlen = slash ? (size_t)(slash - list) + 1 : 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (!len || line[0] == '#')
            continue;
        if (line[0] == '/' || !dirlen) {
            rc = add_one(l, seen, line);
            continue;
        }
        char *path = malloc(dirlen + (size_t)len + 1);
        if (!path) {
            rc = ms_fail(MS_ERR_NOMEM, "out of memory");
            break;
        }
        memcpy(path, list, dirlen);
        memcpy(path + dirlen, line, (size_t)len + 1);
        rc = add_one(l, seen, path);
        free(path);
    }
    free(line);
    fclose(f);
    return rc;
}

/* Whether `path` is the header or GPS sidecar of a data file that is
 * among the inputs too (`seen`): LINE.HD beside LINE.DT1, x.rad or x.cor
 * beside x.rd3 or x.rd7, x.DZG or x.DZX beside x.DZT, the data file's
 * extension in any case. The data file's reader reads the sidecar; as an input of
 * its own it would process the same recording twice. */
static int is_sidecar_of_input(const char *path, const seen_set *seen)
{
    static const char *const side[][2] = {{"hd", "dt1"}, {"rad", "rd3"},
                                          {"rad", "rd7"}, {"dzg", "dzt"},
                                          {"dzx", "dzt"}, {"cor", "rd3"},
                                          {"cor", "rd7"}};
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return 0;
    size_t stem = (size_t)(dot - path);
    char own[64], key[64];
    if (file_key(path, own) != 0)
        return 0;
    for (size_t s = 0; s < sizeof side / sizeof side[0]; s++) {
        if (strcasecmp(dot + 1, side[s][0]))
            continue;
        char *p = malloc(stem + 5);
        if (!p)
            return 0;
        memcpy(p, path, stem + 1);
        /* as the sidecar's own case, then upper and lower */
        int upper = isupper((unsigned char)dot[1]);
        for (int variant = 0; variant < 3; variant++) {
            int up = variant == 0 ? upper : variant == 1;
            for (size_t k = 0; k < 3; k++) {
                unsigned char c = (unsigned char)side[s][1][k];
                p[stem + 1 + k] = (char)(up ? toupper(c) : c);
            }
            p[stem + 4] = '\0';
            if (file_key(p, key) == 0 && strcmp(key, own) &&
                str_set_has(seen, key)) {
                free(p);
                return 1;
            }
        }
        free(p);
    }
    return 0;
}

int ms_inputs_expand(const char *const *args, size_t n_args,
                     ms_input_list *out)
{
    seen_set seen = {0};
    int rc = 0;
    size_t start = out->n;
    for (size_t i = 0; !rc && i < n_args; i++)
        rc = args[i][0] == '@' && args[i][1] ? add_list(out, &seen, args[i] + 1)
                                             : add_one(out, &seen, args[i]);
    /* a sidecar named beside its data file (a shell glob LINE.*) is part
     * of that recording, not an input (folders leave sidecars out) */
    size_t kept = start;
    for (size_t i = start; !rc && i < out->n; i++) {
        if (is_sidecar_of_input(out->paths[i], &seen)) {
            free(out->paths[i]);
            out->n_sidecars++;
        } else {
            out->paths[kept++] = out->paths[i];
        }
    }
    if (!rc)
        out->n = kept;
    str_set_free(&seen);
    return rc;
}

void ms_inputs_free(ms_input_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof *l);
}

/* Bytes kept as they are in a folder name. */
static int safe_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || strchr("._-+=@~", c) || c >= 0x80;
}

/* `stem` with unsafe bytes replaced, and invalid UTF-8 too (a name must
 * print the same everywhere). */
static void sanitise(char *s)
{
    for (unsigned char *p = (unsigned char *)s; *p;) {
        if (*p < 0x80) {
            if (!safe_byte(*p) || !*p)
                *p = '_';
            p++;
            continue;
        }
        int need = *p >= 0xf0 && *p < 0xf5 ? 3
                   : *p >= 0xe0             ? 2
                   : *p >= 0xc2 && *p < 0xe0 ? 1
                                             : -1;
        int ok = need > 0;
        for (int k = 1; ok && k <= need; k++)
            ok = (p[k] & 0xc0) == 0x80;
        if (!ok) {
            *p++ = '_';
            continue;
        }
        p += need + 1;
    }
}

int ms_inputs_output_names(const char *const *inputs, size_t n,
                           char (*names)[256])
{
    str_set taken = {0}; /* the names given so far, in ASCII lower case */
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *base = strrchr(inputs[i], '/');
        base = base ? base + 1 : inputs[i];
        char stem[200];
        snprintf(stem, sizeof stem, "%s", base);
        /* Cut at a character boundary, not inside a UTF-8 sequence. */
        /* base[len] is the first byte not copied: while it continues a
         * sequence, the sequence's start is cut off too */
        size_t len = strlen(stem);
        if (len == sizeof stem - 1)
            while (len && ((unsigned char)base[len] & 0xc0) == 0x80)
                stem[--len] = '\0';
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem)
            *dot = '\0';
        sanitise(stem);
        /* Never ".", "..", a hidden name or the batch reports' own names. */
        if (!stem[0] || stem[0] == '.' || !strcmp(stem, "batch.csv") ||
            !strcmp(stem, "batch.json"))
            snprintf(stem, sizeof stem, "input_%zu", i + 1);
        snprintf(names[i], 256, "%s", stem);
        for (unsigned suffix = 2;; suffix++) {
            char lower[256];
            size_t k = 0;
            for (; names[i][k]; k++)
                lower[k] = (char)tolower((unsigned char)names[i][k]);
            lower[k] = '\0';
            int added = str_set_add(&taken, lower);
            if (added) {
                rc = added < 0 ? added : 0;
                break;
            }
            if (suffix > 1000000) {
                rc = ms_fail(MS_ERR_USAGE, "too many inputs named %s", stem);
                break;
            }
            snprintf(names[i], 256, "%s_%u", stem, suffix);
        }
    }
    str_set_free(&taken);
    return rc;
}
