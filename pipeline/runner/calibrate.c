/* Calibration: is the OpenCL device faster than the C path here? See
 * calibrate.h. */
#include "runner/calibrate.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "minescan/error.h"
#include "minescan/version.h"
#include "core/files.h"

/* Lane-sized: 25,600 traces of 160 samples (16 MB of radar) on a 20 x 1 m
 * zig-zag, and a two-channel metal detector beside it. */
#define CAL_TRACES 25600
#define CAL_SAMPLES 160
#define CAL_READINGS 20000

static unsigned long long fnv1a(const char *s, unsigned long long h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

void ms_calibration_path(const ms_cl_device_info *dev, char *buf, size_t len)
{
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    unsigned long long h = 1469598103934665603ULL;
    h = fnv1a(dev->platform_name, h);
    h = fnv1a(dev->device_name, h);
    h = fnv1a(dev->version, h);
    h = fnv1a(MINESCAN_VERSION, h);
    if (cache && *cache)
        snprintf(buf, len, "%s/minescan/calibration-%016llx.json", cache, h);
    else
        snprintf(buf, len, "%s/.cache/minescan/calibration-%016llx.json",
                 home && *home ? home : "/tmp", h);
}

/* Noise traces with a ground bounce along a zig-zag: what the stages cost
 * does not depend on what the data shows. */
static ms_recording *synthetic_lane(void)
{
    ms_recording *rec = ms_recording_new();
    ms_gpr *g = rec ? ms_gpr_new(CAL_TRACES, CAL_SAMPLES) : NULL;
    ms_emi *e = g ? ms_emi_new(CAL_READINGS, 2) : NULL;
    if (!e) {
        ms_recording_free(rec);
        return NULL;
    }
    rec->gpr = g;
    rec->emi = e;
    g->sample_interval_s = 6.25e-11;
    g->time_zero_s = 1e-9;
    g->centre_frequency_hz = 1.5e9; /* a hand-held radar's */
    unsigned long long s = 88172645463325252ULL;
    for (size_t i = 0; i < CAL_TRACES; i++) {
        g->x[i] = 20.0 * (double)i / CAL_TRACES;
        g->y[i] = 0.5 + 0.45 * sin(0.05 * (double)i);
        for (size_t j = 0; j < CAL_SAMPLES; j++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            double t = (double)j - 20.0;
            g->data[i * CAL_SAMPLES + j] =
                (float)(exp(-t * t / 8.0) + 0.01 * ((double)(s >> 11) /
                                                    9007199254740992.0));
        }
    }
    for (size_t i = 0; i < CAL_READINGS; i++) {
        e->x[i] = 20.0 * (double)i / CAL_READINGS;
        e->y[i] = 0.5 + 0.45 * sin(0.04 * (double)i);
        e->data[2 * i] = (float)(1.0 + 1e-4 * (double)i);
        e->data[2 * i + 1] = (float)(0.5 + 1e-4 * (double)i);
    }
    rec->lane = (ms_lane){1, 0.0, 20.0, 0.0, 1.0};
    return rec;
}

/* Run the default recipe twice on `choice` (the first run builds kernels
 * and warms caches) and keep the second run's time per step. */
static int time_recipe(ms_device_choice choice, ms_recording *rec,
                       const ms_recipe *recipe, double *seconds)
{
    ms_runner *r = NULL;
    int rc = ms_runner_create(choice, &r);
    for (int pass = 0; !rc && pass < 2; pass++) {
        ms_run *run;
        rc = ms_run_recipe(r, "calibration", rec, recipe, &run);
        if (rc)
            break;
        size_t n;
        const ms_stage_report *rep = ms_run_reports(run, &n);
        for (size_t i = 0; i < n; i++)
            seconds[i] = !strcmp(rep[i].device, "skipped") ? NAN
                                                           : rep[i].seconds;
        ms_run_free(run);
    }
    ms_runner_free(r);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The ICD set-up as the OpenCL loader sees it: OCL_ICD_VENDORS or
 * /etc/OpenCL/vendors, each .icd file's name, size, time and content. */
static unsigned long long icd_signature(void)
{
    const char *dir = getenv("OCL_ICD_VENDORS");
    if (!dir || !*dir)
        dir = "/etc/OpenCL/vendors";
    unsigned long long h = fnv1a(dir, 1469598103934665603ULL);
    h = fnv1a(MINESCAN_VERSION, h);
    DIR *d = opendir(dir);
    struct dirent *e;
    char names[64][256];
    size_t n = 0;
    while (d && (e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.')
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, n, sizeof names[0], compare_names);
    for (size_t i = 0; i < n; i++) {
        char path[4096 + sizeof names], buf[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        h = fnv1a(names[i], h);
        if (stat(path, &st) == 0) {
            snprintf(buf, sizeof buf, "%lld:%lld", (long long)st.st_size,
                     (long long)st.st_mtime);
            h = fnv1a(buf, h);
        }
        FILE *f = fopen(path, "r");
        if (f) {
            size_t got = fread(buf, 1, sizeof buf - 1, f);
            buf[got] = '\0';
            fclose(f);
            h = fnv1a(buf, h);
        }
    }
    return h;
}

static void auto_cache_path(char *buf, size_t len)
{
    const char *cache = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    unsigned long long h = icd_signature();
    if (cache && *cache)
        snprintf(buf, len, "%s/minescan/auto-%016llx.txt", cache, h);
    else
        snprintf(buf, len, "%s/.cache/minescan/auto-%016llx.txt",
                 home && *home ? home : "/tmp", h);
}

int ms_auto_cached_cpu(char *why, size_t len)
{
    char path[4200];
    auto_cache_path(path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t got = fread(why, 1, len - 1, f);
    fclose(f);
    why[got] = '\0';
    return got > 0;
}

void ms_auto_cache_cpu(const char *why)
{
    char path[4200];
    auto_cache_path(path, sizeof path);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rc = ms_make_dirs(path);
    *slash = '/';
    if (!rc)
        ms_write_text_atomic(path, why, strlen(why)); /* a cache: best effort */
}

void ms_auto_cache_clear(void)
{
    char path[4200];
    auto_cache_path(path, sizeof path);
    unlink(path);
}

int ms_calibrate(const ms_cl_device_info *dev, ms_calibration *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->device, sizeof out->device, "%s (%s)", dev->device_name,
             dev->platform_name);
    ms_recipe recipe;
    int rc = ms_recipe_load("default", &recipe);
    if (rc)
        return rc;
    ms_recording *rec = synthetic_lane();
    if (!rec) {
        ms_recipe_free(&recipe);
        return ms_fail(MS_ERR_NOMEM, "calibration: out of memory");
    }
    double t_cpu[64], t_cl[64];
    size_t n = recipe.n_steps < 64 ? recipe.n_steps : 64;
    rc = time_recipe(MS_DEVICE_CPU, rec, &recipe, t_cpu);
    if (!rc)
        rc = time_recipe(MS_DEVICE_OPENCL, rec, &recipe, t_cl);
    out->opencl_faster = !rc;
    for (size_t i = 0; !rc && i < n && i < MS_CAL_MAX_STAGES; i++) {
        ms_calibration_stage *s = &out->stages[out->n_stages++];
        snprintf(s->name, sizeof s->name, "%s#%d", recipe.steps[i].decl->name,
                 recipe.steps[i].line);
        s->cpu_ms = 1e3 * t_cpu[i];
        s->opencl_ms = 1e3 * t_cl[i];
        if (s->opencl_ms > s->cpu_ms && out->opencl_faster) {
            out->opencl_faster = 0;
            snprintf(out->slower_stage, sizeof out->slower_stage, "%s",
                     s->name);
        }
    }
    out->when = time(NULL);
    ms_recording_free(rec);
    ms_recipe_free(&recipe);
    return rc;
}

int ms_calibration_save(const ms_cl_device_info *dev, const ms_calibration *c)
{
    char path[4096];
    ms_calibration_path(dev, path, sizeof path);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int rc = ms_make_dirs(path);
    *slash = '/';
    if (rc)
        return rc;
    json_t *root = json_object(), *stages = json_array();
    json_object_set_new(root, "device", json_string(c->device));
    json_object_set_new(root, "minescan", json_string(MINESCAN_VERSION));
    json_object_set_new(root, "when", json_integer((json_int_t)c->when));
    json_object_set_new(root, "traces", json_integer(CAL_TRACES));
    json_object_set_new(root, "samples", json_integer(CAL_SAMPLES));
    json_object_set_new(root, "opencl_faster", json_boolean(c->opencl_faster));
    json_object_set_new(root, "slower_stage", json_string(c->slower_stage));
    for (size_t i = 0; i < c->n_stages; i++)
        json_array_append_new(stages,
                              json_pack("{s:s, s:f, s:f}", "stage",
                                        c->stages[i].name, "cpu_ms",
                                        c->stages[i].cpu_ms, "opencl_ms",
                                        c->stages[i].opencl_ms));
    json_object_set_new(root, "stages", stages);
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    if (!text)
        return ms_fail(MS_ERR_NOMEM, "out of memory");
    rc = ms_write_text_atomic(path, text, strlen(text));
    free(text);
    ms_auto_cache_clear(); /* auto decides afresh from this */
    return rc;
}

int ms_calibration_load(const ms_cl_device_info *dev, ms_calibration *out)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    ms_calibration_path(dev, path, sizeof path);
    json_error_t err;
    json_t *root = json_load_file(path, 0, &err);
    if (!root)
        return MS_ERR_NOT_FOUND;
    json_t *faster = json_object_get(root, "opencl_faster");
    json_t *slower = json_object_get(root, "slower_stage");
    json_t *stages = json_object_get(root, "stages");
    int rc = json_is_boolean(faster) && json_is_array(stages) ? 0
                                                              : MS_ERR_NOT_FOUND;
    if (!rc) {
        out->opencl_faster = json_is_true(faster);
        snprintf(out->slower_stage, sizeof out->slower_stage, "%s",
                 json_is_string(slower) ? json_string_value(slower) : "");
        out->when = (time_t)json_integer_value(json_object_get(root, "when"));
        size_t i;
        json_t *s;
        json_array_foreach(stages, i, s)
        {
            if (out->n_stages == MS_CAL_MAX_STAGES)
                break;
            ms_calibration_stage *cs = &out->stages[out->n_stages++];
            const char *name = json_string_value(json_object_get(s, "stage"));
            snprintf(cs->name, sizeof cs->name, "%s", name ? name : "?");
            cs->cpu_ms = json_number_value(json_object_get(s, "cpu_ms"));
            cs->opencl_ms = json_number_value(json_object_get(s, "opencl_ms"));
        }
    }
    json_decref(root);
    return rc;
}
