/* Scenario parameters: one table gives each its JSON key, command-line
 * option, range, unit and help; defaults live in ms_scenario_init. Loading,
 * command-line parsing, --help and the JSON dump all read the table. */
#include "minescan/simulate.h"
#include "simulate/sim_internal.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(ms_scenario, f)

static const char *const sensor_names[] = {"", "gpr", "emi", "dual", NULL};
static const char *const sweep_names[] = {"handheld", "cart", NULL};
static const char *const profile_names[] = {"none", "careful", "fast",
                                            "overmarker", NULL};

#define D(key, opt, field, lo, hi, unit, help)                                 \
    {key, opt, MS_SIM_P_DOUBLE, OFF(field), 0, lo, hi, NULL, unit, help}
#define I(key, opt, field, lo, hi, help)                                       \
    {key, opt, MS_SIM_P_INT, OFF(field), 0, lo, hi, NULL, "", help}
#define T(key, opt, field, help)                                               \
    {key, opt, MS_SIM_P_TEXT, OFF(field), 0, 0, 0, NULL, "", help}

static const ms_sim_param params[] = {
    {"seed", "seed", MS_SIM_P_U64, OFF(seed), 0, 0, 0, NULL, "",
     "random seed: the same seed and scenario give identical data"},
    {"sensor", "sensor", MS_SIM_P_ENUM, OFF(sensor), 0, 0, 0, sensor_names, "",
     "instrument: gpr, emi or dual (both on one head)"},
    T("recording.title", "title", title, "title attribute (empty: generated)"),
    T("recording.site", "site", site, "site attribute"),
    T("recording.lane_id", "lane-id", lane_id, "lane_id attribute"),
    T("recording.operator_id", "operator-id", operator_id, "operator_id attribute"),
    T("recording.recorded_at", "recorded-at", recorded_at,
      "recorded_at attribute (ISO 8601, e.g. 2026-11-02T09:00:00Z)"),
    {"operator.profile", "operator-profile", MS_SIM_P_ENUM,
     OFF(operator_profile), 0, 0, 0, profile_names, "",
     "a trainee's habits: none, careful (slow, overlapping sweeps, marks "
     "close), fast (fast sweeps with gaps, misses mines) or overmarker "
     "(marks the mines and much else); scales the sweep and marks "
     "parameters and switches marks on"},
    D("lane.length_m", "length", length_m, 0.5, 100, "m", "lane length (x)"),
    D("lane.width_m", "width", width_m, 0.3, 5, "m", "lane width (y)"),

    D("soil.eps", "eps", soil_eps, 3, 30, "",
      "soil relative permittivity; radar velocity c/sqrt(eps)"),
    D("soil.eps_variation", "eps-variation", soil_eps_variation, 0, 0.5, "",
      "relative rms lateral variation of eps (moisture patches, 0.5 m)"),
    D("soil.conductivity_s_m", "conductivity", soil_conductivity_s_m, 0, 0.2,
      "S/m", "soil conductivity: loss 188*sigma/sqrt(eps) Np/m each way"),
    D("soil.roughness_m", "roughness", roughness_m, 0, 0.05, "m",
      "rms height of the ground surface about its mean plane"),
    D("soil.roughness_corr_m", "roughness-corr", roughness_corr_m, 0.01, 2, "m",
      "correlation length of the surface roughness"),
    D("soil.layer_depth_m", "layer-depth", layer_depth_m, 0, 1, "m",
      "depth of a soil layer interface (0: none)"),
    D("soil.layer_eps", "layer-eps", layer_eps, 3, 40, "",
      "permittivity below the layer interface"),
    D("soil.layer_undulation_m", "layer-undulation", layer_undulation_m, 0,
      0.2, "m", "rms undulation of the layer interface"),
    D("soil.magnetic_response", "soil-mag", soil_mag_response, 0, 5, "a.u.",
      "metal-detector response of a mineralised (magnetic) soil half-space "
      "with the coil on the ground; 0: none, laterite 0.2-1"),
    D("soil.magnetic_variation", "soil-mag-variation", soil_mag_variation, 0,
      1, "", "relative rms patchiness of the mineralisation (0.3 m)"),

    {"sweep.mode", "sweep", MS_SIM_P_ENUM, OFF(sweep), 0, 0, 0, sweep_names, "",
     "handheld: irregular zig-zag sweeps; cart: straight even lines"},
    D("sweep.head_height_m", "height", head_height_m, 0.01, 0.3, "m",
      "nominal height of the sensor head above the ground"),
    D("sweep.height_wobble_m", "height-wobble", height_wobble_m, 0, 0.1, "m",
      "rms slow variation of the head height (hand, or cart suspension)"),
    D("sweep.end_lift_m", "end-lift", end_lift_m, 0, 0.2, "m",
      "hand-held: how much the head rises at the end of a swing"),
    D("sweep.hand_jitter_m", "hand-jitter", hand_jitter_m, 0, 0.1, "m",
      "hand-held: rms wobble of the head position"),
    D("sweep.speed_m_s", "sweep-speed", sweep_speed_m_s, 0.05, 2, "m/s",
      "hand-held: mean lateral speed of a swing"),
    D("sweep.overshoot_m", "overshoot", sweep_overshoot_m, 0, 0.5, "m",
      "hand-held: how far a swing passes each lane edge"),
    D("sweep.arc_radius_m", "arc-radius", arc_radius_m, 0, 5, "m",
      "hand-held: radius of the swing arc about the operator (0: straight)"),
    D("sweep.advance_m", "advance", advance_m, 0.01, 0.5, "m",
      "hand-held: mean step forward per swing"),
    D("sweep.advance_variation", "advance-variation", advance_variation, 0, 1,
      "", "hand-held: relative rms variation of the step (gaps, overlaps)"),
    D("sweep.pause_prob", "pause-prob", pause_prob, 0, 1, "",
      "hand-held: chance that the operator pauses after a swing"),
    D("sweep.line_spacing_m", "line-spacing", line_spacing_m, 0.01, 0.5, "m",
      "cart: spacing of the lines across the lane"),
    D("sweep.cart_speed_m_s", "cart-speed", cart_speed_m_s, 0.05, 3, "m/s",
      "cart: speed along a line"),
    D("sweep.trace_spacing_m", "trace-spacing", cart_trace_spacing_m, 0.002,
      0.2, "m", "cart: GPR trace spacing along a line"),

    D("gpr.centre_frequency_hz", "frequency", gpr_frequency_hz, 0.5e9, 3e9,
      "Hz", "peak frequency of the Ricker wavelet"),
    D("gpr.sample_interval_s", "sample-interval", gpr_sample_interval_s,
      5e-12, 1e-9, "s", "time between samples (8 or more per period)"),
    D("gpr.time_window_s", "time-window", gpr_time_window_s, 1e-9, 100e-9, "s",
      "trace length in time"),
    D("gpr.time_zero_s", "time-zero", gpr_time_zero_s, 0, 50e-9, "s",
      "time within a trace of the antenna feed point"),
    D("gpr.trace_rate_hz", "trace-rate", gpr_trace_rate_hz, 5, 1000, "Hz",
      "hand-held: traces per second"),
    D("gpr.snr_db", "snr-db", gpr_snr_db, -20, 200, "dB",
      "peak echo of a PMN 5 cm deep below the head over the rms noise "
      "(200: no noise)"),
    D("gpr.beam_half_angle_deg", "beam-angle", gpr_beam_half_angle_deg, 5, 80,
      "deg", "half-power half-angle of the antenna beam"),
    D("gpr.direct_coupling", "direct-coupling", gpr_direct_coupling, 0, 5, "",
      "amplitude of the transmitter-receiver crosstalk at time zero"),
    D("gpr.ringing", "ringing", gpr_ringing, 0, 1, "",
      "amplitude of the antenna ringing (identical in every trace)"),
    D("gpr.wow", "wow", gpr_wow, 0, 2, "", "amplitude of the low-frequency wow"),
    D("gpr.dropout_prob", "dropout", gpr_dropout_prob, 0, 0.5, "",
      "chance that a trace is dropped (written as NaN)"),
    D("gpr.height_noise_m", "height-noise", gpr_height_noise_m, 0, 0.05, "m",
      "rms error of the recorded antenna height"),

    I("emi.channels", "emi-channels", emi_channels, 1, 8,
      "metal-detector time gates (channels)"),
    D("emi.rate_hz", "emi-rate", emi_rate_hz, 1, 1000, "Hz",
      "metal-detector readings per second"),
    D("emi.coil_radius_m", "coil-radius", emi_coil_radius_m, 0.02, 0.3, "m",
      "coil radius: the response is m a^6/(r^2+a^2)^3"),
    D("emi.height_offset_m", "coil-offset", emi_height_offset_m, -0.1, 0.3,
      "m", "coil height minus head (GPR antenna) height"),
    D("emi.first_gate_s", "first-gate", emi_first_gate_s, 1e-6, 1e-3, "s",
      "time of the first gate after the pulse"),
    D("emi.last_gate_s", "last-gate", emi_last_gate_s, 1e-6, 1e-2, "s",
      "time of the last gate (gates spaced logarithmically)"),
    D("emi.noise", "emi-noise", emi_noise, 0, 1, "a.u.", "rms noise per reading"),
    D("emi.drift", "emi-drift", emi_drift, 0, 1, "a.u.", "rms drift over 100 s"),

    I("population.n_mines", "n-mines", n_mines, 0, 1000,
      "mines placed at random (types taken in turn from mine_types)"),
    {"population.mine_types", "mine-types", MS_SIM_P_LIST, OFF(mine_types),
     OFF(n_mine_types), 0, 0, NULL, "", "catalogue names of the random mines"},
    D("population.mine_depth_min_m", "depth-min", mine_depth_min_m, 0, 0.5,
      "m", "shallowest burial (to the top) of a random mine"),
    D("population.mine_depth_max_m", "depth-max", mine_depth_max_m, 0, 0.5,
      "m", "deepest burial of a random mine (capped per type)"),
    D("population.mine_spacing_m", "mine-spacing", mine_spacing_m, 0, 5, "m",
      "least distance between two mines"),
    D("population.edge_margin_m", "edge-margin", edge_margin_m, 0, 1, "m",
      "least distance from a mine to the lane edge"),
    D("population.clutter_per_m2", "clutter-density", clutter_per_m2, 0, 20,
      "1/m2", "tracked clutter items (in /truth) per square metre"),
    {"population.clutter_types", "clutter-types", MS_SIM_P_LIST,
     OFF(clutter_types), OFF(n_clutter_types), 0, 0, NULL, "",
     "catalogue names of the tracked clutter"},
    D("population.pebbles_per_m2", "pebbles", pebbles_per_m2, 0, 200, "1/m2",
      "untracked pebbles per square metre"),
    D("population.metal_bits_per_m2", "metal-bits", metal_bits_per_m2, 0, 50,
      "1/m2", "untracked small metal bits per square metre"),
    D("population.roots_per_m2", "roots", roots_per_m2, 0, 10, "1/m2",
      "untracked roots per square metre"),

    {"marks.enabled", "marks", MS_SIM_P_BOOL, OFF(marks), 0, 0, 0, NULL, "",
     "write /marks from a simulated operator"},
    D("marks.pd", "marks-pd", marks_pd, 0, 1, "",
      "chance the operator marks a mine"),
    D("marks.pd_min_metal", "marks-pd-min-metal", marks_pd_min_metal, 0, 1, "",
      "... a minimum-metal mine"),
    D("marks.error_m", "marks-error", marks_error_m, 0, 0.5, "m",
      "rms position error of a mark, per axis"),
    D("marks.false_per_m2", "marks-false", marks_false_per_m2, 0, 5, "1/m2",
      "marks on nothing, per square metre"),
    D("marks.clutter_prob", "marks-clutter", marks_clutter_prob, 0, 1, "",
      "chance the operator marks a tracked metal clutter item"),
};

