/* Replays the inputs the fuzzers found (tests/fuzz/regress/recording/,
 * recipe/ and formats/, each a crash in minescan's code, since fixed, or
 * a sample kept for the parsers' paths) and the seed kinds through the same entry points as the fuzz targets, built
 * normally: each must give a result or a message naming the input, and
 * never crash. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fuzz_formats_input.h"
#include "minescan/recording.h"
#include "recipe/recipe.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Every file in tests/fuzz/regress/KIND through fn; returns how many. */
static int replay(const char *kind, void (*fn)(const char *, const char *,
                                                size_t))
{
    const char *src = getenv("MINESCAN_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/regress/%s",
             src ? src : ".", kind);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = 0;
        char *buf = slurp(path, &len);
        assert_non_null(buf);
        fn(e->d_name, buf, len);
        free(buf);
        n++;
    }
    closedir(d);
    return n;
}

static void read_recording(const char *name, const char *buf, size_t len)
{
    ms_diag diag;
    ms_diag_init(&diag);
    ms_recording *rec = NULL;
    int rc = ms_recording_read_image(buf, len, name, &rec, &diag);
    if (rc == 0) {
        assert_non_null(rec);
        ms_recording_free(rec);
    } else {
        /* a message that starts with the input's name */
        assert_true(rc < 0);
        assert_true(diag.n > 0);
        assert_memory_equal(diag.lines[0], name, strlen(name));
    }
    ms_diag_free(&diag);
}

static void parse_recipe(const char *name, const char *buf, size_t len)
{
    (void)len;
    ms_recipe r;
    memset(&r, 0, sizeof r);
    int rc = ms_recipe_parse(buf, name, &r);
    if (rc == 0)
        ms_recipe_validate(&r);
    else
        assert_non_null(strstr(ms_error_message(), name));
    ms_recipe_free(&r);
}

static void parse_format(const char *name, const char *buf, size_t len)
{
    int rc = ms_fuzz_formats_one((const uint8_t *)buf, len, name);
    /* a result, or one message that names the input */
    if (rc < 0)
        assert_non_null(strstr(ms_error_message(), name));
    else
        assert_true(rc == 0 || rc == 1);
}

static void formats(void **state)
{
    (void)state;
    /* too short to select a parser; an empty DZT; a SEG-Y of headers only */
    parse_format("short", "\x00\x00", 2);
    parse_format("empty_dzt", "\x00\x00\x00\x00", 4);
    replay("formats", parse_format);
}

static void recordings(void **state)
{
    (void)state;
    /* A non-HDF5 image and an empty one are refused with the name. */
    read_recording("empty.h5", "", 0);
    read_recording("text.h5", "not hdf5 at all", 15);
    replay("recording", read_recording);
}

static void recipes(void **state)
{
    (void)state;
    replay("recipe", parse_recipe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recordings),
        cmocka_unit_test(recipes),
        cmocka_unit_test(formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
