/* Help text generated from the stage declarations and recipes. */
#include "cli/cli_common.h"

#include <stdlib.h>
#include <unistd.h>

#include "minescan/error.h"

#include "core/i18n.h"

#include "recipe/recipe.h"
#include "stages/stage.h"

void ms_cli_print_stages(FILE *f)
{
    fprintf(f, "Stages (recipe line: stage NAME key=value ... [in=a,b] "
               "[out=c,d]):\n");
    for (size_t i = 0; ms_stage_registry[i]; i++) {
        const ms_stage_decl *d = ms_stage_registry[i];
        fprintf(f, "  %s: %s\n", d->name, d->summary);
        fprintf(f, "      in=");
        for (unsigned k = 0; k < d->n_in; k++)
            fprintf(f, "%s%s", k ? "," : "", d->in_slots[k]);
        fprintf(f, "  out=");
        for (unsigned k = 0; k < d->n_out; k++)
            fprintf(f, "%s%s", k ? "," : "", d->out_slots[k]);
        fprintf(f, "\n");
        for (unsigned k = 0; k < d->n_params; k++) {
            const ms_param_decl *p = &d->params[k];
            fprintf(f, "      %-16s %s, default %g, range [%g, %g]%s%s: %s\n",
                    p->name, p->type == MS_PARAM_INT ? "integer" : "number",
                    p->def, p->min, p->max, *p->unit ? " " : "", p->unit,
                    p->help);
        }
    }
}

void ms_cli_print_recipes(FILE *f, int with_text)
{
    for (const ms_builtin_recipe *b = ms_builtin_recipes; b->name; b++) {
        fprintf(f, "%-10s %s\n", b->name, b->description);
        if (with_text)
            fprintf(f, "%s\n", b->text);
    }
}

void ms_cli_print_device_help(FILE *f)
{
    fprintf(f,
            "  --device auto|opencl|cpu  where stages run (default: "
            "$MINESCAN_DEVICE, else auto).\n"
            "                            auto prefers a GPU, then any OpenCL "
            "device, then the C path\n");
}

int ms_cli_positive(const char *cmd, const char *name, const char *s,
                    double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 1e9) {
        fprintf(stderr, "minescan %s: %s %s: expected a positive number\n",
                cmd, name, s);
        return 2;
    }
    *out = v;
    return 0;
}

int ms_cli_process_option(const char *cmd, int c, const char *arg,
                          ms_process_options *opt, ms_device_choice *device)
{
    switch (c) {
    case 'r':
        opt->recipe = arg;
        return 0;
    case 'd':
        if (ms_device_choice_parse(arg, device)) {
            fprintf(stderr, "minescan %s: --device: %s\n", cmd,
                    ms_error_message());
            return 2;
        }
        opt->device_requested = ms_device_choice_name(*device);
        return 0;
    case 's':
        if (opt->n_overrides == sizeof opt->overrides / sizeof opt->overrides[0]) {
            fprintf(stderr, "minescan %s: too many --set options\n", cmd);
            return 2;
        }
        opt->overrides[opt->n_overrides++] = arg;
        return 0;
    case 't':
        return ms_cli_positive(cmd, "--threshold", arg, &opt->alarm_threshold);
    case 'S':
        return ms_cli_positive(cmd, "--separation", arg,
                               &opt->alarm_separation_m);
    case 'H':
        return ms_cli_positive(cmd, "--halo", arg, &opt->halo_m);
    case 'Z':
        return ms_cli_positive(cmd, "--sensor-threshold", arg,
                               &opt->sensor_threshold);
    case 'F':
        return ms_cli_positive(cmd, "--footprint-m", arg, &opt->footprint_m);
    case 'V':
        return ms_cli_positive(cmd, "--speed-limit", arg,
                               &opt->speed_limit_m_s);
    case 'X':
        return ms_cli_positive(cmd, "--dx", arg, &opt->dx_m);
    case 'L': {
        /* one language per process, chosen before any work (and before a
         * batch forks its workers) */
        int rc = ms_lang_set(arg);
        if (rc)
            fprintf(stderr, "minescan %s: %s\n", cmd, ms_error_message());
        return rc ? ms_exit_code(rc) : 0;
    }
    }
    return -1;
}