static void set_list(char (*list)[MS_SIM_NAME_MAX], int *n,
                     const char *const *names)
{
    *n = 0;
    for (; *names && *n < MS_SIM_MAX_TYPES; names++)
        snprintf(list[(*n)++], MS_SIM_NAME_MAX, "%s", *names);
}

void ms_scenario_init(ms_scenario *s)
{
    memset(s, 0, sizeof *s);
    s->seed = 1;
    s->sensor = MS_SIM_DUAL;
    s->sweep = MS_SIM_HANDHELD;
    s->length_m = 5;
    s->width_m = 1;
    /* moist sandy loam */
    s->soil_eps = 9;
    s->soil_eps_variation = 0.05;
    s->soil_conductivity_s_m = 0.01;
    s->roughness_m = 0.008;
    s->roughness_corr_m = 0.15;
    s->layer_depth_m = 0.35;
    s->layer_eps = 15;
    s->layer_undulation_m = 0.03;
    s->soil_mag_response = 0;
    s->soil_mag_variation = 0.3;
    /* a deminer's hand-held sweep */
    s->head_height_m = 0.05;
    s->height_wobble_m = 0.015;
    s->end_lift_m = 0.03;
    s->hand_jitter_m = 0.01;
    s->sweep_speed_m_s = 0.5;
    s->sweep_overshoot_m = 0.1;
    s->arc_radius_m = 1.2;
    s->advance_m = 0.1;
    s->advance_variation = 0.4;
    s->pause_prob = 0.05;
    s->line_spacing_m = 0.05;
    s->cart_speed_m_s = 0.3;
    s->cart_trace_spacing_m = 0.01;
    /* a 1.5 GHz hand-held radar: 160 samples over 10 ns */
    s->gpr_frequency_hz = 1.5e9;
    s->gpr_sample_interval_s = 62.5e-12;
    s->gpr_time_window_s = 10e-9;
    s->gpr_time_zero_s = 1e-9;
    s->gpr_trace_rate_hz = 50;
    s->gpr_snr_db = 15;
    s->gpr_beam_half_angle_deg = 35;
    s->gpr_direct_coupling = 0.3;
    s->gpr_ringing = 0.05;
    s->gpr_wow = 0.1;
    s->gpr_dropout_prob = 0.002;
    s->gpr_height_noise_m = 0.003;
    /* a two-gate pulse-induction detector */
    s->emi_channels = 2;
    s->emi_rate_hz = 25;
    s->emi_coil_radius_m = 0.1;
    s->emi_height_offset_m = 0;
    s->emi_first_gate_s = 20e-6;
    s->emi_last_gate_s = 150e-6;
    s->emi_noise = 0.004;
    s->emi_drift = 0.01;

    s->n_mines = 4;
    static const char *const mines[] = {"PMN", "PMA-2", "Type-72", "M14", NULL};
    set_list(s->mine_types, &s->n_mine_types, mines);
    s->mine_depth_min_m = 0;
    s->mine_depth_max_m = 0.15;
    s->mine_spacing_m = 0.6;
    s->edge_margin_m = 0.15;
    s->clutter_per_m2 = 1;
    static const char *const clutter[] = {"clutter:can", "clutter:fragment",
                                          "clutter:stone", "clutter:cartridge",
                                          NULL};
    set_list(s->clutter_types, &s->n_clutter_types, clutter);
    s->pebbles_per_m2 = 10;
    s->metal_bits_per_m2 = 2;
    s->roots_per_m2 = 0.4;

    s->marks = 0;
    s->marks_pd = 0.9;
    s->marks_pd_min_metal = 0.6;
    s->marks_error_m = 0.05;
    s->marks_false_per_m2 = 0.1;
    s->marks_clutter_prob = 0.2;
}

