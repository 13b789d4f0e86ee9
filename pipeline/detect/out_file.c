/* Output files written atomically: see detect_internal.h. */
#include "detect/detect_internal.h"

#include "minescan/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ms_detect_out_open(ms_detect_out *o, const char *path)
{
    o->f = NULL;
    o->path = path;
    o->tmp = NULL;
    if (!path || !*path)
        return ms_fail(MS_ERR_INVALID_INPUT, "output: no file name given");
    size_t len = strlen(path);
    o->tmp = malloc(len + 5);
    if (!o->tmp)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    memcpy(o->tmp, path, len);
    memcpy(o->tmp + len, ".tmp", 5);
    o->f = fopen(o->tmp, "w");
    if (!o->f) {
        int rc = ms_fail(MS_ERR_IO,
                         "%s: cannot create %s: %s (does the output folder "
                         "exist, and is it writable?)",
                         path, o->tmp, strerror(errno));
        free(o->tmp);
        o->tmp = NULL;
        return rc;
    }
    return 0;
}

int ms_detect_out_commit(ms_detect_out *o)
{
    int rc = 0;
    /* a full disk often shows only at flush or close */
    int write_failed = fflush(o->f) != 0 || ferror(o->f);
    int err = errno;
    if (fclose(o->f) != 0 && !write_failed) {
        write_failed = 1;
        err = errno;
    }
    o->f = NULL;
    if (write_failed) {
        rc = ms_fail(MS_ERR_IO, "%s: writing failed: %s", o->path,
                     strerror(err));
        remove(o->tmp);
    } else if (rename(o->tmp, o->path) != 0) {
        rc = ms_fail(MS_ERR_IO, "%s: cannot move %s into place: %s", o->path,
                     o->tmp, strerror(errno));
        remove(o->tmp);
    }
    free(o->tmp);
    o->tmp = NULL;
    return rc;
}

void ms_detect_out_abort(ms_detect_out *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp)
        remove(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
}
