/* Typed HDF5 helpers: see h5util.h. */
#include "io/h5util.h"

#include "core/memory.h"
#include "minescan/recording.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void h5u_ctx_init(h5u_ctx *c, const char *file, ms_diag *diag)
{
    memset(c, 0, sizeof *c);
    c->file = file;
    c->diag = diag;
    ms_diag_init(&c->warnings);
}

void h5u_ctx_flush_warnings(h5u_ctx *c)
{
    if (c->diag)
        for (size_t i = 0; i < c->warnings.n; i++)
            ms_diag_add(c->diag, "%s", c->warnings.lines[i]);
    ms_diag_free(&c->warnings);
}

void h5u_ctx_free(h5u_ctx *c) { ms_diag_free(&c->warnings); }

static void vformat(char *buf, size_t n, const h5u_ctx *c, const char *path,
                    const char *fmt, va_list ap)
{
    int k = path ? snprintf(buf, n, "%s: %s: ", c->file, path)
                 : snprintf(buf, n, "%s: ", c->file);
    if (k < 0 || (size_t)k >= n)
        return;
    vsnprintf(buf + k, n - (size_t)k, fmt, ap);
}

int h5u_defect(h5u_ctx *c, int code, const char *path, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vformat(line, sizeof line, c, path, fmt, ap);
    va_end(ap);
    if (c->diag)
        ms_diag_add(c->diag, "%s", line);
    if (c->n_defects++ == 0) {
        c->code = code;
        ms_fail(code, "%s", line);
    } else if (code == MS_ERR_NOMEM || code == MS_ERR_INTERNAL) {
        c->code = code; /* an environment failure outranks a bad file */
    }
    return code;
}

void h5u_warn(h5u_ctx *c, const char *path, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vformat(line, sizeof line, c, path, fmt, ap);
    va_end(ap);
    ms_diag_add(&c->warnings, "%s", line);
}

void h5u_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

typedef struct {
    char *buf;
    size_t n;
} err_walk;

static herr_t err_walk_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    err_walk *w = data;
    /* Walking upward, the first entry is where HDF5 detected the problem:
     * the most specific description ("truncated file: eof = ..."). */
    if (w->buf[0] == '\0' && e->desc && e->desc[0])
        snprintf(w->buf, w->n, "%s", e->desc);
    (void)n;
    return 0;
}

void h5u_error_text(char *buf, size_t n)
{
    err_walk w = {buf, n};
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, err_walk_cb, &w);
    H5Eclear2(H5E_DEFAULT);
    if (buf[0] == '\0')
        snprintf(buf, n, "no detail from libhdf5");
}

void h5u_join(char *buf, size_t n, const char *group, const char *name)
{
    if (strcmp(group, "/") == 0)
        snprintf(buf, n, "/%s", name);
    else
        snprintf(buf, n, "%s/%s", group, name);
}

int h5u_check_file(h5u_ctx *c)
{
    struct stat st;
    if (stat(c->file, &st) != 0) {
        int e = errno;
        return h5u_defect(c, e == ENOENT ? MS_ERR_NOT_FOUND
                                         : MS_ERR_INVALID_INPUT,
                          NULL, "cannot open: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode))
        return h5u_defect(c, MS_ERR_INVALID_INPUT, NULL,
                          "not a regular file");
    if (st.st_size == 0)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, NULL,
                          "empty file (0 bytes), not an HDF5 file");
    if (access(c->file, R_OK) != 0)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, NULL, "cannot read: %s",
                          strerror(errno));
    htri_t is = H5Fis_hdf5(c->file);
    if (is == 0)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, NULL,
                          "not an HDF5 file (no HDF5 signature found)");
    if (is < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        return h5u_defect(c, MS_ERR_INVALID_INPUT, NULL,
                          "not a readable HDF5 file (%s)", why);
    }
    return 0;
}

int h5u_open_file(h5u_ctx *c, hid_t *file)
{
    int ret = 0;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    *file = H5I_INVALID_HID;
    if (fapl < 0) {
        ret = h5u_defect(c, MS_ERR_INTERNAL, NULL,
                         "libhdf5 could not create a property list");
        goto done;
    }
    /* Closing the file then closes anything a failed path left open. */
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    *file = H5Fopen(c->file, H5F_ACC_RDONLY, fapl);
    if (*file < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, NULL,
                         "libhdf5 cannot open it (%s); the file is "
                         "truncated or corrupt",
                         why);
    }