void ms_scenario_free(ms_scenario *s)
{
    free(s->objects);
    s->objects = NULL;
    s->n_objects = 0;
}

int ms_scenario_copy(ms_scenario *dst, const ms_scenario *src)
{
    *dst = *src;
    dst->objects = NULL;
    if (src->n_objects) {
        dst->objects = malloc(src->n_objects * sizeof *dst->objects);
        if (!dst->objects) {
            dst->n_objects = 0;
            return ms_fail(MS_ERR_NOMEM, "simulate: out of memory");
        }
        memcpy(dst->objects, src->objects, src->n_objects * sizeof *dst->objects);
    }
    return 0;
}

size_t ms_scenario_param_count(void) { return sizeof params / sizeof params[0]; }

const ms_sim_param *ms_scenario_param_at(size_t i)
{
    return i < ms_scenario_param_count() ? &params[i] : NULL;
}

const ms_sim_param *ms_scenario_param_find(const char *name)
{
    for (size_t i = 0; i < ms_scenario_param_count(); i++)
        if (strcmp(params[i].key, name) == 0 || strcmp(params[i].option, name) == 0)
            return &params[i];
    return NULL;
}

static void *field_of(ms_scenario *s, const ms_sim_param *p)
{
    return (char *)s + p->offset;
}

