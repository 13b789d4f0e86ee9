/* maps.h5: see maps_write.h. */
#include "report/maps_write.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "minescan/error.h"

static int put_double(hid_t loc, const char *name, double v)
{
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT,
                            H5P_DEFAULT);
    herr_t st = attr < 0 ? -1 : H5Awrite(attr, H5T_NATIVE_DOUBLE, &v);
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    return st < 0 ? -1 : 0;
}

static int put_string(hid_t loc, const char *name, const char *v)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(v) + 1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = attr < 0 ? -1 : H5Awrite(attr, type, v);
    if (attr >= 0)
        H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    return st < 0 ? -1 : 0;
}

static int put_map(hid_t file, const char *name, const ms_map_view *m)
{
    hsize_t dims[2] = {m->ny, m->nx};
    hid_t space = H5Screate_simple(2, dims, NULL);
    hid_t ds = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT,
                          H5P_DEFAULT, H5P_DEFAULT);
    int rc = ds < 0 || H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL,
                                H5P_DEFAULT, m->v) < 0;
    double cell = m->cell; /* square cells from the lane origin */
    if (!rc)
        rc = put_double(ds, "x_min", m->x_min) ||
             put_double(ds, "x_max", m->x_min + cell * (double)dims[1]) ||
             put_double(ds, "y_min", m->y_min) ||
             put_double(ds, "y_max", m->y_min + cell * (double)dims[0]) ||
             put_double(ds, "cell_m", cell);
    if (ds >= 0)
        H5Dclose(ds);
    H5Sclose(space);
    return rc ? -1 : 0;
}

int ms_maps_write(const char *path, const ms_named_map *maps, size_t n,
                  const char *final)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        return ms_fail(MS_ERR_IO, "%s: cannot create (is the folder "
                       "writable?)", path);
    int bad = 0;
    for (size_t i = 0; !bad && i < n; i++)
        bad = put_map(file, maps[i].name, &maps[i].map);
    if (!bad)
        bad = put_string(file, "final_map", final ? final : "");
    bad |= H5Fclose(file) < 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return ms_fail(MS_ERR_IO, "%s: write failed (disk full?)", path);
    }
    return 0;
}
