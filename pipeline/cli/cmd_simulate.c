/* minescan simulate: write a simulated lane with ground truth.
 * Every scenario parameter is also an option; the options come from the
 * scenario table (pipeline/simulate/scenario.c), so --help, the JSON keys
 * and the checks never disagree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "minescan/recording.h"
#include "minescan/simulate.h"

#define CMD "minescan simulate"

static void print_help(FILE *f)
{
    ms_scenario d;
    ms_scenario_init(&d);
    char buf[1024];
    fprintf(f,
            "Usage: " CMD " -o FILE.h5 [--seed N] [--scenario FILE.json] "
            "[OPTION VALUE ...]\n\n"
            "Writes a simulated lane (radar and/or metal detector) with its "
            "ground truth\n(/truth, /lane) and optionally an operator's "
            "/marks. The same scenario and\nseed give identical data. "
            "Defaults, then the scenario file, then the options\non the "
            "command line, whatever their order. The model and its limits: "
            "pipeline/simulate/MODEL.md.\n\n"
            "  -o, --output FILE      the recording to write (required)\n"
            "  --scenario FILE        JSON scenario: sections as below, e.g. "
            "{\"soil\": {\"eps\": 9}},\n"
            "                         and an \"objects\" list of hand-placed "
            "objects\n"
            "                         ({\"type\": \"PMN\", \"x\": 1, \"y\": 0.5, "
            "\"depth_m\": 0.05}; optional\n"
            "                         metal_g, eps, diameter_m, length_m, "
            "azimuth_deg, tracked)\n"
            "  --store float32|int16  sample type of /gpr/data and /emi/data "
            "(default float32)\n"
            "  --deflate N            deflate level 0..9 (default 4)\n"
            "  --print-scenario       print the effective scenario as JSON and "
            "exit (no -o needed)\n"
            "  --quiet                print nothing on success\n"
            "  -h, --help             this text\n\n"
            "Scenario options (--OPTION VALUE or --OPTION=VALUE; JSON key in "
            "brackets; a boolean\noption alone means true, --no-OPTION false):\n");
    const char *section = "";
    size_t slen = (size_t)-1; /* so the first group gets its heading */
    for (size_t i = 0; i < ms_scenario_param_count(); i++) {
        const ms_sim_param *p = ms_scenario_param_at(i);
        const char *dot = strchr(p->key, '.');
        size_t len = dot ? (size_t)(dot - p->key) : 0;
        if (len != slen || strncmp(section, p->key, len) != 0) {
            if (len)
                fprintf(f, "\n %.*s:\n", (int)len, p->key);
            else
                fprintf(f, "\n general:\n");
            section = p->key;
            slen = len;
        }
        char range[160] = "";
        switch (p->kind) {
        case MS_SIM_P_DOUBLE:
        case MS_SIM_P_INT:
            snprintf(range, sizeof range, "range %g..%g%s%s, ", p->min, p->max,
                     p->unit[0] ? " " : "", p->unit);
            break;
        case MS_SIM_P_ENUM:
            snprintf(range, sizeof range, "one of");
            for (int k = 0; p->names[k]; k++)
                if (p->names[k][0])
                    snprintf(range + strlen(range), sizeof range - strlen(range),
                             " %s", p->names[k]);
            snprintf(range + strlen(range), sizeof range - strlen(range), ", ");
            break;
        case MS_SIM_P_LIST:
            snprintf(range, sizeof range, "comma-separated catalogue names, ");
            break;
        case MS_SIM_P_U64:
            snprintf(range, sizeof range, "range 0..2^64-1, ");
            break;
        case MS_SIM_P_BOOL:
            snprintf(range, sizeof range, "true or false, ");
            break;
        case MS_SIM_P_TEXT:
            break;
        }
        const char *def = ms_scenario_format(&d, p, buf, sizeof buf);
        fprintf(f, "  --%-20s %s [%s]\n  %22s %sdefault %s\n", p->option, p->help,
                p->key, "", range, def[0] ? def : "(empty)");
    }
    fprintf(f, "\nCatalogue (types for mine_types, clutter_types and objects):\n");
    for (size_t i = 0; i < ms_sim_catalogue_count(); i++) {
        const ms_sim_catalogue_entry *c = ms_sim_catalogue_at(i);
        fprintf(f, "  %-18s %s %3.0f mm%s%3.0f mm, metal %g g%s: %s\n", c->name,
                c->is_mine ? (c->min_metal ? "mine, min-metal" : "mine           ")
                           : "clutter        ",
                (c->shape == MS_SHAPE_SEGMENT ? c->length_m : c->diameter_m) * 1e3,
                c->shape == MS_SHAPE_SEGMENT ? " long, dia " : " dia x ",
                (c->shape == MS_SHAPE_SEGMENT ? c->diameter_m : c->height_m) * 1e3,
                c->metal_g, c->eps > 0 ? "" : ", metal body", c->note);
    }
    fprintf(f, "\nExit status: 0 written, 2 invalid option or scenario (the "
               "message names the file\nand key), 3 internal error (e.g. the "
               "output cannot be written).\n");
    ms_scenario_free(&d);
}

