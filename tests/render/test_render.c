/* Rendering: colormap tables against their published values, and maps and
 * B-scans read back with libpng to prove orientation (x right, y up), equal
 * scale, the pixel <-> position conventions recorded in the text chunks,
 * NaN grey, and that failures leave no file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cairo.h>
#include <pango/pangocairo.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "minescan/error.h"
#include "minescan/render.h"
#include "minescan/version.h"

/* ---- helpers ------------------------------------------------------------- */

#define MAX_TEXT 32

typedef struct png_file {
    int width, height, channels;
    unsigned char *px; /* rows of width * channels bytes */
    int n_text;
    char *key[MAX_TEXT], *value[MAX_TEXT];
} png_file;

static void png_file_free(png_file *f)
{
    free(f->px);
    for (int i = 0; i < f->n_text; i++) {
        free(f->key[i]);
        free(f->value[i]);
    }
    memset(f, 0, sizeof *f);
}

/* Read an 8-bit PNG and its text chunks; 0 on success. */
static int png_file_read(const char *path, png_file *f)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    png_structp png =
        png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(fp);
        return -1;
    }
    png_init_io(png, fp);
    png_read_png(png, info, PNG_TRANSFORM_STRIP_16 | PNG_TRANSFORM_EXPAND,
                 NULL);
    f->width = (int)png_get_image_width(png, info);
    f->height = (int)png_get_image_height(png, info);
    f->channels = png_get_channels(png, info);
    png_bytepp rows = png_get_rows(png, info);
    size_t row_bytes = (size_t)f->width * f->channels;
    f->px = malloc(row_bytes * f->height);
    for (int y = 0; y < f->height; y++)
        memcpy(f->px + y * row_bytes, rows[y], row_bytes);
    png_textp text;
    int n = 0;
    png_get_text(png, info, &text, &n);
    for (int i = 0; i < n && i < MAX_TEXT; i++) {
        f->key[i] = strdup(text[i].key);
        f->value[i] = strdup(text[i].text);
        f->n_text++;
    }
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp);
    return 0;
}

static const char *png_text_get(const png_file *f, const char *key)
{
    for (int i = 0; i < f->n_text; i++)
        if (strcmp(f->key[i], key) == 0)
            return f->value[i];
    return NULL;
}

static const unsigned char *pixel(const png_file *f, int x, int y)
{
    assert_true(x >= 0 && x < f->width && y >= 0 && y < f->height);
    return f->px + ((size_t)y * f->width + x) * f->channels;
}

static void assert_rgb(const unsigned char *got, const unsigned char *want)
{
    if (got[0] != want[0] || got[1] != want[1] || got[2] != want[2])
        fail_msg("pixel (%d,%d,%d), expected (%d,%d,%d)", got[0], got[1],
                 got[2], want[0], want[1], want[2]);
}

static const char *tmp_dir(void)
{
    static char dir[1024];
    if (!dir[0]) {
        const char *base = getenv("MINESCAN_TEST_TMP");
        snprintf(dir, sizeof dir, "%s/render", base && *base ? base : "/tmp");
        mkdir(dir, 0755);
    }
    return dir;
}