done:
    if (fapl >= 0)
        H5Pclose(fapl);
    return ret;
}

int h5u_open_image(h5u_ctx *c, const void *image, size_t len, hid_t *file)
{
    *file = H5I_INVALID_HID;
    if (len < 8 || memcmp(image, "\x89HDF\r\n\x1a\n", 8) != 0)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, NULL,
                          "not an HDF5 file (no HDF5 signature found)");
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    int ret = 0;
    /* The core driver on a copy of the image: nothing touches the disk. */
    if (fapl < 0 || H5Pset_fapl_core(fapl, 65536, 0) < 0 ||
        H5Pset_file_image(fapl, (void *)image, len) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
        ret = h5u_defect(c, MS_ERR_INTERNAL, NULL,
                         "libhdf5 could not set up an in-memory file");
    else if ((*file = H5Fopen(c->file, H5F_ACC_RDONLY, fapl)) < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, NULL,
                         "libhdf5 cannot open it (%s); the file is "
                         "truncated or corrupt", why);
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    return ret;
}

int h5u_child_kind(hid_t loc, const char *name)
{
    htri_t e = H5Lexists(loc, name, H5P_DEFAULT);
    if (e == 0)
        return H5U_ABSENT;
    if (e < 0)
        return H5U_BROKEN;
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o < 0) {
        H5Eclear2(H5E_DEFAULT);
        return H5U_BROKEN;
    }
    H5I_type_t t = H5Iget_type(o);
    H5Oclose(o);
    return t == H5I_GROUP ? H5U_GROUP : t == H5I_DATASET ? H5U_DATASET
                                                         : H5U_OTHER;
}

static const char *kind_name(int kind)
{
    switch (kind) {
    case H5U_GROUP: return "a group";
    case H5U_DATASET: return "a dataset";
    case H5U_BROKEN: return "a link that cannot be followed";
    default: return "a named datatype";
    }
}

int h5u_open_group(h5u_ctx *c, hid_t loc, const char *gpath, const char *name,
                   int required, hid_t *grp)
{
    char path[H5U_PATH_MAX];
    h5u_join(path, sizeof path, gpath, name);
    *grp = H5I_INVALID_HID;
    int kind = h5u_child_kind(loc, name);
    if (kind == H5U_ABSENT)
        return required ? h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                                     "required group is missing")
                        : MS_ERR_NOT_FOUND;
    if (kind != H5U_GROUP)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "is %s; it must be a group", kind_name(kind));
    *grp = H5Gopen2(loc, name, H5P_DEFAULT);
    if (*grp < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "libhdf5 cannot open the group (%s)", why);
    }
    return 0;
}

void h5u_type_name(hid_t type, char *buf, size_t n)
{
    H5T_class_t cls = H5Tget_class(type);
    size_t bits = H5Tget_size(type) * 8;
    const char *be = H5Tget_order(type) == H5T_ORDER_BE ? " big-endian" : "";
    switch (cls) {
    case H5T_INTEGER:
        snprintf(buf, n, "%sint%zu%s",
                 H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits, be);
        break;
    case H5T_FLOAT: snprintf(buf, n, "float%zu%s", bits, be); break;
    case H5T_STRING:
        if (H5Tis_variable_str(type) > 0)
            snprintf(buf, n, "variable-length string");
        else
            snprintf(buf, n, "fixed-length string of %zu bytes", bits / 8);
        break;
    case H5T_ENUM: snprintf(buf, n, "enum"); break;
    case H5T_COMPOUND: snprintf(buf, n, "compound"); break;
    case H5T_ARRAY: snprintf(buf, n, "array type"); break;
    case H5T_VLEN: snprintf(buf, n, "variable-length sequence"); break;
    case H5T_OPAQUE: snprintf(buf, n, "opaque"); break;
    case H5T_REFERENCE: snprintf(buf, n, "reference"); break;
    case H5T_BITFIELD: snprintf(buf, n, "bitfield"); break;
    default: snprintf(buf, n, "unknown type"); break;
    }
}