int ms_cli_device_from_env(const char *cmd, ms_process_options *opt,
                           ms_device_choice *device)
{
    if (opt->device_requested)
        return 0;
    if (ms_device_choice_default(device)) {
        fprintf(stderr, "minescan %s: %s\n", cmd, ms_error_message());
        return 2;
    }
    opt->device_requested = ms_device_choice_name(*device);
    return 0;
}

void ms_cli_print_process_help(FILE *f)
{
    ms_process_options d = ms_process_options_default();
    fprintf(f,
            "  --recipe NAME|FILE        recipe (default: %s; minescan recipes "
            "lists them)\n"
            "  --set STAGE.KEY=VALUE     override a stage parameter on every line "
            "of that stage;\n"
            "                            STAGE#N.KEY=VALUE on its Nth line only "
            "(repeatable)\n"
            "  --threshold Z             alarm threshold on the final map, "
            "default %g, range > 0\n"
            "  --separation M            minimum distance between alarms, "
            "default %g m\n"
            "  --halo M                  scoring halo radius, default %g m\n"
            "  --sensor-threshold Z      an alarm's detectors column names "
            "each sensor whose\n"
            "                            map is at least Z there, default %g\n"
            "  --footprint-m M           sweep quality: sensor footprint "
            "(diameter), default %g m\n"
            "  --speed-limit V           sweep quality: speed limit, default "
            "%g m/s\n"
            "  --lang " MS_LANGS "         language of the pages' and images' "
            "labels (default en)\n"
            "  --dx M                    trace spacing in metres for a radar "
            "field file recorded\n"
            "                            in time mode (DZT rhf_spm 0, MALA "
            "DISTANCE INTERVAL 0);\n"
            "                            overrides a field file's own "
            "spacing\n",
            d.recipe, d.alarm_threshold, d.alarm_separation_m, d.halo_m,
            d.sensor_threshold, d.footprint_m, d.speed_limit_m_s);
    ms_cli_print_device_help(f);
}

int ms_cli_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

int ms_cli_batch_option(const char *cmd, int c, const char *arg,
                        ms_batch_options *opt)
{
    double v;
    switch (c) {
    case 'T':
        return ms_cli_positive(cmd, "--timeout", arg, &opt->timeout_s) ? 2
                                                                        : 0;
    case 'j':
        if (ms_cli_positive(cmd, "--jobs", arg, &v))
            return 2;
        if (v != (int)v || v > 256) {
            fprintf(stderr, "minescan %s: --jobs %s: expected a whole number "
                            "from 1 to 256\n", cmd, arg);
            return 2;
        }
        opt->jobs = (int)v;
        return 0;
    case 'f':
        opt->force = 1;
        return 0;
    }
    return -1;
}

int ms_cli_check_recipe(const ms_process_options *po)
{
    ms_recipe recipe = {0}; /* freed below even when loading failed */
    int rc = ms_recipe_load(po->recipe ? po->recipe : "default", &recipe);
    for (size_t i = 0; !rc && i < po->n_overrides; i++)
        rc = ms_recipe_override(&recipe, po->overrides[i]);
    if (!rc)
        rc = ms_recipe_validate(&recipe);
    ms_recipe_free(&recipe);
    if (rc) {
        fprintf(stderr, "%s\n", ms_error_message());
        return 2;
    }
    return 0;
}

ms_batch_options ms_cli_batch_defaults(int jobs)
{
    ms_batch_options opt = {0};
    opt.process = ms_process_options_default();
    opt.process.device_requested = NULL; /* set by --device, else the env */
    opt.jobs = jobs;
    return opt;
}

int ms_cli_batch_common_option(const char *cmd, int c, const char *arg,
                               ms_batch_options *opt)
{
    int rc = ms_cli_process_option(cmd, c, arg, &opt->process, &opt->device);
    return rc >= 0 ? rc : ms_cli_batch_option(cmd, c, arg, opt);
}

int ms_cli_batch_ready(const char *cmd, ms_batch_options *opt)
{
    if (ms_cli_device_from_env(cmd, &opt->process, &opt->device) ||
        ms_cli_check_recipe(&opt->process))
        return 2;
    return 0;
}