static char *tmp_path(const char *name)
{
    static char path[2][1200];
    static int which;
    which ^= 1;
    snprintf(path[which], sizeof path[which], "%s/%s", tmp_dir(), name);
    return path[which];
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Pixel edge coordinates of a position, from the plot_area and extent
 * chunks (the conversion documented in render.h). */
typedef struct frame {
    double x0, x1, y0, y1; /* extent */
    int left, top, right, bottom;
} frame;

static void read_frame(const png_file *f, const char *extent_key, frame *fr)
{
    const char *e = png_text_get(f, extent_key);
    const char *a = png_text_get(f, "minescan:plot_area");
    assert_non_null(e);
    assert_non_null(a);
    assert_int_equal(sscanf(e, "%lf %lf %lf %lf", &fr->x0, &fr->x1, &fr->y0,
                            &fr->y1),
                     4);
    assert_int_equal(sscanf(a, "%d %d %d %d", &fr->left, &fr->top,
                            &fr->right, &fr->bottom),
                     4);
    assert_true(0 <= fr->left && fr->left < fr->right &&
                fr->right <= f->width);
    assert_true(0 <= fr->top && fr->top < fr->bottom &&
                fr->bottom <= f->height);
}

/* map frame: y up */
static void map_to_pixel(const frame *fr, double x, double y, int *col,
                         int *row)
{
    *col = (int)floor(fr->left + (x - fr->x0) / (fr->x1 - fr->x0) *
                                     (fr->right - fr->left));
    *row = (int)floor(fr->top + (fr->y1 - y) / (fr->y1 - fr->y0) *
                                    (fr->bottom - fr->top));
}

/* B-scan frame: time (y0 at the top .. y1) grows downwards */
static void bscan_to_pixel(const frame *fr, double d, double t_ns, int *col,
                           int *row)
{
    *col = (int)floor(fr->left + (d - fr->x0) / (fr->x1 - fr->x0) *
                                     (fr->right - fr->left));
    *row = (int)floor(fr->top + (t_ns - fr->y0) / (fr->y1 - fr->y0) *
                                    (fr->bottom - fr->top));
}

/* ---- colormaps ----------------------------------------------------------- */

static void test_colormap_published_endpoints(void **state)
{
    (void)state;
    /* matplotlib _cm_listed.py: viridis (0.267004, 0.004874, 0.329415) ..
     * (0.993248, 0.906157, 0.143936); magma (0.001462, 0.000466, 0.013866)
     * .. (0.987053, 0.991438, 0.749504); ColorBrewer RdBu ends (5,48,97)
     * and (103,0,31) */
    static const struct {
        ms_colormap cmap;
        unsigned char first[3], last[3];
    } cases[] = {
        {MS_CMAP_VIRIDIS, {68, 1, 84}, {253, 231, 37}},
        {MS_CMAP_MAGMA, {0, 0, 4}, {252, 253, 191}},
        {MS_CMAP_GRAY, {0, 0, 0}, {255, 255, 255}},
        {MS_CMAP_BALANCE, {5, 48, 97}, {103, 0, 31}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unsigned char(*tab)[3] = ms_colormap_table(cases[i].cmap);
        assert_rgb(tab[0], cases[i].first);
        assert_rgb(tab[255], cases[i].last);
        unsigned char rgb[3];
        ms_colormap_rgb(cases[i].cmap, 0.0, rgb);
        assert_rgb(rgb, cases[i].first);
        ms_colormap_rgb(cases[i].cmap, 1.0, rgb);
        assert_rgb(rgb, cases[i].last);
        /* out of range and NaN clamp instead of reading past the table */
        ms_colormap_rgb(cases[i].cmap, -3.0, rgb);
        assert_rgb(rgb, cases[i].first);
        ms_colormap_rgb(cases[i].cmap, 7.0, rgb);
        assert_rgb(rgb, cases[i].last);
        ms_colormap_rgb(cases[i].cmap, NAN, rgb);
        assert_rgb(rgb, cases[i].first);
    }
    /* viridis[128] = (0.127568, 0.566949, 0.550556) */
    const unsigned char mid[3] = {33, 145, 140};
    assert_rgb(ms_colormap_table(MS_CMAP_VIRIDIS)[128], mid);
    /* the diverging map is light at its centre */
    const unsigned char(*bal)[3] = ms_colormap_table(MS_CMAP_BALANCE);
    assert_true(bal[127][0] > 240 && bal[128][1] > 240);
}

static void test_colormap_interpolates(void **state)
{
    (void)state;
    const unsigned char(*tab)[3] = ms_colormap_table(MS_CMAP_VIRIDIS);
    unsigned char rgb[3];
    ms_colormap_rgb(MS_CMAP_VIRIDIS, 100.0 / 255.0, rgb);
    assert_rgb(rgb, tab[100]);
    /* half way between entries 100 and 101 */
    ms_colormap_rgb(MS_CMAP_VIRIDIS, 100.5 / 255.0, rgb);
    for (int c = 0; c < 3; c++) {
        int lo = tab[100][c] < tab[101][c] ? tab[100][c] : tab[101][c];
        int hi = tab[100][c] < tab[101][c] ? tab[101][c] : tab[100][c];
        assert_true(rgb[c] >= lo && rgb[c] <= hi);
    }
    ms_colormap_rgb(MS_CMAP_GRAY, 0.5, rgb);
    assert_true(rgb[0] == 127 || rgb[0] == 128);
}

/* ---- maps ---------------------------------------------------------------- */

enum { NX = 50, NY = 10 };

static void test_map_orientation_scale_and_chunks(void **state)
{
    (void)state;
    /* a 5 m x 1 m lane of 10 cm cells: one hot cell near (x_max, y_max),
     * one cold cell near (x_min, y_min), one NaN cell, zeros elsewhere */
    const double x0 = 0.0, x1 = 5.0, y0 = 0.0, y1 = 1.0;
    const double dx = (x1 - x0) / NX, dy = (y1 - y0) / NY;
    float map[NX * NY];
    for (int i = 0; i < NX * NY; i++)
        map[i] = 0.0f;
    const int hot_ix = NX - 2, hot_iy = NY - 2;
    const int cold_ix = 1, cold_iy = 1;
    const int nan_ix = 25, nan_iy = 4;
    map[hot_iy * NX + hot_ix] = 1.0f;
    map[cold_iy * NX + cold_ix] = -1.0f;
    map[nan_iy * NX + nan_ix] = NAN;

    const ms_marker markers[] = {
        {1.0, 0.5, MS_MARKER_MINE},     {2.0, 0.5, MS_MARKER_CLUTTER},
        {3.0, 0.5, MS_MARKER_OPERATOR}, {3.5, 0.5, MS_MARKER_ALARM},
        {4.0, 0.3, MS_MARKER_MISSED},   {4.0, 0.3, MS_MARKER_MINE},
    };
    const ms_png_text text[] = {{"minescan:recipe", "default"},
                                {"Comment", "lane 7, pass 2"}};
    ms_image_spec spec = {.title = "Anomaly map, lane 7",
                          .value_label = "anomaly score",
                          .cmap = MS_CMAP_VIRIDIS,
                          .text = text,
                          .n_text = 2};
    const char *path = tmp_path("map_orientation.png");
    remove(path);
    int rc = ms_render_map(path, map, NX, NY, x0, x1, y0, y1, markers,
                           sizeof markers / sizeof markers[0], &spec);
    if (rc)
        fail_msg("ms_render_map: %s", ms_error_message());
    assert_false(file_exists(tmp_path("map_orientation.png.tmp")));

    png_file f;
    assert_int_equal(png_file_read(path, &f), 0);
    assert_int_equal(f.channels, 3);

    /* text chunks */
    const char *sw = png_text_get(&f, "Software");
    assert_non_null(sw);
    assert_string_equal(sw, "minescan " MINESCAN_VERSION);
    assert_string_equal(png_text_get(&f, "minescan:recipe"), "default");
    assert_string_equal(png_text_get(&f, "Comment"), "lane 7, pass 2");
    assert_string_equal(png_text_get(&f, "minescan:grid"), "50 10");
    frame fr;
    read_frame(&f, "minescan:extent", &fr);
    assert_true(fr.x0 == x0 && fr.x1 == x1 && fr.y0 == y0 && fr.y1 == y1);

    /* dimensions: the 5 m x 1 m lane is a wide plot at 200 px/m, and the
     * image holds it with margins for axes, colour bar and legend */
    int pw = fr.right - fr.left, ph = fr.bottom - fr.top;
    assert_int_equal(pw, 1000);
    assert_int_equal(ph, 200);
    assert_true(f.width > fr.right + 60 && f.height > fr.bottom + 40);
    assert_true(fr.left >= 40 && fr.top >= 30);

    /* equal scale: metres per pixel in y, applied to x, gives x's pixel
     * width to within one pixel */
    double mpp_y = (fr.y1 - fr.y0) / ph;
    assert_true(fabs((fr.x1 - fr.x0) / mpp_y - pw) <= 1.0);

    const unsigned char(*tab)[3] = ms_colormap_table(MS_CMAP_VIRIDIS);
    const unsigned char gray[3] = {MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY};
    int col, row;
    /* hot cell near (x_max, y_max): top right, top colour */
    map_to_pixel(&fr, x0 + (hot_ix + 0.5) * dx, y0 + (hot_iy + 0.5) * dy,
                 &col, &row);
    assert_true(col > fr.left + pw / 2 && row < fr.top + ph / 2);
    assert_rgb(pixel(&f, col, row), tab[255]);
    /* cold cell near (x_min, y_min): bottom left, bottom colour */
    map_to_pixel(&fr, x0 + (cold_ix + 0.5) * dx, y0 + (cold_iy + 0.5) * dy,
                 &col, &row);
    assert_true(col < fr.left + pw / 2 && row > fr.top + ph / 2);
    assert_rgb(pixel(&f, col, row), tab[0]);
    /* the mirror images of the hot cell are not hot: y is not flipped and
     * x is not flipped */
    map_to_pixel(&fr, x0 + (hot_ix + 0.5) * dx,
                 y1 - (hot_iy + 0.5) * dy, &col, &row);
    assert_rgb(pixel(&f, col, row), tab[128]);
    map_to_pixel(&fr, x1 - (hot_ix + 0.5) * dx,
                 y0 + (hot_iy + 0.5) * dy, &col, &row);
    assert_rgb(pixel(&f, col, row), tab[128]);
    /* NaN: neutral grey */
    map_to_pixel(&fr, x0 + (nan_ix + 0.5) * dx, y0 + (nan_iy + 0.5) * dy,
                 &col, &row);
    assert_rgb(pixel(&f, col, row), gray);

    /* every cell, sampled at its centre and just inside its corners, away
     * from the markers: the pixel shows that cell's colour */
    for (int iy = 0; iy < NY; iy++)
        for (int ix = 0; ix < NX; ix++) {
            double cx = x0 + (ix + 0.5) * dx, cy = y0 + (iy + 0.5) * dy;
            int near_marker = 0;
            for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++)
                if (fabs(markers[m].x - cx) < 0.13 &&
                    fabs(markers[m].y - cy) < 0.13)
                    near_marker = 1;
            if (near_marker)
                continue;
            float v = map[iy * NX + ix];
            const unsigned char *want = isnan(v)   ? gray
                                        : v > 0.5f ? tab[255]
                                        : v < -0.5f ? tab[0]
                                                    : tab[128];
            const double inset = 0.2 * mpp_y; /* a fifth of a pixel */
            const double probes[5][2] = {
                {cx, cy},
                {cx - dx / 2 + inset, cy - dy / 2 + inset},
                {cx + dx / 2 - inset, cy - dy / 2 + inset},
                {cx - dx / 2 + inset, cy + dy / 2 - inset},
                {cx + dx / 2 - inset, cy + dy / 2 - inset},
            };
            for (int k = 0; k < 5; k++) {
                map_to_pixel(&fr, probes[k][0], probes[k][1], &col, &row);
                assert_true(col >= fr.left && col < fr.right);
                assert_true(row >= fr.top && row < fr.bottom);
                const unsigned char *got = pixel(&f, col, row);
                if (memcmp(got, want, 3) != 0)
                    fail_msg("cell (%d,%d) probe %d at pixel (%d,%d): "
                             "(%d,%d,%d), expected (%d,%d,%d)",
                             ix, iy, k, col, row, got[0], got[1], got[2],
                             want[0], want[1], want[2]);
            }
        }

    /* the colour bar (right of the plot) holds both ends of the map */
    int found_top = 0, found_bottom = 0;
    for (int x = fr.right + 5; x < f.width; x++) {
        found_top |= !memcmp(pixel(&f, x, fr.top), tab[255], 3);
        found_bottom |= !memcmp(pixel(&f, x, fr.bottom - 1), tab[0], 3);
    }
    assert_true(found_top && found_bottom);
    png_file_free(&f);
}

static void test_map_tall_single_and_all_nan(void **state)
{
    (void)state;
    /* 1 m x 10 m: taller than wide, still equal scale */
    float tall[4 * 40];
    for (int i = 0; i < 4 * 40; i++)
        tall[i] = (float)(i / 4);
    const char *path = tmp_path("map_tall.png");
    assert_int_equal(ms_render_map(path, tall, 4, 40, -0.5, 0.5, 0.0, 10.0,
                                   NULL, 0, NULL),
                     0);
    png_file f;
    assert_int_equal(png_file_read(path, &f), 0);
    frame fr;
    read_frame(&f, "minescan:extent", &fr);
    double mpp_x = (fr.x1 - fr.x0) / (fr.right - fr.left);
    assert_true(fabs((fr.y1 - fr.y0) / mpp_x - (fr.bottom - fr.top)) <= 1.0);
    /* the top row (y = 10 m) is the hottest */
    int col, row;
    map_to_pixel(&fr, 0.0, 9.9, &col, &row);
    assert_rgb(pixel(&f, col, row), ms_colormap_table(MS_CMAP_VIRIDIS)[255]);
    png_file_free(&f);

    /* one cell, NaN everywhere, a symmetric scale */
    float one = 3.0f;
    ms_image_spec sym = {.cmap = MS_CMAP_BALANCE, .symmetric = 1};
    assert_int_equal(ms_render_map(tmp_path("map_one.png"), &one, 1, 1, 0.0,
                                   0.5, 0.0, 0.5, NULL, 0, &sym),
                     0);
    assert_int_equal(png_file_read(tmp_path("map_one.png"), &f), 0);
    assert_string_equal(png_text_get(&f, "minescan:value_range"), "-3 3");
    read_frame(&f, "minescan:extent", &fr);
    map_to_pixel(&fr, 0.25, 0.25, &col, &row);
    assert_rgb(pixel(&f, col, row), ms_colormap_table(MS_CMAP_BALANCE)[255]);
    png_file_free(&f);

    float nan4[4] = {NAN, NAN, NAN, NAN};
    assert_int_equal(ms_render_map(tmp_path("map_nan.png"), nan4, 2, 2, 0.0,
                                   1.0, 0.0, 1.0, NULL, 0, NULL),
                     0);
    assert_int_equal(png_file_read(tmp_path("map_nan.png"), &f), 0);
    read_frame(&f, "minescan:extent", &fr);
    map_to_pixel(&fr, 0.75, 0.25, &col, &row);
    const unsigned char gray[3] = {MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY};
    assert_rgb(pixel(&f, col, row), gray);
    png_file_free(&f);
}

/* Grey level of a pixel (Rec. 601 weights): what a greyscale print shows. */
static int grey(const png_file *f, int x, int y)
{
    const unsigned char *p = pixel(f, x, y);
    return (299 * p[0] + 587 * p[1] + 114 * p[2]) / 1000;
}

/* A missed mine differs from a found one by shape, not only colour: in
 * grey, its ring is larger and struck through, where the found mine's ring
 * leaves the map showing. */
static void test_missed_mine_marker_differs_by_shape(void **state)
{
    (void)state;
    float map[100];
    for (int i = 0; i < 100; i++)
        map[i] = 0.5f;
    ms_image_spec spec = {.cmap = MS_CMAP_VIRIDIS, .vmin = 0, .vmax = 1};
    int bg[2], slash[2], ring11[2];
    for (int k = 0; k < 2; k++) {
        ms_marker m = {1.0, 1.0, k ? MS_MARKER_MISSED : MS_MARKER_MINE};
        const char *path = tmp_path(k ? "marker_missed.png"
                                      : "marker_mine.png");
        assert_int_equal(ms_render_map(path, map, 10, 10, 0.0, 2.0, 0.0, 2.0,
                                       &m, 1, &spec),
                         0);
        png_file f;
        assert_int_equal(png_file_read(path, &f), 0);
        int l, t, r, b;
        assert_int_equal(sscanf(png_text_get(&f, "minescan:plot_area"),
                                "%d %d %d %d", &l, &t, &r, &b),
                         4);
        int cx = (l + r) / 2, cy = (t + b) / 2;
        bg[k] = grey(&f, l + 5, t + 5);
        /* the 5 x 5 pixels at the centre: inside the found mine's ring,
         * crossed by the missed mine's stroke (and its white halo) */
        slash[k] = 0;
        for (int dy = -2; dy <= 2; dy++)
            for (int dx = -2; dx <= 2; dx++) {
                int d = abs(grey(&f, cx + dx, cy + dy) - bg[k]);
                slash[k] = d > slash[k] ? d : slash[k];
            }
        ring11[k] = 0; /* across the missed mine's ring and its halo */
        for (int dx = 11; dx <= 14; dx++) {
            int d = abs(grey(&f, cx + dx, cy) - bg[k]);
            ring11[k] = d > ring11[k] ? d : ring11[k];
        }
        png_file_free(&f);
    }
    assert_int_equal(bg[0], bg[1]);
    assert_int_equal(slash[0], 0); /* the map shows inside the ring */
    assert_true(slash[1] > 40);
    assert_true(ring11[1] > 40);
}

static void test_map_rejects_bad_input(void **state)
{
    (void)state;
    float map[4] = {0};
    const char *path = tmp_path("map_bad.png");
    remove(path);
    assert_int_equal(ms_render_map(path, map, 2, 2, 1.0, 1.0, 0.0, 1.0, NULL,
                                   0, NULL),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_render_map(path, map, 2, 2, 0.0, 1.0, 0.0, NAN, NULL,
                                   0, NULL),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_render_map(path, map, 0, 2, 0.0, 1.0, 0.0, 1.0, NULL,
                                   0, NULL),
                     MS_ERR_INVALID_INPUT);
    ms_marker bad = {0.5, 0.5, (ms_marker_kind)42};
    assert_int_equal(ms_render_map(path, map, 2, 2, 0.0, 1.0, 0.0, 1.0, &bad,
                                   1, NULL),
                     MS_ERR_INVALID_INPUT);
    assert_non_null(strstr(ms_error_message(), path));
    assert_false(file_exists(path));
}

/* ---- B-scans ------------------------------------------------------------- */

/* A signed wave pattern, +-0.1, different in every trace and sample. */
static void fill_waves(float *data, size_t nt, size_t ns)
{
    for (size_t i = 0; i < nt; i++)
        for (size_t j = 0; j < ns; j++)
            data[i * ns + j] = (float)(0.1 * sin(0.37 * i + 1.3 * j));
}

/* Draw a B-scan into tmp_path(name) and read it back with its frame. */
static void bscan_read_back(const char *name, const float *data, size_t nt,
                            size_t ns, const double *dist, double dt,
                            const ms_image_spec *spec, png_file *f,
                            frame *fr)
{
    const char *path = tmp_path(name);
    int rc = ms_render_bscan(path, data, nt, ns, dist, dt, spec);
    if (rc)
        fail_msg("ms_render_bscan: %s", ms_error_message());
    assert_int_equal(png_file_read(path, f), 0);
    read_frame(f, "minescan:bscan_extent", fr);
}

/* The colour scale is symmetric with its top end in (min_hi, max_hi). */
static void assert_symmetric_scale(const png_file *f, double min_hi,
                                   double max_hi)
{
    double lo, hi;
    assert_int_equal(sscanf(png_text_get(f, "minescan:value_range"),
                            "%lf %lf", &lo, &hi),
                     2);
    assert_true(hi > min_hi && hi < max_hi && lo == -hi);
}

static void test_bscan_positive_and_negative_ends(void **state)
{
    (void)state;
    enum { NT = 60, NS = 200 };
    const double dt = 0.1e-9;
    static float data[NT * NS];
    double dist[NT];
    for (int i = 0; i < NT; i++) /* irregular spacing, 1.5-2.5 cm */
        dist[i] = 1.0 + 0.02 * i + 0.005 * sin(1.7 * i);
    fill_waves(data, NT, NS);
    /* a ground bounce (0.5 % of the samples) that would leave everything
     * else near zero on a max-scaled plot */
    for (int i = 0; i < NT; i++)
        data[i * NS + 5] = 50.0f;
    data[30 * NS + 40] = 5.0f; /* strong positive */
    data[10 * NS + 70] = -5.0f;
    data[45 * NS + 20] = NAN;

    ms_image_spec spec = {.title = "B-scan, lane 7",
                          .value_label = "amplitude (mV)",
                          .cmap = MS_CMAP_BALANCE};
    png_file f;
    frame fr;
    bscan_read_back("bscan.png", data, NT, NS, dist, dt, &spec, &f, &fr);
    assert_string_equal(png_text_get(&f, "Software"),
                        "minescan " MINESCAN_VERSION);
    assert_true(fr.x0 < dist[0] && fr.x1 > dist[NT - 1]);
    assert_true(fabs(fr.y1 - NS * dt * 1e9) < 1e-9);
    /* robust scale: the 99th percentile of |value|, far below the bounce */
    assert_symmetric_scale(&f, 0.05, 1.0);

    const unsigned char(*tab)[3] = ms_colormap_table(MS_CMAP_BALANCE);
    int col, row;
    bscan_to_pixel(&fr, dist[30], (40 + 0.5) * dt * 1e9, &col, &row);
    assert_rgb(pixel(&f, col, row), tab[255]);
    bscan_to_pixel(&fr, dist[10], (70 + 0.5) * dt * 1e9, &col, &row);
    assert_rgb(pixel(&f, col, row), tab[0]);
    /* time runs downwards: the bounce at sample 5 is near the top */
    bscan_to_pixel(&fr, dist[20], (5 + 0.5) * dt * 1e9, &col, &row);
    assert_true(row < fr.top + (fr.bottom - fr.top) / 10);
    assert_rgb(pixel(&f, col, row), tab[255]);
    bscan_to_pixel(&fr, dist[45], (20 + 0.5) * dt * 1e9, &col, &row);
    const unsigned char gray[3] = {MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY,
                                   MS_RENDER_NODATA_GRAY};
    assert_rgb(pixel(&f, col, row), gray);
    png_file_free(&f);
}

static void test_bscan_one_trace_one_sample(void **state)
{
    (void)state;
    float v = -2.0f;
    assert_int_equal(ms_render_bscan(tmp_path("bscan_one.png"), &v, 1, 1,
                                     NULL, 1e-10, NULL),
                     0);
    png_file f;
    assert_int_equal(png_file_read(tmp_path("bscan_one.png"), &f), 0);
    frame fr;
    read_frame(&f, "minescan:bscan_extent", &fr);
    int col, row;
    bscan_to_pixel(&fr, 0.0, 0.05, &col, &row);
    assert_rgb(pixel(&f, col, row), ms_colormap_table(MS_CMAP_BALANCE)[0]);
    png_file_free(&f);

    double bad_dist[2] = {1.0, 0.5};
    float two[2] = {0, 0};
    assert_int_equal(ms_render_bscan(tmp_path("bscan_bad.png"), two, 2, 1,
                                     bad_dist, 1e-10, NULL),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_render_bscan(tmp_path("bscan_bad.png"), two, 2, 1,
                                     NULL, 0.0, NULL),
                     MS_ERR_INVALID_INPUT);
    assert_false(file_exists(tmp_path("bscan_bad.png")));
}

/* A long lane fits a screen: 20,000 traces become at most 1600 columns,
 * each the signed peak of its traces, so a one-trace echo still shows at
 * the pixel its position maps to through the text chunks; likewise 4000
 * samples become at most 800 rows. */
static void test_bscan_long_is_capped_and_keeps_positions(void **state)
{
    (void)state;
    enum { NT = 20000, NS = 64 };
    const double dt = 0.1e-9;
    float *data = malloc((size_t)NT * NS * sizeof *data);
    double *dist = malloc(NT * sizeof *dist);
    assert_non_null(data);
    assert_non_null(dist);
    for (int i = 0; i < NT; i++) /* irregular spacing, 0.5-1.5 cm */
        dist[i] = 2.0 + 0.01 * i + 0.005 * sin(0.9 * i);
    fill_waves(data, NT, NS);
    /* one-trace, one-sample echoes: nearest-trace sampling of 12.5 traces
     * per column would miss most of them */
    const int pos_i = 12345, pos_j = 40, neg_i = 777, neg_j = 10;
    data[(size_t)pos_i * NS + pos_j] = 5.0f;
    data[(size_t)neg_i * NS + neg_j] = -5.0f;
    ms_png_text text[] = {{"minescan:parameters", "stage dewow\n"}};
    ms_image_spec spec = {.title = "long lane", .cmap = MS_CMAP_BALANCE,
                          .text = text, .n_text = 1};
    png_file f;
    frame fr;
    bscan_read_back("bscan_long.png", data, NT, NS, dist, dt, &spec, &f, &fr);
    assert_int_equal(fr.right - fr.left, 1600);
    assert_true(f.width <= 2000);
    assert_string_equal(png_text_get(&f, "minescan:bscan_shape"), "20000 64");
    assert_string_equal(png_text_get(&f, "minescan:parameters"),
                        "stage dewow\n");
    /* the extent: half a mean spacing beyond the end traces */
    double half = (dist[NT - 1] - dist[0]) / (NT - 1) / 2;
    assert_true(fabs(fr.x0 - (dist[0] - half)) < 1e-6);
    assert_true(fabs(fr.x1 - (dist[NT - 1] + half)) < 1e-6);
    assert_true(fabs(fr.y1 - NS * dt * 1e9) < 1e-9);
    /* the scale comes from every sample, not from the reduced image */
    assert_symmetric_scale(&f, 0.05, 1.0);

    const unsigned char(*tab)[3] = ms_colormap_table(MS_CMAP_BALANCE);
    int col, row;
    bscan_to_pixel(&fr, dist[pos_i], (pos_j + 0.5) * dt * 1e9, &col, &row);
    assert_rgb(pixel(&f, col, row), tab[255]);
    bscan_to_pixel(&fr, dist[neg_i], (neg_j + 0.5) * dt * 1e9, &col, &row);
    assert_rgb(pixel(&f, col, row), tab[0]);
    png_file_free(&f);
    free(data);
    free(dist);

    /* a long trace: 4000 samples in at most 800 rows, one-sample echo */
    enum { NT2 = 40, NS2 = 4000 };
    float *tall = malloc((size_t)NT2 * NS2 * sizeof *tall);
    assert_non_null(tall);
    fill_waves(tall, NT2, NS2);
    tall[(size_t)25 * NS2 + 3001] = -5.0f;
    bscan_read_back("bscan_tall.png", tall, NT2, NS2, NULL, dt, NULL, &f, &fr);
    assert_int_equal(fr.bottom - fr.top, 800);
    assert_true(fabs(fr.y1 - NS2 * dt * 1e9) < 1e-9);
    bscan_to_pixel(&fr, 25.0, (3001 + 0.5) * dt * 1e9, &col, &row);
    assert_rgb(pixel(&f, col, row), tab[0]);
    png_file_free(&f);
    free(tall);
}

/* ---- PNG writing --------------------------------------------------------- */

static void test_missing_directory_is_io_error(void **state)
{
    (void)state;
    char dir[1200], path[1300];
    snprintf(dir, sizeof dir, "%s/no_such_dir", tmp_dir());
    snprintf(path, sizeof path, "%s/map.png", dir);
    float map[4] = {0, 1, 2, 3};
    ms_error_clear();
    assert_int_equal(ms_render_map(path, map, 2, 2, 0.0, 1.0, 0.0, 1.0, NULL,
                                   0, NULL),
                     MS_ERR_IO);
    assert_non_null(strstr(ms_error_message(), path));
    assert_false(file_exists(dir));
    float b[4] = {0, 1, 2, 3};
    assert_int_equal(ms_render_bscan(path, b, 2, 2, NULL, 1e-10, NULL),
                     MS_ERR_IO);
    unsigned char px[12] = {0};
    assert_int_equal(ms_png_write(path, px, 2, 2, 6, 3, NULL, 0), MS_ERR_IO);
    assert_false(file_exists(dir));
}

static void test_png_write_rgba_and_text(void **state)
{
    (void)state;
    const unsigned char px[2 * 2 * 4] = {255, 0,   0,   255, 0, 255, 0, 128,
                                         0,   0,   255, 0,   9, 9,   9, 255};
    const ms_png_text text[] = {{"Title", "plain ASCII"},
                                {"minescan:operator", "Zoë Ångström"}};
    const char *path = tmp_path("rgba.png");
    assert_int_equal(ms_png_write(path, px, 2, 2, 8, 4, text, 2), 0);
    png_file f;
    assert_int_equal(png_file_read(path, &f), 0);
    assert_int_equal(f.width, 2);
    assert_int_equal(f.height, 2);
    assert_int_equal(f.channels, 4);
    assert_memory_equal(f.px, px, sizeof px);
    assert_string_equal(png_text_get(&f, "Software"),
                        "minescan " MINESCAN_VERSION);
    assert_string_equal(png_text_get(&f, "Title"), "plain ASCII");
    assert_string_equal(png_text_get(&f, "minescan:operator"),
                        "Zoë Ångström");
    png_file_free(&f);

    /* an invalid key is refused before anything is written */
    const char *bad_path = tmp_path("badkey.png");
    remove(bad_path);
    const ms_png_text bad[] = {{" leading space", "x"}};
    assert_int_equal(ms_png_write(bad_path, px, 2, 2, 8, 4, bad, 1),
                     MS_ERR_INVALID_INPUT);
    assert_int_equal(ms_png_write(bad_path, px, 2, 2, 8, 2, NULL, 0),
                     MS_ERR_INVALID_INPUT);
    assert_false(file_exists(bad_path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colormap_published_endpoints),
        cmocka_unit_test(test_colormap_interpolates),
        cmocka_unit_test(test_map_orientation_scale_and_chunks),
        cmocka_unit_test(test_map_tall_single_and_all_nan),
        cmocka_unit_test(test_missed_mine_marker_differs_by_shape),
        cmocka_unit_test(test_map_rejects_bad_input),
        cmocka_unit_test(test_bscan_positive_and_negative_ends),
        cmocka_unit_test(test_bscan_one_trace_one_sample),
        cmocka_unit_test(test_bscan_long_is_capped_and_keeps_positions),
        cmocka_unit_test(test_missing_directory_is_io_error),
        cmocka_unit_test(test_png_write_rgba_and_text),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* release Pango's font map (it holds cairo fonts), then cairo's font
     * caches, so LeakSanitizer sees only real leaks */
    pango_cairo_font_map_set_default(NULL);
    cairo_debug_reset_static_data();
    return failed;
}