static void shape_str(char *buf, size_t n, int rank, const hsize_t *dims)
{
    size_t k = 0;
    buf[0] = '\0';
    if (rank == 0)
        snprintf(buf, n, "a scalar");
    for (int i = 0; i < rank && k < n; i++) {
        int w = snprintf(buf + k, n - k, "[%" PRIuMAX "]", (uintmax_t)dims[i]);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}

int h5u_check_size(h5u_ctx *c, const char *path, uint64_t n, uint64_t m,
                   uint64_t elem)
{
    char what[96];
    if (m == 1)
        snprintf(what, sizeof what, "%" PRIu64 " values", n);
    else
        snprintf(what, sizeof what, "%" PRIu64 " x %" PRIu64 " values", n, m);
    const char *limit;
    double cap = ms_memory_budget(&limit);
    if ((m && n > UINT64_MAX / m) || (elem && n * m > UINT64_MAX / elem))
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "claims %s, too many to address; the file is "
                          "corrupt",
                          what);
    uint64_t bytes = n * m * elem;
    if ((double)bytes > cap)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "claims %s (%.3g GiB in memory), more than this "
                          "run may take (%.3g GiB, %s); the file is corrupt "
                          "or too big for this machine",
                          what, (double)bytes / (1 << 30), cap / (1 << 30),
                          limit);
    return 0;
}

/* ---- strings ------------------------------------------------------- */

/* Copy the first `len` bytes (up to a NUL) without trailing NUL/space. */
static char *dup_trim(const char *s, size_t len)
{
    len = strnlen(s, len);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\0'))
        len--;
    char *r = malloc(len + 1);
    if (r) {
        memcpy(r, s, len);
        r[len] = '\0';
    }
    return r;
}

void h5u_free_strings(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* Bytes per string while reading: a pointer, or the fixed size (which a
 * corrupt file may claim to be gigabytes). */
static uint64_t string_bytes(hid_t type)
{
    if (H5Tis_variable_str(type) > 0)
        return sizeof(char *);
    size_t sz = H5Tget_size(type);
    return sz ? sz : 1;
}

/* Read n strings (attribute or whole dataset) into out[n] (caller's array,
 * zeroed). Returns 0, MS_ERR_NOMEM or MS_ERR_IO (HDF5 read failure). */
static int read_strings(hid_t obj, int is_attr, hid_t ftype, size_t n,
                        char **out)
{
    int ret = 0;
    hid_t mt = H5Tcopy(H5T_C_S1);
    char **vl = NULL;
    char *fixed = NULL;
    if (mt < 0)
        return MS_ERR_IO;
    /* Same character set as stored: libhdf5 does not convert between
     * ASCII and UTF-8. */
    H5Tset_cset(mt, H5Tget_cset(ftype));
    if (H5Tis_variable_str(ftype) > 0) {
        H5Tset_size(mt, H5T_VARIABLE);
        vl = calloc(n ? n : 1, sizeof *vl);
        if (!vl) {
            ret = MS_ERR_NOMEM;
            goto done;
        }
        herr_t r = is_attr ? H5Aread(obj, mt, vl)
                           : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, vl);
        if (r < 0) {
            ret = MS_ERR_IO;
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            out[i] = dup_trim(vl[i] ? vl[i] : "", vl[i] ? strlen(vl[i]) : 0);
            if (!out[i])
                ret = MS_ERR_NOMEM;
        }
    } else {
        size_t sz = H5Tget_size(ftype);
        if (sz == 0 || (n && sz > SIZE_MAX / n)) {
            ret = MS_ERR_IO;
            goto done;
        }
        H5Tset_size(mt, sz);
        H5Tset_strpad(mt, H5T_STR_NULLPAD);
        fixed = malloc(n ? n * sz : 1);
        if (!fixed) {
            ret = MS_ERR_NOMEM;
            goto done;
        }
        herr_t r = is_attr
                       ? H5Aread(obj, mt, fixed)
                       : H5Dread(obj, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed);
        if (r < 0) {
            ret = MS_ERR_IO;
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            out[i] = dup_trim(fixed + i * sz, sz);
            if (!out[i])
                ret = MS_ERR_NOMEM;
        }
    }
done:
    if (vl) {
        for (size_t i = 0; i < n; i++)
            if (vl[i])
                H5free_memory(vl[i]);
        free(vl);
    }
    free(fixed);
    H5Tclose(mt);
    return ret;
}

/* ---- attributes ------------------------------------------------------ */

static int open_attr(h5u_ctx *c, hid_t obj, const char *path, const char *name,
                     int required, hid_t *attr)
{
    *attr = H5I_INVALID_HID;
    htri_t e = H5Aexists(obj, name);
    if (e < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "cannot look up attribute %s (%s)", name, why);
    }
    if (e == 0)
        return required ? h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                                     "required attribute %s is missing", name)
                        : MS_ERR_NOT_FOUND;
    *attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (*attr < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "cannot open attribute %s (%s)", name, why);
    }
    return 0;
}

