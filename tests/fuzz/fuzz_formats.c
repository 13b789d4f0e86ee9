/* libFuzzer target: the vendor-format parsers (GSSI DZT, Sensors &
 * Software DT1 + HD, MALA rd3/rd7 + rad, SEG-Y) on memory buffers, their
 * documented fuzz entry points (io/formats/formats.h). Input layout:
 * byte 0 picks the parser, bytes 1-2 (little-endian) the length of the
 * text sidecar (HD, rad, DZG) that comes first; the rest is the data
 * file. See fuzz_recording.c for building and running. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned which = data[0] % 6;
    size_t side = (size_t)(data[1] | data[2] << 8);
    data += 3;
    size -= 3;
    if (side > size)
        side = size;
    /* Copies, so that ASan sees reads past each buffer's own end. */
    char *text = malloc(side ? side : 1);
    uint8_t *body = malloc(size - side ? size - side : 1);
    if (!text || !body) {
        free(text);
        free(body);
        return 0;
    }
    memcpy(text, data, side);
    memcpy(body, data + side, size - side);
    size_t blen = size - side;
    ms_import_options opt = ms_import_options_default();
    ms_import im;
    ms_import_init(&im);
    switch (which) {
    case 0: ms_dzt_parse("f.dzt", body, blen, NULL, 0, &opt, &im); break;
    case 1: ms_dzt_parse("f.dzt", body, blen, text, side, &opt, &im); break;
    case 2: ms_dt1_parse("f.dt1", text, side, body, blen, &opt, &im); break;
    case 3: ms_mala_parse("f.rd3", text, side, body, blen, 2, &opt, &im);
        break;
    case 4: ms_mala_parse("f.rd7", text, side, body, blen, 4, &opt, &im);
        break;
    default: ms_segy_parse("f.sgy", body, blen, &opt, &im); break;
    }
    ms_import_free(&im);
    free(text);
    free(body);
    return 0;
}