/* "--name=value" or "--name value"; a boolean may stand alone. Returns the
 * number of arguments used, or -1 when the value is missing. */
static int option_value(int argc, char **argv, int i, const ms_sim_param *p,
                        const char *eq, const char **value)
{
    static const char *const bools[] = {"true", "false", "yes", "no", "on",
                                        "off",  "1",     "0",   NULL};
    if (eq) {
        *value = eq + 1;
        return 1;
    }
    if (p && p->kind == MS_SIM_P_BOOL) {
        *value = "true";
        if (i + 1 < argc)
            for (int k = 0; bools[k]; k++)
                if (!strcmp(argv[i + 1], bools[k])) {
                    *value = argv[i + 1];
                    return 2;
                }
        return 1;
    }
    if (i + 1 >= argc)
        return -1;
    *value = argv[i + 1];
    return 2;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ms_cmd_simulate(int argc, char **argv)
{
    const char *out = NULL, *scenario = NULL;
    int quiet = 0, print = 0, status = 2;
    ms_write_options wopt = ms_write_options_default();
    ms_scenario s;
    ms_scenario_init(&s);
    ms_recording *rec = NULL;

    /* First pass: help, the scenario file and the output options. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            print_help(stdout);
            status = 0;
            goto done;
        }
        if (!strcmp(a, "--scenario") || !strncmp(a, "--scenario=", 11)) {
            const char *eq = strchr(a, '=');
            if (!eq && i + 1 >= argc) {
                fprintf(stderr, CMD ": --scenario: a file name is required\n");
                goto done;
            }
            scenario = eq ? eq + 1 : argv[++i];
        }
    }
    if (scenario && ms_scenario_load(&s, scenario)) {
        fprintf(stderr, "%s\n", ms_error_message());
        goto done;
    }
    /* Second pass: everything else overrides the file. */
    for (int i = 1; i < argc; i++) {
        char name[128];
        const char *a = argv[i], *eq = strchr(a, '=');
        if (!strcmp(a, "--scenario")) {
            i++;
            continue;
        }
        if (!strncmp(a, "--scenario=", 11))
            continue;
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (!strcmp(a, "--print-scenario")) {
            print = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 && strcmp(a, "-o") != 0) {
            fprintf(stderr, CMD ": unexpected argument '%s' (" CMD
                                " --help lists the options)\n", a);
            goto done;
        }
        /* The name runs from after the dashes to '=' (or the end). */
        const char *start = a[1] == '-' ? a + 2 : a + 1;
        snprintf(name, sizeof name, "%.*s",
                 (int)(eq ? eq - start : (long)strlen(start)), start);
        const char *value = NULL;
        if (!strcmp(name, "o") || !strcmp(name, "output") ||
            !strcmp(name, "store") || !strcmp(name, "deflate")) {
            int used = option_value(argc, argv, i, NULL, eq, &value);
            if (used < 0) {
                fprintf(stderr, CMD ": %s: a value is required\n", a);
                goto done;
            }
            i += used - 1;
            if (name[0] == 'o') {
                out = value;
            } else if (!strcmp(name, "store")) {
                if (!strcmp(value, "float32"))
                    wopt.data_type = MS_STORE_FLOAT32;
                else if (!strcmp(value, "int16"))
                    wopt.data_type = MS_STORE_INT16;
                else {
                    fprintf(stderr, CMD ": --store: '%s' is not float32 or int16\n",
                            value);
                    goto done;
                }
            } else {
                char *end;
                long lvl = strtol(value, &end, 10);
                if (*end || end == value || lvl < 0 || lvl > 9) {
                    fprintf(stderr, CMD ": --deflate: '%s' is not 0..9\n", value);
                    goto done;
                }
                wopt.deflate_level = (int)lvl;
            }
            continue;
        }
        const ms_sim_param *p = ms_scenario_param_find(name);
        if (!p && !strncmp(name, "no-", 3) && !eq) {
            p = ms_scenario_param_find(name + 3);
            if (p && p->kind == MS_SIM_P_BOOL) {
                char origin[160];
                snprintf(origin, sizeof origin, CMD ": %s", a);
                if (ms_scenario_set(&s, p->key, "false", origin)) {
                    fprintf(stderr, "%s\n", ms_error_message());
                    goto done;
                }
                continue;
            }
            p = NULL;
        }
        if (!p) {
            fprintf(stderr, CMD ": %s: unknown option (" CMD " --help lists them)\n",
                    a);
            goto done;
        }
        int used = option_value(argc, argv, i, p, eq, &value);
        if (used < 0) {
            fprintf(stderr, CMD ": --%s: a value is required\n", p->option);
            goto done;
        }
        i += used - 1;
        char origin[160];
        snprintf(origin, sizeof origin, CMD ": --%s", p->option);
        if (ms_scenario_set(&s, p->key, value, origin)) {
            fprintf(stderr, "%s\n", ms_error_message());
            goto done;
        }
    }
    if (ms_scenario_check(&s, scenario ? scenario : CMD)) {
        fprintf(stderr, "%s\n", ms_error_message());
        goto done;
    }
    if (print) {
        char *json = ms_scenario_to_json(&s);
        if (!json) {
            fprintf(stderr, CMD ": out of memory\n");
            status = 3;
            goto done;
        }
        printf("%s\n", json);
        free(json);
        status = 0;
        goto done;
    }
    if (!out) {
        fprintf(stderr, CMD ": -o FILE.h5 is required (" CMD " --help)\n");
        goto done;
    }

    double t0 = seconds_now();
    int rc = ms_simulate(&s, s.seed, &rec);
    if (rc) {
        fprintf(stderr, "%s: %s\n", scenario ? scenario : CMD, ms_error_message());
        status = ms_exit_code(rc);
        goto done;
    }
    double t1 = seconds_now();
    rc = ms_recording_write(out, rec, &wopt);
    if (rc) {
        const char *msg = ms_error_message();
        fprintf(stderr, "%s\n", msg[0] ? msg : ms_strerror(rc));
        status = ms_exit_code(rc);
        goto done;
    }
    double t2 = seconds_now();
    if (!quiet) {
        size_t mines = 0;
        for (size_t k = 0; rec->truth && k < rec->truth->n; k++)
            mines += rec->truth->is_mine[k] != 0;
        printf("%s: ", out);
        if (rec->gpr)
            printf("gpr %zu traces x %zu samples, ", rec->gpr->n_traces,
                   rec->gpr->n_samples);
        if (rec->emi)
            printf("emi %zu readings x %zu channels, ", rec->emi->n_readings,
                   rec->emi->n_channels);
        printf("truth %zu mines + %zu clutter", mines,
               rec->truth ? rec->truth->n - mines : 0);
        if (rec->marks)
            printf(", %zu marks", rec->marks->n);
        printf("; seed %llu; simulated in %.2f s, written in %.2f s\n",
               (unsigned long long)s.seed, t1 - t0, t2 - t1);
    }
    status = 0;
done:
    ms_recording_free(rec);
    ms_scenario_free(&s);
    return status;
}