/* Number of values in a dataspace; -1 for a null dataspace or error. */
static hssize_t space_points(hid_t space)
{
    H5S_class_t cls = H5Sget_simple_extent_type(space);
    if (cls == H5S_NULL || cls == H5S_NO_CLASS)
        return -1;
    return H5Sget_simple_extent_npoints(space);
}

static int attr_strings(h5u_ctx *c, hid_t obj, const char *path,
                        const char *name, int required, int want_one,
                        char ***out, size_t *n_out)
{
    int ret = 0;
    hid_t attr = H5I_INVALID_HID, type = H5I_INVALID_HID,
          space = H5I_INVALID_HID;
    char **s = NULL;
    size_t n = 0;
    char tname[64];

    ret = open_attr(c, obj, path, name, required, &attr);
    if (ret)
        goto done;
    type = H5Aget_type(attr);
    space = H5Aget_space(attr);
    if (type < 0 || space < 0) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute %s cannot be read", name);
        goto done;
    }
    if (H5Tget_class(type) != H5T_STRING) {
        h5u_type_name(type, tname, sizeof tname);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute %s is stored as %s; it must be a string", name,
                         tname);
        goto done;
    }
    hssize_t np = space_points(space);
    if (np < 0 || (want_one && np != 1)) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute %s holds %" PRIdMAX
                         " strings; it must hold one",
                         name, (intmax_t)(np < 0 ? 0 : np));
        goto done;
    }
    n = (size_t)np;
    if ((ret = h5u_check_size(c, path, n, string_bytes(type), 1)))
        goto done;
    s = calloc(n ? n : 1, sizeof *s);
    if (!s) {
        ret = h5u_defect(c, MS_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    int r = read_strings(attr, 1, type, n, s);
    if (r) {
        char why[512];
        h5u_error_text(why, sizeof why);
        ret = h5u_defect(c, r == MS_ERR_NOMEM ? MS_ERR_NOMEM
                                               : MS_ERR_INVALID_INPUT,
                         path, "attribute %s cannot be read (%s)", name,
                         r == MS_ERR_NOMEM ? "out of memory" : why);
        goto done;
    }
    *out = s;
    *n_out = n;
    s = NULL;
done:
    h5u_free_strings(s, n);
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (attr >= 0)
        H5Aclose(attr);
    return ret;
}

int h5u_attr_string(h5u_ctx *c, hid_t obj, const char *path, const char *name,
                    int required, char **out)
{
    char **s = NULL;
    size_t n = 0;
    int ret = attr_strings(c, obj, path, name, required, 1, &s, &n);
    if (ret == 0 && s && n == 1) {
        *out = s[0];
        free(s);
    }
    return ret;
}

int h5u_attr_strings(h5u_ctx *c, hid_t obj, const char *path,
                     const char *name, char ***out, size_t *n)
{
    return attr_strings(c, obj, path, name, 0, 0, out, n);
}

int h5u_attr_doubles(h5u_ctx *c, hid_t obj, const char *path,
                     const char *name, int required, double *out, size_t n)
{
    int ret = 0;
    hid_t attr = H5I_INVALID_HID, type = H5I_INVALID_HID,
          space = H5I_INVALID_HID;
    char tname[64];

    ret = open_attr(c, obj, path, name, required, &attr);
    if (ret)
        goto done;
    type = H5Aget_type(attr);
    space = H5Aget_space(attr);
    if (type < 0 || space < 0) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute %s cannot be read", name);
        goto done;
    }
    H5T_class_t cls = H5Tget_class(type);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        h5u_type_name(type, tname, sizeof tname);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute %s is stored as %s; it must be a number", name,
                         tname);
        goto done;
    }
    hssize_t np = space_points(space);
    if (np < 0 || (size_t)np != n) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute %s holds %" PRIdMAX
                         " values; it must hold %zu",
                         name, (intmax_t)(np < 0 ? 0 : np), n);
        goto done;
    }
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, out) < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute %s cannot be read (%s)", name, why);
        goto done;
    }
done:
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (attr >= 0)
        H5Aclose(attr);
    return ret;
}

