/* Labels through Pango: Khmer (complex shaping) and Ukrainian render with
 * no missing glyph and leave ink on the canvas; a character no font has is
 * counted, so the check can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "render/plot.h"

/* "Heat map" in Khmer and a word with a coeng subscript: dependent vowels
 * that need shaping. */
static const char KHMER[] = "\xe1\x9e\x95\xe1\x9f\x82\xe1\x9e\x93\xe1\x9e\x91"
                            "\xe1\x9e\xb8\xe1\x9e\x80\xe1\x9f\x86\xe1\x9e\x8a"
                            "\xe1\x9f\x85 \xe1\x9e\x9f\xe1\x9f\x92\xe1\x9e\x8f"
                            "\xe1\x9e\xb6\xe1\x9e\x93";
static const char UKRAINIAN[] = "\xd0\x9a\xd0\xb0\xd1\x80\xd1\x82\xd0\xb0 "
                                "\xd1\x97\xd1\x97";

/* Dark pixels (text ink) inside the box. */
static size_t ink(ms_plot *p, int x0, int y0, int x1, int y1)
{
    int stride;
    uint32_t *px = ms_plot_pixels_begin(p, &stride);
    size_t n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += (px[(size_t)y * stride + x] & 0xff) < 128;
    ms_plot_pixels_end(p);
    return n;
}

static void test_khmer_label_has_every_glyph(void **state)
{
    (void)state;
    assert_int_equal(ms_text_unknown_glyphs(KHMER, MS_FONT_LABEL, 0), 0);
    assert_int_equal(ms_text_unknown_glyphs(KHMER, MS_FONT_TITLE, 1), 0);
    assert_int_equal(ms_text_unknown_glyphs(UKRAINIAN, MS_FONT_LABEL, 0), 0);
    /* U+10FFFD (a private-use code point) is in no installed font */
    assert_true(ms_text_unknown_glyphs("\xf4\x8f\xbf\xbd", MS_FONT_LABEL, 0) >
                0);
}

static void test_khmer_label_draws_ink(void **state)
{
    (void)state;
    ms_plot p;
    assert_int_equal(ms_plot_create(&p, 400, 120, "test"), 0);
    assert_int_equal(ink(&p, 0, 0, 400, 120), 0);
    double w = ms_text_width(p.cr, KHMER, MS_FONT_TITLE, 0);
    assert_true(w > 40 && w < 390);
    ms_plot_text(p.cr, 200, 60, KHMER, MS_FONT_TITLE, 0, 0.5, 0.5, 0);
    /* ink inside the measured box, none far outside it */
    size_t inside = ink(&p, 200 - (int)(w / 2) - 2, 20,
                        200 + (int)(w / 2) + 3, 100);
    assert_true(inside > 100);
    assert_int_equal(ink(&p, 0, 0, 400, 120), inside);
    ms_plot_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_khmer_label_has_every_glyph),
        cmocka_unit_test(test_khmer_label_draws_ink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