static const void *cfield_of(const ms_scenario *s, const ms_sim_param *p)
{
    return (const char *)s + p->offset;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int set_names(ms_scenario *s, const ms_sim_param *p, const char *value,
                     const char *origin)
{
    char(*list)[MS_SIM_NAME_MAX] = field_of(s, p);
    int *count = (int *)((char *)s + p->count_offset);
    int want_mines = p->offset == OFF(mine_types);
    char tmp[MS_SIM_MAX_TYPES][MS_SIM_NAME_MAX];
    int n = 0;
    const char *c = value;
    while (*c) {
        while (*c == ' ' || *c == ',')
            c++;
        if (!*c)
            break;
        size_t len = strcspn(c, ",");
        while (len && c[len - 1] == ' ')
            len--;
        if (n == MS_SIM_MAX_TYPES)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: more than %d names", origin,
                           MS_SIM_MAX_TYPES);
        if (len >= MS_SIM_NAME_MAX)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: '%.*s' is not in the catalogue",
                           origin, (int)len, c);
        memcpy(tmp[n], c, len);
        tmp[n][len] = '\0';
        const ms_sim_catalogue_entry *e = ms_sim_catalogue_find(tmp[n]);
        if (!e)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: '%s' is not in the catalogue (see minescan "
                           "simulate --help)",
                           origin, tmp[n]);
        if (e->is_mine != want_mines)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: '%s' is %s", origin, tmp[n],
                           e->is_mine ? "a mine, not clutter" : "not a mine");
        n++;
        c += strcspn(c, ",");
    }
    memcpy(list, tmp, sizeof tmp);
    *count = n;
    return 0;
}

