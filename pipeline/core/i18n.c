/* Translated labels from compiled gettext catalogues: see i18n.h. */
#include "core/i18n.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "minescan/error.h"

#define MO_MAGIC 0x950412deu

static char lang_code[8] = "en";
static unsigned char *mo;  /* the whole .mo file */
static size_t mo_len;
static uint32_t mo_n, mo_orig, mo_trans;
static int mo_swapped;

static uint32_t mo_u32(size_t off)
{
    uint32_t v;
    memcpy(&v, mo + off, 4);
    return mo_swapped ? __builtin_bswap32(v) : v;
}

/* String i of the table at `table` (entries: length, offset), or NULL when
 * the file is malformed. */
static const char *mo_string(uint32_t table, uint32_t i)
{
    size_t e = (size_t)table + 8 * (size_t)i;
    if (e + 8 > mo_len)
        return NULL;
    size_t len = mo_u32(e), off = mo_u32(e + 4);
    if (off > mo_len || len >= mo_len - off || mo[off + len] != '\0')
        return NULL;
    return (const char *)mo + off;
}

static void mo_unload(void)
{
    free(mo);
    mo = NULL;
    mo_len = 0;
    mo_n = 0;
}

/* Catalogue path for `code` in the first place that has one. */
static int find_catalogue(const char *code, char *path, size_t n)
{
    const char *env = getenv("MINESCAN_LOCALEDIR");
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char dirs[3][PATH_MAX];
    int nd = 0;
    if (env && *env)
        snprintf(dirs[nd++], PATH_MAX, "%s", env);
    if (k > 0) {
        exe[k] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dirs[nd++], PATH_MAX, "%.*s/locale", PATH_MAX - 8, exe);
        }
    }
#ifdef MINESCAN_BUILD_LOCALEDIR
    snprintf(dirs[nd++], PATH_MAX, "%s", MINESCAN_BUILD_LOCALEDIR);
#endif
    for (int i = 0; i < nd; i++) {
        snprintf(path, n, "%.4000s/%s/LC_MESSAGES/minescan.mo", dirs[i], code);
        if (access(path, R_OK) == 0)
            return 0;
        if (i == 0 && env && *env)
            break; /* an explicit folder is the only one looked in */
    }
    return -1;
}

static int mo_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ms_fail(MS_ERR_IO, "%s: cannot open the translations: %s",
                       path, strerror(errno));
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *b = cap > (64u << 20) ? NULL : realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return ms_fail(MS_ERR_IO, "%s: translations too large or "
                               "out of memory", path);
            }
            buf = b;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    fclose(f);
    mo = buf;
    mo_len = len;
    uint32_t magic = len >= 28 ? ((uint32_t *)(void *)buf)[0] : 0;
    mo_swapped = magic == __builtin_bswap32(MO_MAGIC);
    if (magic != MO_MAGIC && !mo_swapped) {
        mo_unload();
        return ms_fail(MS_ERR_IO, "%s: not a compiled gettext catalogue "
                       "(.mo)", path);
    }
    mo_n = mo_u32(8);
    mo_orig = mo_u32(12);
    mo_trans = mo_u32(16);
    for (uint32_t i = 0; i < mo_n; i++)
        if (!mo_string(mo_orig, i) || !mo_string(mo_trans, i)) {
            mo_unload();
            return ms_fail(MS_ERR_IO, "%s: entry %u is damaged", path,
                           (unsigned)i);
        }
    return 0;
}

int ms_lang_set(const char *code)
{
    if (!code || (strcmp(code, "en") && strcmp(code, "uk") &&
                  strcmp(code, "km")))
        return ms_fail(MS_ERR_USAGE, "--lang %s: expected one of " MS_LANGS,
                       code ? code : "(none)");
    mo_unload();
    snprintf(lang_code, sizeof lang_code, "%s", code);
    if (!strcmp(code, "en"))
        return 0;
    char path[PATH_MAX + 64];
    if (find_catalogue(code, path, sizeof path)) {
        snprintf(lang_code, sizeof lang_code, "en");
        return ms_fail(MS_ERR_IO, "--lang %s: no translations found "
                       "(%s/LC_MESSAGES/minescan.mo under $MINESCAN_LOCALEDIR "
                       "or the folder locale/ beside the minescan program)",
                       code, code);
    }
    int rc = mo_load(path);
    if (rc)
        snprintf(lang_code, sizeof lang_code, "en");
    return rc;
}

const char *ms_lang(void) { return lang_code; }

const char *ms_tr(const char *msgid)
{
    if (!mo || !msgid || !*msgid)
        return msgid;
    /* a linear scan: a few hundred labels, looked up a few hundred times a
     * run */
    for (uint32_t i = 0; i < mo_n; i++)
        if (!strcmp(mo_string(mo_orig, i), msgid)) {
            const char *t = mo_string(mo_trans, i);
            return t && *t ? t : msgid;
        }
    return msgid;
}
