/* PNG files with libpng: RGB(A) pixels plus text chunks (software version,
 * recipe, extent...). The image goes to PATH.tmp first and is renamed onto
 * PATH only when complete, so readers never see half an image and a failed
 * run leaves no file behind. */
#include "minescan/error.h"
#include "minescan/render.h"
#include "minescan/version.h"
#include "render/render_time.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libpng reports errors through a callback that must not return; it jumps
 * back into ms_png_write with the message kept here. */
typedef struct png_guard {
    jmp_buf jmp;
    char msg[256];
} png_guard;

static void on_png_error(png_structp png, png_const_charp msg)
{
    png_guard *g = png_get_error_ptr(png);
    snprintf(g->msg, sizeof g->msg, "%s", msg ? msg : "unknown libpng error");
    longjmp(g->jmp, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png; /* warnings (e.g. about chunk order) do not spoil the file */
    (void)msg;
}

/* PNG keywords: 1-79 printable Latin-1 characters, no leading, trailing or
 * double spaces (PNG specification 11.3.4.2). */
static int keyword_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n < 1 || n > 79 || key[0] == ' ' || key[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (!((c >= 32 && c <= 126) || c >= 161))
            return 0;
        if (c == ' ' && key[i + 1] == ' ')
            return 0;
    }
    return 1;
}

static int is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return 0;
    return 1;
}

static int png_write(const char *path, const unsigned char *pixels,
                     size_t width, size_t height, size_t stride, int channels,
                     const ms_png_text *text, size_t n_text)
{
    if (!path || !*path)
        return ms_fail(MS_ERR_INVALID_INPUT, "PNG output: no file name given");
    if (!pixels || width == 0 || height == 0 || width > PNG_UINT_31_MAX ||
        height > PNG_UINT_31_MAX)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: cannot write a %zu x %zu image", path, width,
                       height);
    if (channels != 3 && channels != 4)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: %d channels per pixel (expected 3 or 4)", path,
                       channels);
    if (stride < width * (size_t)channels)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: row stride %zu is shorter than a row", path,
                       stride);
    if (n_text && !text)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: text chunks missing", path);
    for (size_t i = 0; i < n_text; i++) {
        if (!keyword_ok(text[i].key))
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: invalid PNG text key \"%s\" (1-79 printable "
                           "characters, no leading/trailing/double spaces)",
                           path, text[i].key ? text[i].key : "(null)");
        if (!text[i].value)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: PNG text \"%s\" has no value", path,
                           text[i].key);
    }

    int rc = 0;
    size_t path_len = strlen(path);
    char *tmp = malloc(path_len + 5);
    png_bytep *rows = malloc(height * sizeof *rows);
    png_text *chunks = calloc(n_text + 1, sizeof *chunks);
    FILE *fp = NULL;
    png_structp png = NULL;
    png_infop info = NULL;
    png_guard guard;
    guard.msg[0] = '\0';
    if (!tmp || !rows || !chunks) {
        rc = ms_fail(MS_ERR_NOMEM, "%s: out of memory writing the image",
                     path);
        goto done;
    }
    memcpy(tmp, path, path_len);
    memcpy(tmp + path_len, ".tmp", 5);
    for (size_t y = 0; y < height; y++)
        rows[y] = (png_bytep)(pixels + y * stride);

    static const char software[] = "minescan " MINESCAN_VERSION;
    chunks[0].compression = PNG_TEXT_COMPRESSION_NONE;
    chunks[0].key = (png_charp) "Software";
    chunks[0].text = (png_charp)software;
    for (size_t i = 0; i < n_text; i++) {
        png_text *c = &chunks[i + 1];
        /* tEXt is Latin-1; anything beyond ASCII is taken as UTF-8 */
        c->compression = is_ascii(text[i].value) ? PNG_TEXT_COMPRESSION_NONE
                                                 : PNG_ITXT_COMPRESSION_NONE;
        c->key = (png_charp)text[i].key;
        c->text = (png_charp)text[i].value;
    }

    fp = fopen(tmp, "wb");
    if (!fp) {
        rc = ms_fail(MS_ERR_IO,
                     "%s: cannot create the image file: %s (does the output "
                     "folder exist, and is it writable?)",
                     path, strerror(errno));
        goto done;
    }
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &guard, on_png_error,
                                  on_png_warning);
    info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        rc = ms_fail(MS_ERR_NOMEM, "%s: out of memory starting libpng", path);
        goto fail;
    }
    /* png, info and fp are not changed after this point, so they keep their
     * values across the longjmp */
    if (setjmp(guard.jmp)) {
        rc = ms_fail(MS_ERR_IO, "%s: writing the PNG failed: %s", path,
                     guard.msg);
        goto fail;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    /* Speed: zlib level 2 and no row filter. libpng's default (level 6,
     * each row trying all five filters) was about 3 times slower on our
     * B-scans and maps (a 1800 x 520 B-scan: 82 -> 33 ms at level 2 with
     * Paeth). Without the filter, zlib's matches of equal pixels (flat
     * colour, repeated cells of a map, the plots' backgrounds) compress
     * better still: every PNG of `minescan run` on six tune lanes took
     * 1.04-1.15 s and 6.5 MB, against 1.22-1.32 s and 8.1 MB with Paeth
     * on every row (B-scan 431 -> 321 KB, sweep 225 -> 171 KB). */
    png_set_compression_level(png, 2);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_text(png, info, chunks, (int)(n_text + 1));
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);

    /* a full disk often shows only at flush or close */
    int write_failed = fflush(fp) != 0 || ferror(fp);
    int close_failed = fclose(fp) != 0;
    fp = NULL;
    if (write_failed || close_failed) {
        rc = ms_fail(MS_ERR_IO, "%s: writing the image failed: %s", path,
                     strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        rc = ms_fail(MS_ERR_IO, "%s: cannot move %s into place: %s", path, tmp,
                     strerror(errno));
        goto fail;
    }
    goto done;

fail:
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    if (fp)
        fclose(fp);
    remove(tmp);
done:
    free(chunks);
    free(rows);
    free(tmp);
    return rc;
}

/* The public call, timed for summary.json (render/render_time.h). */
int ms_png_write(const char *path, const unsigned char *pixels, size_t width,
                 size_t height, size_t stride, int channels,
                 const ms_png_text *text, size_t n_text)
{
    double t0 = ms_render_clock_begin();
    int rc = png_write(path, pixels, width, height, stride, channels, text,
                       n_text);
    ms_render_clock_end(t0);
    return rc;
}