int ms_scenario_set(ms_scenario *s, const char *name, const char *value,
                    const char *origin)
{
    const ms_sim_param *p = ms_scenario_param_find(name);
    if (!p)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: unknown scenario key", origin);
    char *end = NULL;
    switch (p->kind) {
    case MS_SIM_P_DOUBLE: {
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end || errno || !isfinite(v))
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: '%s' is not a number", origin,
                           value);
        if (v < p->min || v > p->max)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: %s is outside [%g, %g]%s%s",
                           origin, value, p->min, p->max, p->unit[0] ? " " : "",
                           p->unit);
        *(double *)field_of(s, p) = v;
        return 0;
    }
    case MS_SIM_P_INT: {
        errno = 0;
        long v = strtol(value, &end, 10);
        if (end == value || *end || errno)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: '%s' is not an integer",
                           origin, value);
        if (v < p->min || v > p->max)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: %s is outside [%g, %g]",
                           origin, value, p->min, p->max);
        *(int *)field_of(s, p) = (int)v;
        return 0;
    }
    case MS_SIM_P_U64: {
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (!isdigit((unsigned char)value[0]) || *end || errno)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: '%s' is not a non-negative integer", origin, value);
        *(uint64_t *)field_of(s, p) = (uint64_t)v;
        return 0;
    }
    case MS_SIM_P_BOOL:
        if (parse_bool(value, (int *)field_of(s, p)))
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: '%s' is not true or false",
                           origin, value);
        return 0;
    case MS_SIM_P_ENUM:
        for (int i = 0; p->names[i]; i++)
            if (p->names[i][0] && strcmp(p->names[i], value) == 0)
                return *(int *)field_of(s, p) = i, 0;
        {
            char allowed[128] = "";
            for (int i = 0; p->names[i]; i++)
                if (p->names[i][0])
                    snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed),
                             "%s%s", allowed[0] ? ", " : "", p->names[i]);
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: '%s' is not one of %s", origin,
                           value, allowed);
        }
    case MS_SIM_P_TEXT:
        if (strlen(value) >= MS_SIM_TEXT_MAX)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s: longer than %d characters",
                           origin, MS_SIM_TEXT_MAX - 1);
        snprintf((char *)field_of(s, p), MS_SIM_TEXT_MAX, "%s", value);
        return 0;
    case MS_SIM_P_LIST:
        return set_names(s, p, value, origin);
    }
    return ms_fail(MS_ERR_INTERNAL, "%s: unhandled parameter kind", origin);
}

const char *ms_scenario_format(const ms_scenario *s, const ms_sim_param *p,
                               char *buf, size_t n)
{
    const void *f = cfield_of(s, p);
    switch (p->kind) {
    case MS_SIM_P_DOUBLE:
        snprintf(buf, n, "%.10g", *(const double *)f);
        break;
    case MS_SIM_P_INT:
        snprintf(buf, n, "%d", *(const int *)f);
        break;
    case MS_SIM_P_U64:
        snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)f);
        break;
    case MS_SIM_P_BOOL:
        snprintf(buf, n, "%s", *(const int *)f ? "true" : "false");
        break;
    case MS_SIM_P_ENUM:
        snprintf(buf, n, "%s", p->names[*(const int *)f]);
        break;
    case MS_SIM_P_TEXT:
        snprintf(buf, n, "%s", (const char *)f);
        break;
    case MS_SIM_P_LIST: {
        const char(*list)[MS_SIM_NAME_MAX] = f;
        int count = *(const int *)((const char *)s + p->count_offset);
        buf[0] = '\0';
        for (int i = 0; i < count; i++) {
            size_t len = strlen(buf);
            snprintf(buf + len, n - len, "%s%s", i ? "," : "", list[i]);
        }
        break;
    }
    }
    return buf;
}

/* ---- JSON ---------------------------------------------------------------- */

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A JSON value as the text ms_scenario_set parses, after checking that its
 * JSON type suits the parameter. */
