/* minescan import-gprmax --truth FILE.json: the objects of a model (which
 * gprMax's output does not hold) become the recording's /truth, and an
 * optional lane its /lane. See import_truth.h. */
#include "cli/import_truth.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"

/* A finite number at key k of object o; `need`: missing is an error. */
static int number(const char *file, const char *where, json_t *o,
                  const char *k, int need, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!v && !need)
        return 1; /* absent */
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: %s.%s: %s (a finite number of metres)", file,
                       where, k, v ? "not a number" : "missing");
    *out = json_number_value(v);
    return 0;
}

static int load_lane(const char *file, json_t *l, ms_lane *lane)
{
    static const char *const keys[4] = {"x_min", "x_max", "y_min", "y_max"};
    double v[4];
    if (!json_is_object(l))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: lane: not an object {x_min, x_max, y_min, y_max}",
                       file);
    for (int k = 0; k < 4; k++) {
        int rc = number(file, "lane", l, keys[k], 1, &v[k]);
        if (rc)
            return rc;
    }
    if (!(v[1] > v[0]) || !(v[3] > v[2]))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: lane: x_max must exceed x_min and y_max y_min",
                       file);
    *lane = (ms_lane){1, v[0], v[1], v[2], v[3]};
    return 0;
}

int ms_import_truth_json(const char *path, ms_recording *rec)
{
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root && err.line < 1) /* could not open or read it */
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: %s", path, err.text);
    if (!root)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: line %d: %s", path,
                       err.line, err.text);
    int rc = 0;
    ms_truth *t = NULL;
    json_t *objs = json_object_get(root, "objects");
    if (!json_is_object(root) || !json_is_array(objs)) {
        rc = ms_fail(MS_ERR_INVALID_INPUT,
                     "%s: objects: missing or not a list of objects", path);
        goto out;
    }
    size_t n = json_array_size(objs);
    if (!(t = ms_truth_new(n))) {
        rc = MS_ERR_NOMEM;
        goto out;
    }
    t->depth = malloc((n ? n : 1) * sizeof *t->depth);
    t->diameter = malloc((n ? n : 1) * sizeof *t->diameter);
    t->label = calloc(n ? n : 1, sizeof *t->label);
    if (!t->depth || !t->diameter || !t->label) {
        rc = ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *o = json_array_get(objs, i);
        char where[48];
        snprintf(where, sizeof where, "objects[%zu]", i);
        if (!json_is_object(o)) {
            rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: %s: not an object", path,
                         where);
            break;
        }
        t->y[i] = 0.0;
        t->depth[i] = NAN;
        t->diameter[i] = NAN;
        json_t *m = json_object_get(o, "is_mine"), *l;
        if (!json_is_integer(m) && !json_is_boolean(m)) {
            rc = ms_fail(MS_ERR_INVALID_INPUT,
                         "%s: %s.is_mine: %s (0 or 1, false or true)", path,
                         where, m ? "not an integer or boolean" : "missing");
            break;
        }
        t->is_mine[i] = json_is_integer(m) ? json_integer_value(m) != 0
                                           : json_is_true(m);
        if ((rc = number(path, where, o, "x", 1, &t->x[i])) < 0 ||
            (rc = number(path, where, o, "y", 0, &t->y[i])) < 0 ||
            (rc = number(path, where, o, "depth", 0, &t->depth[i])) < 0 ||
            (rc = number(path, where, o, "diameter", 0, &t->diameter[i])) < 0)
            break;
        rc = 0;
        if ((l = json_object_get(o, "label")) && !json_is_string(l)) {
            rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: %s.label: not a string",
                         path, where);
            break;
        }
        if (!(t->label[i] = strdup(l ? json_string_value(l) : ""))) {
            rc = ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
    }
    json_t *lane = json_object_get(root, "lane");
    if (!rc && lane)
        rc = load_lane(path, lane, &rec->lane);
    if (!rc) {
        ms_truth_free(rec->truth);
        rec->truth = t;
        t = NULL;
    }
out:
    ms_truth_free(t);
    json_decref(root);
    return rc;
}
