/* How an input of fuzz_formats (and its replay in test_fuzz_regress.c)
 * is laid out, and the call of the vendor header parser it selects:
 *
 *   byte 0   parser: 0 GSSI DZT, 1 DT1 + HD, 2 MALA, 3 SEG-Y (mod 4)
 *   byte 1   options: bit 0 --dx 0.05, bit 1 keep DZT header words,
 *            bit 2 MALA .rd7 (else .rd3), bits 3-4 DZT channel 1..4
 *   2..3     length of the text part (little-endian, cut to what is
 *            there): the .HD, .rad (then a NUL byte and the .cor) or
 *            .DZG (then a NUL byte and the .DZX) text; none for SEG-Y
 *   then     the text part, then the data file
 *
 * Each part is copied into a buffer of exactly its size, so that
 * AddressSanitizer sees a read one byte past it. */
#ifndef MINESCAN_FUZZ_FORMATS_INPUT_H
#define MINESCAN_FUZZ_FORMATS_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/formats/formats.h"

/* Returns the parser's result (0, a negative ms_err) or 1 when the input
 * is too short to select one; `name` goes into the parser's messages. */
static inline int ms_fuzz_formats_one(const uint8_t *data, size_t size,
                                      const char *name)
{
    if (size < 4)
        return 1;
    int parser = data[0] % 4, flags = data[1];
    size_t text_len = (size_t)data[2] | (size_t)data[3] << 8;
    data += 4;
    size -= 4;
    if (parser == 3)
        text_len = 0;
    if (text_len > size)
        text_len = size;
    /* exact-size copies (malloc(0) may return NULL: use 1 byte then, and
     * pass a length of 0) */
    uint8_t *text = malloc(text_len ? text_len : 1);
    uint8_t *body = malloc(size - text_len ? size - text_len : 1);
    if (!text || !body) {
        free(text);
        free(body);
        return 1;
    }
    memcpy(text, data, text_len);
    memcpy(body, data + text_len, size - text_len);
    size_t body_len = size - text_len;

    ms_import_options opt = ms_import_options_default();
    if (flags & 1)
        opt.dx_m = 0.05;
    opt.keep_header_words = (flags >> 1) & 1;
    opt.channel = 1 + ((flags >> 3) & 3);
    ms_import im;
    ms_import_init(&im);
    int rc;
    switch (parser) {
    case 0: {
        /* the text part is the .DZG, then after a NUL byte the .DZX */
        const uint8_t *nul = memchr(text, 0, text_len);
        size_t dzg_len = nul ? (size_t)(nul - text) : text_len;
        rc = ms_dzt_parse_sidecars(name, body, body_len, (const char *)text,
                                   dzg_len,
                                   nul ? (const char *)nul + 1 : NULL,
                                   nul ? text_len - dzg_len - 1 : 0, &opt,
                                   &im);
        break;
    }
    case 1:
        rc = ms_dt1_parse(name, (const char *)text, text_len, body, body_len,
                          &opt, &im);
        break;
    case 2: {
        /* the text part is the .rad, then after a NUL byte the .cor */
        const uint8_t *nul = memchr(text, 0, text_len);
        size_t rad_len = nul ? (size_t)(nul - text) : text_len;
        rc = ms_mala_parse_cor(name, (const char *)text, rad_len, body,
                               body_len, (flags & 4) ? 4 : 2,
                               nul ? (const char *)nul + 1 : NULL,
                               nul ? text_len - rad_len - 1 : 0, &opt, &im);
        break;
    }
    default:
        rc = ms_segy_parse(name, body, body_len, &opt, &im);
        break;
    }
    /* what a successful parse made must be whole: touch every sample and
     * position (ASan sees a short allocation) */
    if (rc == 0 && im.rec && im.rec->gpr) {
        const ms_gpr *g = im.rec->gpr;
        volatile float sink = 0;
        for (size_t i = 0; i < g->n_traces * g->n_samples; i++)
            sink += g->data[i];
        for (size_t t = 0; t < g->n_traces; t++)
            sink += (float)(g->x[t] + g->y[t]);
        (void)sink;
    }
    ms_import_free(&im);
    free(text);
    free(body);
    return rc;
}

#endif