static int json_to_text(const ms_sim_param *p, const json_t *v, char *buf,
                        size_t n, const char *origin)
{
    const char *want = NULL;
    switch (p->kind) {
    case MS_SIM_P_DOUBLE:
        if (!json_is_number(v)) {
            want = "a number";
        } else {
            /* Shortest text that reads back exactly: 0.6, not 0.59999... */
            double d = json_number_value(v);
            snprintf(buf, n, "%.15g", d);
            if (strtod(buf, NULL) != d)
                snprintf(buf, n, "%.17g", d);
        }
        break;
    case MS_SIM_P_INT:
    case MS_SIM_P_U64:
        if (json_is_integer(v))
            snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))
            snprintf(buf, n, "%.0f", json_real_value(v));
        else
            want = "an integer";
        break;
    case MS_SIM_P_BOOL:
        if (!json_is_boolean(v))
            want = "true or false";
        else
            snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
        break;
    case MS_SIM_P_ENUM:
    case MS_SIM_P_TEXT:
        if (!json_is_string(v))
            want = "a string";
        else
            snprintf(buf, n, "%s", json_string_value(v));
        break;
    case MS_SIM_P_LIST:
        if (json_is_string(v)) {
            snprintf(buf, n, "%s", json_string_value(v));
            break;
        }
        if (!json_is_array(v)) {
            want = "an array of catalogue names";
            break;
        }
        buf[0] = '\0';
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_string(e))
                return ms_fail(MS_ERR_INVALID_INPUT, "%s[%zu]: expected a string, "
                               "found %s", origin, i, json_kind(e));
            size_t len = strlen(buf);
            snprintf(buf + len, n - len, "%s%s", i ? "," : "", json_string_value(e));
        }
        break;
    }
    if (want)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: expected %s, found %s", origin,
                       want, json_kind(v));
    return 0;
}

static int load_number(const json_t *o, const char *key, double lo, double hi,
                       double *out, const char *where)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return 1; /* absent */
    if (!json_is_number(v))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s.%s: expected a number, found %s",
                       where, key, json_kind(v));
    double d = json_number_value(v);
    if (d < lo || d > hi)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s.%s: %g is outside [%g, %g]", where,
                       key, d, lo, hi);
    *out = d;
    return 0;
}

static int load_object(const json_t *o, ms_sim_object *ob, const char *where)
{
    static const char *const known[] = {"type",     "x",        "y",
                                        "depth_m",  "metal_g",  "eps",
                                        "diameter_m", "length_m", "azimuth_deg",
                                        "tracked",  "comment",  NULL};
    if (!json_is_object(o))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: expected an object, found %s",
                       where, json_kind(o));
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        int ok = 0;
        for (int i = 0; known[i]; i++)
            ok |= strcmp(known[i], k) == 0;
        if (!ok)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s.%s: unknown key (expected type, x, y, depth_m, "
                           "metal_g, eps, diameter_m, length_m, azimuth_deg, "
                           "tracked)",
                           where, k);
    }
    *ob = (ms_sim_object){.metal_g = -1, .eps = -1, .tracked = 1};
    const json_t *t = json_object_get(o, "type");
    if (!json_is_string(t))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s.type: a catalogue name is required",
                       where);
    if (!ms_sim_catalogue_find(json_string_value(t)))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s.type: '%s' is not in the catalogue (see minescan "
                       "simulate --help)",
                       where, json_string_value(t));
    snprintf(ob->type, sizeof ob->type, "%s", json_string_value(t));
    static const char *const required[] = {"x", "y", "depth_m"};
    double *req[] = {&ob->x, &ob->y, &ob->depth};
    for (int i = 0; i < 3; i++) {
        int rc = load_number(o, required[i], required[i][0] == 'd' ? 0 : -100,
                             required[i][0] == 'd' ? 2 : 100, req[i], where);
        if (rc > 0)
            return ms_fail(MS_ERR_INVALID_INPUT, "%s.%s: required", where,
                           required[i]);
        if (rc)
            return rc;
    }
    int rc;
    if ((rc = load_number(o, "metal_g", 0, 1e5, &ob->metal_g, where)) < 0 ||
        (rc = load_number(o, "eps", 0, 100, &ob->eps, where)) < 0 ||
        (rc = load_number(o, "diameter_m", 0.001, 2, &ob->diameter_m, where)) < 0 ||
        (rc = load_number(o, "length_m", 0.001, 5, &ob->length_m, where)) < 0 ||
        (rc = load_number(o, "azimuth_deg", -360, 360, &ob->azimuth_deg, where)) < 0)
        return rc;
    if (ob->eps > 0 && ob->eps < 1)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s.eps: %g: a permittivity is at least 1 (0 means metal)",
                       where, ob->eps);
    const json_t *tr = json_object_get(o, "tracked");
    if (tr) {
        if (!json_is_boolean(tr))
            return ms_fail(MS_ERR_INVALID_INPUT, "%s.tracked: expected true or false",
                           where);
        ob->tracked = json_is_true(tr);
    }
    return 0;
}