int h5u_attr_double(h5u_ctx *c, hid_t obj, const char *path, const char *name,
                    int required, double *out)
{
    return h5u_attr_doubles(c, obj, path, name, required, out, 1);
}

/* ---- numeric datasets ------------------------------------------------ */

/* Is `type` acceptable under `accept`? */
static int type_accepted(hid_t type, unsigned accept)
{
    H5T_class_t cls = H5Tget_class(type);
    size_t sz = H5Tget_size(type);
    if (accept & H5U_ACCEPT_DATA) {
        if (cls == H5T_FLOAT && (sz == 4 || sz == 8))
            return 1;
        if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2 &&
            (sz == 2 || sz == 4))
            return 1;
    }
    if (accept & H5U_ACCEPT_INTEGER) {
        if (cls == H5T_INTEGER)
            return 1;
        if (cls == H5T_ENUM) {
            hid_t base = H5Tget_super(type);
            int ok = base >= 0 && H5Tget_class(base) == H5T_INTEGER;
            if (base >= 0)
                H5Tclose(base);
            return ok;
        }
    }
    return 0;
}

/* Read the optional CF attributes of a dataset into num. */
static int read_cf(h5u_ctx *c, hid_t dset, const char *path, h5u_num *num)
{
    int ret = 0, r;
    num->scale = 1.0;
    num->offset = 0.0;
    num->has_fill = 0;
    if (num->cls == H5T_ENUM)
        return 0;
    r = h5u_attr_double(c, dset, path, "scale_factor", 0, &num->scale);
    if (r == MS_ERR_NOT_FOUND)
        num->scale = 1.0;
    else if (r)
        ret = r;
    else if (!isfinite(num->scale) || num->scale == 0)
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute scale_factor is %g; it must be finite "
                         "and non-zero",
                         num->scale);
    r = h5u_attr_double(c, dset, path, "add_offset", 0, &num->offset);
    if (r == MS_ERR_NOT_FOUND)
        num->offset = 0.0;
    else if (r)
        ret = r;
    else if (!isfinite(num->offset))
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "attribute add_offset is %g; it must be finite",
                         num->offset);
    r = h5u_attr_double(c, dset, path, "_FillValue", 0, &num->fill);
    if (r == 0)
        num->has_fill = 1;
    else if (r != MS_ERR_NOT_FOUND)
        ret = r;
    return ret;
}

/* Names for the registered filters people meet most, for the message
 * when the file does not carry the name. */
static const char *known_filter(H5Z_filter_t id)
{
    switch (id) {
    case 307: return "bzip2";
    case 32001: return "Blosc";
    case 32004: return "LZ4";
    case 32008: return "bitshuffle";
    case 32013: return "ZFP";
    case 32015: return "Zstandard";
    case 32017: return "SZ";
    default: return "unnamed";
    }
}

/* Every filter in the dataset's pipeline must be decodable here. */
static int check_filters(h5u_ctx *c, hid_t dset, const char *path)
{
    int ret = 0;
    hid_t dcpl = H5Dget_create_plist(dset);
    if (dcpl < 0)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "cannot read its storage properties");
    int nf = H5Pget_nfilters(dcpl);
    for (int i = 0; i < nf; i++) {
        unsigned flags = 0, config = 0, info = 0;
        size_t nelmts = 0;
        char name[128] = "";
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelmts,
                                         NULL, sizeof name, name, &config);
        if (id < 0) {
            ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                             "its filter pipeline cannot be read");
            break;
        }
        htri_t avail = H5Zfilter_avail(id);
        if (avail > 0 && H5Zget_filter_info(id, &info) < 0)
            info = 0;
        if (avail <= 0 || !(info & H5Z_FILTER_CONFIG_DECODE_ENABLED)) {
            H5Eclear2(H5E_DEFAULT);
            ret = h5u_defect(c, MS_ERR_UNSUPPORTED, path,
                             "compressed with filter %d (%s), which this "
                             "libhdf5 cannot decode; rewrite the dataset "
                             "with deflate (gzip) compression or none",
                             (int)id, name[0] ? name : known_filter(id));
        }
    }
    H5Pclose(dcpl);
    return ret;
}

/* Blocks of rows are read one after another; when a chunk spans more
 * rows than a block, libhdf5's default 1 MiB chunk cache would decompress
 * it again for every block. Reopen such a dataset with a cache that holds
 * one band of chunks across all columns (within reason). Returns the
 * dataset to use (the same one when nothing changes). */
