/* Which format a file is: by signature where the format has one (HDF5,
 * GSSI DZT, SEG-Y), else by extension, whatever its case. */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "io/formats/formats.h"
#include "io/h5util.h"

const char *ms_format_name(ms_format f)
{
    switch (f) {
    case MS_FORMAT_MINESCAN: return "minescan recording (HDF5)";
    case MS_FORMAT_GPRMAX: return "gprMax output (HDF5)";
    case MS_FORMAT_DZT: return "GSSI DZT";
    case MS_FORMAT_DT1: return "Sensors & Software DT1/HD";
    case MS_FORMAT_MALA: return "MALA RD3/RD7/RAD";
    case MS_FORMAT_SEGY: return "SEG-Y";
    default: return "unknown format";
    }
}

static int has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), e = strlen(ext);
    return n > e && name[n - e - 1] == '.' &&
           strcasecmp(name + n - e, ext) == 0;
}

static unsigned rd16le(const uint8_t *p) { return p[0] | (unsigned)p[1] << 8; }
static unsigned rd16be(const uint8_t *p) { return p[1] | (unsigned)p[0] << 8; }

/* A DZT header: tag's low byte 0xFF (0x00FF, or 0xn0FF in older multi-
 * channel files) or 0x00F0 (old SIR-10), bits 8/16/32, some samples,
 * 1..4 channels. */
static int looks_dzt(const uint8_t *h, size_t len)
{
    if (len < 1024)
        return 0;
    unsigned tag = rd16le(h), nsamp = rd16le(h + 4), bits = rd16le(h + 6),
             nchan = rd16le(h + 52);
    return ((tag & 0xFF) == 0xFF || tag == 0xF0) &&
           (bits == 8 || bits == 16 || bits == 32) && nsamp > 0 &&
           nchan >= 1 && nchan <= 8;
}

/* SEG-Y: a 3200-byte textual header starting with 'C' in ASCII or EBCDIC
 * (0xC3), and a binary header whose sample format code is one we know in
 * either byte order. */
static int looks_segy(const uint8_t *h, size_t len)
{
    if (len < 3600 || (h[0] != 'C' && h[0] != 0xC3))
        return 0;
    unsigned be = rd16be(h + 3224), le = rd16le(h + 3224);
    int ok_be = be == 1 || be == 2 || be == 3 || be == 5 || be == 8;
    int ok_le = le == 1 || le == 2 || le == 3 || le == 5 || le == 8;
    return ok_be || ok_le;
}

ms_format ms_format_detect_buffer(const char *name, const uint8_t *head,
                                  size_t len)
{
    static const uint8_t hdf5_sig[8] = {0x89, 'H', 'D', 'F',
                                        '\r', '\n', 0x1a, '\n'};
    if (len >= 8 && memcmp(head, hdf5_sig, 8) == 0)
        return MS_FORMAT_MINESCAN;
    /* formats without a signature: their data could look like one */
    if (has_ext(name, "dt1") || has_ext(name, "hd"))
        return MS_FORMAT_DT1;
    if (has_ext(name, "rd3") || has_ext(name, "rd7") || has_ext(name, "rad"))
        return MS_FORMAT_MALA;
    if (looks_dzt(head, len) && !has_ext(name, "sgy") &&
        !has_ext(name, "segy"))
        return MS_FORMAT_DZT;
    if (looks_segy(head, len))
        return MS_FORMAT_SEGY;
    if (has_ext(name, "dzt"))
        return MS_FORMAT_DZT;
    if (has_ext(name, "sgy") || has_ext(name, "segy"))
        return MS_FORMAT_SEGY;
    return MS_FORMAT_UNKNOWN;
}

/* An HDF5 file with /rxs and no format attribute is gprMax output. */
static ms_format hdf5_kind(const char *path)
{
    ms_format f = MS_FORMAT_MINESCAN;
    h5u_silence();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        H5Eclear2(H5E_DEFAULT);
        return f;
    }
    if (H5Aexists(file, "format") <= 0 && H5Lexists(file, "rxs", H5P_DEFAULT) > 0)
        f = MS_FORMAT_GPRMAX;
    H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    return f;
}

ms_format ms_format_detect(const char *path)
{
    h5u_silence();
    uint8_t head[3600];
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        n = fread(head, 1, sizeof head, f);
        fclose(f);
    }
    ms_format fmt = ms_format_detect_buffer(path, head, n);
    /* HDF5 with a user block: the signature at 512, 1024, 2048, ... */
    if (fmt == MS_FORMAT_UNKNOWN && f && H5Fis_hdf5(path) > 0)
        fmt = MS_FORMAT_MINESCAN;
    H5Eclear2(H5E_DEFAULT);
    if (fmt == MS_FORMAT_MINESCAN)
        fmt = hdf5_kind(path);
    return fmt;
}