static int load_objects(ms_scenario *s, const json_t *arr, const char *path)
{
    char where[512];
    if (!json_is_array(arr))
        return ms_fail(MS_ERR_INVALID_INPUT, "%s: objects: expected an array, found %s",
                       path, json_kind(arr));
    size_t n = json_array_size(arr);
    ms_sim_object *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) {
        snprintf(where, sizeof where, "%s: objects[%zu]", path, i);
        int rc = load_object(json_array_get(arr, i), &v[i], where);
        if (rc) {
            free(v);
            return rc;
        }
    }
    free(s->objects);
    s->objects = v;
    s->n_objects = n;
    return 0;
}

static int is_comment(const char *k)
{
    return strcmp(k, "description") == 0 || strcmp(k, "comment") == 0 ||
           k[0] == '_';
}

static int load_section(ms_scenario *s, const json_t *obj, const char *prefix,
                        const char *path)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        char key[160], origin[700], text[1024];
        if (is_comment(k))
            continue;
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", k);
        if (!prefix[0] && strcmp(k, "objects") == 0) {
            int rc = load_objects(s, v, path);
            if (rc)
                return rc;
            continue;
        }
        if (json_is_object(v)) {
            int rc = load_section(s, v, key, path);
            if (rc)
                return rc;
            continue;
        }
        snprintf(origin, sizeof origin, "%s: %s", path, key);
        const ms_sim_param *p = NULL;
        for (size_t i = 0; i < ms_scenario_param_count() && !p; i++)
            if (strcmp(params[i].key, key) == 0)
                p = &params[i];
        if (!p)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: unknown scenario key (minescan simulate --help "
                           "lists them)",
                           origin);
        int rc = json_to_text(p, v, text, sizeof text, origin);
        if (!rc)
            rc = ms_scenario_set(s, key, text, origin);
        if (rc)
            return rc;
    }
    return 0;
}

int ms_scenario_load(ms_scenario *s, const char *path)
{
    json_error_t err;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s:%d:%d: %s", path, err.line,
                       err.column, err.text);
    int rc = 0;
    if (!json_is_object(root))
        rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: expected a JSON object at the top",
                     path);
    else
        rc = load_section(s, root, "", path);
    json_decref(root);
    return rc;
}

char *ms_scenario_to_json(const ms_scenario *s)
{
    json_t *root = json_object();
    char buf[1024];
    for (size_t i = 0; root && i < ms_scenario_param_count(); i++) {
        const ms_sim_param *p = &params[i];
        json_t *sec = root;
        const char *leaf = p->key, *dot = strchr(p->key, '.');
        if (dot) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(dot - p->key), p->key);
            sec = json_object_get(root, name);
            if (!sec) {
                sec = json_object();
                json_object_set_new(root, name, sec);
            }
            leaf = dot + 1;
        }
        const void *f = cfield_of(s, p);
        json_t *v = NULL;
        switch (p->kind) {
        case MS_SIM_P_DOUBLE: v = json_real(*(const double *)f); break;
        case MS_SIM_P_INT: v = json_integer(*(const int *)f); break;
        case MS_SIM_P_U64: v = json_integer((json_int_t) * (const uint64_t *)f); break;
        case MS_SIM_P_BOOL: v = json_boolean(*(const int *)f); break;
        case MS_SIM_P_ENUM:
        case MS_SIM_P_TEXT: v = json_string(ms_scenario_format(s, p, buf, sizeof buf)); break;
        case MS_SIM_P_LIST: {
            const char(*list)[MS_SIM_NAME_MAX] = f;
            int count = *(const int *)((const char *)s + p->count_offset);
            v = json_array();
            for (int k = 0; k < count; k++)
                json_array_append_new(v, json_string(list[k]));
            break;
        }
        }
        json_object_set_new(sec, leaf, v);
    }
    json_t *objs = json_array();
    for (size_t i = 0; i < s->n_objects; i++) {
        const ms_sim_object *o = &s->objects[i];
        json_t *j = json_pack("{s:s, s:f, s:f, s:f}", "type", o->type, "x", o->x,
                              "y", o->y, "depth_m", o->depth);
        if (o->metal_g >= 0)
            json_object_set_new(j, "metal_g", json_real(o->metal_g));
        if (o->eps >= 0)
            json_object_set_new(j, "eps", json_real(o->eps));
        if (o->diameter_m > 0)
            json_object_set_new(j, "diameter_m", json_real(o->diameter_m));
        if (o->length_m > 0)
            json_object_set_new(j, "length_m", json_real(o->length_m));
        if (o->azimuth_deg != 0)
            json_object_set_new(j, "azimuth_deg", json_real(o->azimuth_deg));
        if (!o->tracked)
            json_object_set_new(j, "tracked", json_false());
        json_array_append_new(objs, j);
    }
    json_object_set_new(root, "objects", objs);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(root);
    return text;
}