static hid_t with_chunk_cache(hid_t loc, const char *name, hid_t d,
                              hsize_t cols, size_t elem)
{
    hid_t dcpl = H5Dget_create_plist(d), dapl = H5I_INVALID_HID;
    hsize_t cd[2] = {0, 0};
    if (dcpl < 0)
        return d;
    if (H5Pget_layout(dcpl) == H5D_CHUNKED &&
        H5Pget_chunk(dcpl, 2, cd) == 2 && cd[0] > 0 && cd[1] > 0) {
        uint64_t across = (cols + cd[1] - 1) / cd[1];
        uint64_t band = across * cd[0] * cd[1] * (elem ? elem : 8);
        uint64_t cap = (uint64_t)(ms_memory_budget(NULL) / 8);
        if (cap > ((uint64_t)1 << 30))
            cap = (uint64_t)1 << 30;
        if (band > ((uint64_t)1 << 20)) {
            if (band > cap)
                band = cap;
            dapl = H5Pcreate(H5P_DATASET_ACCESS);
            if (dapl >= 0 &&
                H5Pset_chunk_cache(dapl, (size_t)(across * 13 + 101),
                                   (size_t)band, 1.0) >= 0) {
                /* Close first: a second open of an open dataset shares
                 * it, cache and all. */
                H5Dclose(d);
                d = H5Dopen2(loc, name, dapl);
                if (d < 0)
                    d = H5Dopen2(loc, name, H5P_DEFAULT);
            }
        }
    }
    H5Eclear2(H5E_DEFAULT);
    if (dapl >= 0)
        H5Pclose(dapl);
    H5Pclose(dcpl);
    return d;
}

int h5u_open_numeric(h5u_ctx *c, hid_t loc, const char *gpath,
                     const char *name, int required, int rank, unsigned accept,
                     hid_t *dset, hsize_t dims[2], h5u_num *num,
                     char path[H5U_PATH_MAX])
{
    int ret = 0, code = 0;
    hid_t d = H5I_INVALID_HID, space = H5I_INVALID_HID,
          type = H5I_INVALID_HID;
    char tname[64], shape[96];
    hsize_t all[H5S_MAX_RANK] = {0};

    h5u_join(path, H5U_PATH_MAX, gpath, name);
    *dset = H5I_INVALID_HID;
    dims[0] = dims[1] = 0;
    memset(num, 0, sizeof *num);

    int kind = h5u_child_kind(loc, name);
    if (kind == H5U_ABSENT) {
        ret = required ? h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                                    "required dataset is missing")
                       : MS_ERR_NOT_FOUND;
        goto done;
    }
    if (kind != H5U_DATASET) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "is %s; it must be a dataset", kind_name(kind));
        goto done;
    }
    d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0 || (space = H5Dget_space(d)) < 0 ||
        (type = H5Dget_type(d)) < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "libhdf5 cannot open the dataset (%s)", why);
        goto done;
    }

    /* Shape. */
    H5S_class_t scls = H5Sget_simple_extent_type(space);
    int r = scls == H5S_SIMPLE ? H5Sget_simple_extent_dims(space, all, NULL)
                               : 0;
    if (scls == H5S_NULL || r < 0) {
        code = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                   "has no extent (null dataspace); it must be %s",
                   rank == 1 ? "1-D" : "2-D");
    } else if (r != rank) {
        shape_str(shape, sizeof shape, r, all);
        if (rank == 1 && r == 2 && (all[1] == 1 || all[0] == 1))
            code = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                       "is %s, a 2-D %s; 1-D datasets must be 1-D ([n]): "
                       "write a vector (numpy: a.ravel())",
                       shape, all[1] == 1 ? "column" : "row");
        else
            code = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                       "has rank %d (%s); it must be %s", r, shape,
                       rank == 1 ? "1-D"
                       : r == 1  ? "2-D (a single column is [n][1])"
                                 : "2-D");
    } else {
        dims[0] = all[0];
        dims[1] = rank == 2 ? all[1] : 1;
    }

    /* Type and its CF attributes. */
    if (!type_accepted(type, accept)) {
        h5u_type_name(type, tname, sizeof tname);
        if (accept & H5U_ACCEPT_DATA)
            code = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                       "is stored as %s, which the format does not accept; "
                       "store float32 (float64, int16 and int32 are also "
                       "accepted)",
                       tname);
        else
            code = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                       "is stored as %s; it must be an integer or boolean",
                       tname);
    } else {
        num->cls = H5Tget_class(type);
        num->size = H5Tget_size(type);
        int r2 = read_cf(c, d, path, num);
        if (r2 && !code)
            code = r2;
    }
    /* A missing filter outranks the other defects: it says "unsupported"
     * rather than "broken". */
    int rf = check_filters(c, d, path);
    if (rf)
        code = rf;
    if (code) {
        ret = code;
        goto done;
    }
    if (rank == 2 &&
        (d = with_chunk_cache(loc, name, d, dims[1], num->size)) < 0) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "libhdf5 cannot reopen the dataset");
        goto done;
    }
    *dset = d;
    d = H5I_INVALID_HID;