/* ---- checks across parameters -------------------------------------------- */

int ms_scenario_check(const ms_scenario *s, const char *origin)
{
    const char *o = origin;
    double f = s->gpr_frequency_hz, dt = s->gpr_sample_interval_s;
    if (s->sensor & MS_SIM_GPR) {
        if (dt * f > 1.0 / 8 + 1e-12)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: gpr.sample_interval_s: %g s gives %.1f samples per "
                           "period at %g Hz; 8 or more are needed",
                           o, dt, 1 / (dt * f), f);
        double ns = s->gpr_time_window_s / dt;
        if (ns < 16 || ns > 8192)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: gpr.time_window_s: %g s is %.0f samples; 16 to 8192 "
                           "are allowed",
                           o, s->gpr_time_window_s, ns);
        if (s->gpr_time_zero_s + 2 * s->head_height_m / MS_SIM_C0 >=
            s->gpr_time_window_s)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: gpr.time_zero_s: %g s puts the ground reflection "
                           "outside the %g s time window",
                           o, s->gpr_time_zero_s, s->gpr_time_window_s);
    }
    if ((s->sensor & MS_SIM_EMI) && s->emi_first_gate_s > s->emi_last_gate_s)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: emi.first_gate_s: %g s is after emi.last_gate_s (%g s)", o,
                       s->emi_first_gate_s, s->emi_last_gate_s);
    if (s->mine_depth_min_m > s->mine_depth_max_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: population.mine_depth_min_m: %g m is below "
                       "population.mine_depth_max_m (%g m)",
                       o, s->mine_depth_min_m, s->mine_depth_max_m);
    if (s->n_mines > 0 && s->n_mine_types == 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: population.mine_types: empty, but n_mines is %d", o,
                       s->n_mines);
    if (s->clutter_per_m2 > 0 && s->n_clutter_types == 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: population.clutter_types: empty, but clutter_per_m2 is %g",
                       o, s->clutter_per_m2);
    if (2 * s->edge_margin_m >= s->width_m || 2 * s->edge_margin_m >= s->length_m)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: population.edge_margin_m: %g m leaves no room in a "
                       "%g x %g m lane",
                       o, s->edge_margin_m, s->length_m, s->width_m);
    double half_swing = 0.5 * s->width_m + s->sweep_overshoot_m;
    if (s->sweep == MS_SIM_HANDHELD && s->arc_radius_m > 0 &&
        s->arc_radius_m < half_swing + 0.05)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: sweep.arc_radius_m: %g m is too short for a %g m swing "
                       "(0 or at least %g m)",
                       o, s->arc_radius_m, 2 * half_swing, half_swing + 0.05);
    /* Keep a typo from asking for gigabytes. */
    double traces = s->sweep == MS_SIM_CART
                        ? (s->width_m / s->line_spacing_m + 1) *
                              (s->length_m / s->cart_trace_spacing_m + 1)
                        : s->length_m / s->advance_m * 2 * half_swing /
                              s->sweep_speed_m_s * s->gpr_trace_rate_hz;
    if ((s->sensor & MS_SIM_GPR) && traces * s->gpr_time_window_s / dt > 2e8)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: about %.0f traces of %.0f samples is more than 2e8 "
                       "samples; shorten the lane or sample less densely",
                       o, traces, s->gpr_time_window_s / dt);
    for (size_t i = 0; i < s->n_objects; i++) {
        const ms_sim_object *b = &s->objects[i];
        if (b->x < 0 || b->x > s->length_m || b->y < 0 || b->y > s->width_m)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: objects[%zu]: (%g, %g) is outside the %g x %g m lane",
                           o, i, b->x, b->y, s->length_m, s->width_m);
    }
    return 0;
}