done:
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (d >= 0)
        H5Dclose(d);
    return ret;
}

static int read_failed(h5u_ctx *c, const char *path)
{
    char why[512];
    h5u_error_text(why, sizeof why);
    return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                      "libhdf5 cannot read the data (%s); the file is "
                      "corrupt",
                      why);
}

int h5u_read_1d_double(h5u_ctx *c, hid_t dset, const char *path,
                       const h5u_num *num, size_t n, double **out)
{
    int ret = h5u_check_size(c, path, n, 1, sizeof(double));
    if (ret)
        return ret;
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return h5u_defect(c, MS_ERR_NOMEM, path, "out of memory");
    ms_isolated_heartbeat();
    if (n && H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     v) < 0) {
        free(v);
        return read_failed(c, path);
    }
    for (size_t i = 0; i < n; i++) {
        if (num->has_fill && v[i] == num->fill)
            v[i] = NAN;
        else
            v[i] = v[i] * num->scale + num->offset;
    }
    *out = v;
    return 0;
}

int h5u_read_1d_int(h5u_ctx *c, hid_t dset, const char *path, size_t n,
                    int **out)
{
    int ret = h5u_check_size(c, path, n, 1, sizeof(long long));
    hid_t ftype = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    unsigned char *raw = NULL;
    int *v = NULL;
    if (ret)
        return ret;
    ftype = H5Dget_type(dset);
    if (ftype < 0) {
        ret = read_failed(c, path);
        goto done;
    }
    /* An enum (h5py's bool) converts only to an enum: read it as the native
     * version of itself and take the stored integers. */
    H5T_class_t cls = H5Tget_class(ftype);
    if (cls == H5T_ENUM)
        mtype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
    else
        mtype = H5Tcopy(H5T_NATIVE_LLONG);
    if (mtype < 0) {
        ret = read_failed(c, path);
        goto done;
    }
    size_t msz = H5Tget_size(mtype);
    int is_signed = 1;
    if (cls == H5T_ENUM) {
        hid_t base = H5Tget_super(mtype);
        is_signed = H5Tget_sign(base) != H5T_SGN_NONE;
        H5Tclose(base);
    }
    raw = malloc((n ? n : 1) * msz);
    v = malloc((n ? n : 1) * sizeof *v);
    if (!raw || !v) {
        ret = h5u_defect(c, MS_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    if (n && H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
        ret = read_failed(c, path);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = raw + i * msz;
        long long x = 0;
        switch (msz) {
        case 1: x = is_signed ? *(const int8_t *)p : *(const uint8_t *)p; break;
        case 2: {
            int16_t s;
            uint16_t u;
            memcpy(&s, p, 2);
            memcpy(&u, p, 2);
            x = is_signed ? s : u;
            break;
        }
        case 4: {
            int32_t s;
            uint32_t u;
            memcpy(&s, p, 4);
            memcpy(&u, p, 4);
            x = is_signed ? s : (long long)u;
            break;
        }
        default: memcpy(&x, p, sizeof x < msz ? sizeof x : msz); break;
        }
        v[i] = x != 0; /* non-zero: a mine */
    }
    *out = v;
    v = NULL;
done:
    free(raw);
    free(v);
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    return ret;
}

int h5u_read_1d_strings(h5u_ctx *c, hid_t loc, const char *gpath,
                        const char *name, size_t expect_n, char ***out)
{
    int ret = 0;
    hid_t d = H5I_INVALID_HID, space = H5I_INVALID_HID,
          type = H5I_INVALID_HID;
    char path[H5U_PATH_MAX], tname[64], shape[96];
    hsize_t all[H5S_MAX_RANK];
    char **s = NULL;
    size_t n = 0;

    h5u_join(path, sizeof path, gpath, name);
    int kind = h5u_child_kind(loc, name);
    if (kind == H5U_ABSENT)
        return MS_ERR_NOT_FOUND;
    if (kind != H5U_DATASET)
        return h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                          "is %s; it must be a dataset", kind_name(kind));
    d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0 || (space = H5Dget_space(d)) < 0 ||
        (type = H5Dget_type(d)) < 0) {
        char why[512];
        h5u_error_text(why, sizeof why);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "libhdf5 cannot open the dataset (%s)", why);
        goto done;
    }
    if (H5Tget_class(type) != H5T_STRING) {
        h5u_type_name(type, tname, sizeof tname);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "is stored as %s; it must hold strings", tname);
        goto done;
    }
    int r = H5Sget_simple_extent_type(space) == H5S_SIMPLE
                ? H5Sget_simple_extent_dims(space, all, NULL)
                : -1;
    if (r != 1) {
        shape_str(shape, sizeof shape, r < 0 ? 0 : r, all);
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "is %s; it must be 1-D", r < 0 ? "empty" : shape);
        goto done;
    }
    if (all[0] != expect_n) {
        ret = h5u_defect(c, MS_ERR_INVALID_INPUT, path,
                         "has %" PRIuMAX " entries but x has %zu; they must "
                         "be equal",
                         (uintmax_t)all[0], expect_n);
        goto done;
    }
    if ((ret = check_filters(c, d, path)))
        goto done;
    if ((ret = h5u_check_size(c, path, expect_n, string_bytes(type), 1)))
        goto done;
    n = expect_n;
    s = calloc(n ? n : 1, sizeof *s);
    if (!s) {
        ret = h5u_defect(c, MS_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    if (n && (r = read_strings(d, 0, type, n, s)) != 0) {
        ret = r == MS_ERR_NOMEM ? h5u_defect(c, r, path, "out of memory")
                                : read_failed(c, path);
        goto done;
    }
    *out = s;
    s = NULL;
done:
    h5u_free_strings(s, n);
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    if (d >= 0)
        H5Dclose(d);
    return ret;
}

hsize_t h5u_block_rows(hsize_t cols)
{
    hsize_t budget = ((hsize_t)16 << 20) / sizeof(double);
    hsize_t rows = cols ? budget / cols : 4096;
    if (rows > 4096)
        rows = 4096;
    return rows ? rows : 1;
}

int h5u_read_block_f32(h5u_ctx *c, hid_t dset, const char *path,
                       const h5u_num *num, hsize_t row0, hsize_t nrows,
                       hsize_t cols, float *out)
{
    int ret = 0;
    hid_t fs = H5I_INVALID_HID, ms = H5I_INVALID_HID;
    double *tmp = NULL;
    hsize_t start[2] = {row0, 0}, count[2] = {nrows, cols};
    size_t n = (size_t)(nrows * cols);

    ms_isolated_heartbeat(); /* a block at a time: show progress */

    fs = H5Dget_space(dset);
    ms = H5Screate_simple(2, count, NULL);
    if (fs < 0 || ms < 0 ||
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) <
            0) {
        ret = read_failed(c, path);
        goto done;
    }
    int direct = num->cls == H5T_FLOAT && num->size == 4 &&
                 num->scale == 1.0 && num->offset == 0.0;
    if (direct) {
        /* float32 as stored: no copy (either byte order). */
        if (H5Dread(dset, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, out) < 0) {
            ret = read_failed(c, path);
            goto done;
        }
        if (num->has_fill)
            for (size_t i = 0; i < n; i++)
                if ((double)out[i] == num->fill)
                    out[i] = NAN;
        goto done;
    }
    tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) {
        ret = h5u_defect(c, MS_ERR_NOMEM, path, "out of memory");
        goto done;
    }
    if (H5Dread(dset, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, tmp) < 0) {
        ret = read_failed(c, path);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        double v = tmp[i];
        if (num->has_fill && v == num->fill) {
            out[i] = NAN;
            continue;
        }
        v = v * num->scale + num->offset;
        /* A finite value beyond float range saturates rather than turning
         * into a spurious "missing" Inf. */
        if (isfinite(v) && v > FLT_MAX)
            v = FLT_MAX;
        else if (isfinite(v) && v < -FLT_MAX)
            v = -FLT_MAX;
        out[i] = (float)v;
    }
done:
    free(tmp);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    return ret;
}
