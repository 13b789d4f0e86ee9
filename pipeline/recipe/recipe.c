/* Recipe parsing and the built-in recipes: see recipe.h. */
#include "recipe/recipe.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "minescan/error.h"

/* The built-in recipes are put together from these parts, so that a
 * change to the radar filters reaches every recipe that uses them. */
#define RADAR_CLEAN                                                            \
    "# dewow over 3 periods of the centre frequency (2 ns where the\n"        \
    "# recording does not give it)\n"                                         \
    "stage dewow periods=3 window_ns=2.0\n"                                    \
    "# remove what is the same in every trace (direct coupling, ringing),\n"   \
    "# then line up the wandering ground bounce and remove it too\n"           \
    "stage background_removal window_m=2.7\n"                                  \
    "# (the bounce of a head at most 15 cm above the ground: 2 h / c = 1 ns;\n" \
    "# left in place where the window holds no more than 3 times what\n"     \
    "# follows it: flat ground, whose bounce the first removal took)\n"      \
    "stage ground_align search_start_ns=0 search_end_ns=1.0 target_ns=0.5 "   \
    "min_bounce_ratio=3\n"                                                    \
    "stage background_removal window_m=0.75\n"

#define RADAR_FILTERS                                                          \
    RADAR_CLEAN                                                                \
    "stage envelope in=gpr,gpr_valid out=gpr_env half_taps=15\n"

/* The default's radar envelope is of coherently stacked traces: each the
 * mean of those within 3 cm (neighbours along the track, and the passes of
 * a hand-held sweep over the same spot; about half a wavelength in a loam
 * at 1.5 GHz), so that the noise is averaged before it is squared. Chosen
 * on the tune split with the per-depth-bin map (fused, Pd of 144 at 0.1 /
 * 0.5 / 1 false alarms per m2, AUC): 1 cm 8 / 41 / 63, 0.253; 2 cm 8 / 42
 * / 59, 0.251; 3 cm 8 / 48 / 67, 0.291; 4 cm 8 / 45 / 66, 0.282; 5 cm 8 /
 * 45 / 65, 0.278; 6.5 cm 10 / 49 / 68, 0.285; 8 cm 10 / 47 / 61, 0.277
 * (with the window energy before it, 2 cm was best). The B-scan keeps the
 * unstacked traces. */
#define RADAR_STACKED_ENVELOPE                                                 \
    "# each trace the mean of the traces within 3 cm of it, then its\n"       \
    "# envelope\n"                                                             \
    "stage trace_stack in=gpr,gpr_valid,gpr_xy out=gpr_stack,gpr_stack_valid " \
    "radius_m=0.03\n"                                                          \
    "stage envelope in=gpr_stack,gpr_stack_valid out=gpr_env half_taps=15\n"

#define EMI_MAP                                                                \
    "stage emi_detrend window_readings=61\n"                                   \
    "stage grid in=emi_signal,emi_valid,emi_xy out=emi_map,emi_hits "         \
    "cell_m=0.02 radius_m=0.08 channel=0\n"                                    \
    "stage zscore in=emi_map,emi_hits out=emi_z\n"

/* The default chain's detectors: the radar's power per depth bin and the
 * metal detector's thin-metal (fast-decay) response (emi_decay's alone,
 * emi_tau's beside the radar; see EMI_TAU_CFAR), each scored against its
 * own surroundings by a CFAR (so a short line and a lane are both scored
 * locally), then fused by a logistic regression fitted on the benchmark's
 * tune split (datasets/benchmark/fit_fusion.py with OFFSET=3.8 on the maps
 * of datasets/benchmark/features.recipe): the fused score is the log-odds
 * of a mine plus 3.8, so the alarm threshold 3 is a log-odds of -0.8, and
 * a weak lone target down to a log-odds of -3.8 (an M14 under a clean cart
 * line) is still a candidate that the ROC sweeps. A lane with one sensor
 * gets that sensor's own fit (the output lists fall back to gpr_z or
 * emi_z), on the same log-odds scale.
 *
 * The radar: the stacked envelope's mean power in 0.5 ns bins (2.5 cm at
 * 0.1 m/ns), gridded into an x-y-depth volume; each bin 0-0.2 m below the
 * surface scored against the same bin around it (a local z-score with a
 * guard band, F1V4-style), the bins' scores averaged. The mean power over
 * the whole window, scored once, is ruled by what the ground bounce leaves
 * in the shallowest bins, so that it did not improve with a cleaner radar
 * (tune split, Pd of 144 at 0.1 / 0.5 / 1 false alarms per m2, AUC: the
 * lanes as made, at 6-10 dB, 11 / 39 / 62, 0.26; remade at 18 dB, 12 / 40 /
 * 66, 0.25; at 30 dB, 9 / 37 / 61, 0.24); per depth bin, of the same 2 cm
 * stack: 8 / 42 / 59, 0.25; 8 / 54 / 77, 0.34; 18 / 63 / 78, 0.38; of the
 * default's 3 cm stack: 8 / 48 / 67, 0.29; 18 / 59 / 74, 0.36; 21 / 61 /
 * 76, 0.38 (datasets/benchmark/snr_sweep.py). */
#define RADAR_DEPTH_CFAR                                                       \
    "# the stacked envelope's mean power in 0.5 ns bins, gridded into an\n"   \
    "# x-y-depth volume; each bin 0-0.2 m below the surface (at 0.1 m/ns,\n"  \
    "# the surface where ground_align put it) scored against the same bin\n" \
    "# around it, the bins' scores averaged\n"                                \
    "stage time_bins in=gpr_env,gpr_stack_valid out=gpr_tb,gpr_tb_valid "     \
    "bin_ns=0.5 power=1\n"                                                    \
    "stage grid_volume in=gpr_tb,gpr_tb_valid,gpr_xy out=gpr_vol,gpr_hits "    \
    "cell_m=0.02 radius_m=0.08\n"                                             \
    "stage depth_cfar in=gpr_vol,gpr_hits out=gpr_cfar guard_m=0.2 "          \
    "train_m=0.6 velocity_m_per_ns=0.1 bin_ns=0.5 surface_ns=0.5 "            \
    "depth_start_m=0 depth_end_m=0.2 model=1 floor=0.1 combine=1\n"

/* The radar's map alone on the same log-odds scale (the fit for lanes
 * without a metal detector): the default's gpr_z, and the gpr recipe's. */
#define RADAR_ONLY_FUSE                                                        \
    "stage fuse in=gpr_cfar,gpr_cfar out=gpr_z w_gpr=2.276 w_emi=0 "          \
    "bias=-0.8702 log_inputs=1\n"

#define EMI_THIN_CFAR                                                          \
    "# first gate minus the last, weighted to cancel objects that decay\n"     \
    "# as slowly as 100 us (chunky fragments); a dipole's matched filter\n"    \
    "stage emi_detrend window_readings=61\n"                                   \
    "stage emi_decay in=emi_signal,emi_valid out=emi_dec,emi_dec_valid "      \
    "tau_split_us=100\n"                                                        \
    "stage grid in=emi_dec,emi_dec_valid,emi_xy out=emi_thin,emi_hits "        \
    "cell_m=0.02 radius_m=0.08 channel=1\n"                                    \
    "stage dipole_filter in=emi_thin,emi_hits out=emi_mf\n"                    \
    "stage cfar in=emi_mf,emi_hits out=emi_cfar guard_m=0.25 train_m=0.75 "  \
    "floor=0.1\n"

/* The metal detector's decay time per cell (emi_tau, every gate gridded):
 * the first gate scored down where it decays slower than thin metal. With
 * the radar beside it this rejects slow-decaying metal (fragments) and the
 * small background bits better than emi_decay (tune split: 10 / 25 / 33 of
 * 72 dual-lane mines at 0.1 / 0.5 / 1 false alarms per m2 against 3 / 19 /
 * 32); alone, on the 3-gate laterite lanes, the soil's 1/t viscosity decay
 * fits as a fast, mine-like decay, so a detector-only lane keeps
 * emi_decay's map. */
#define EMI_TAU_CFAR                                                           \
    "stage grid_volume in=emi_signal,emi_valid,emi_xy out=emi_vol,emi_vhits "  \
    "cell_m=0.02 radius_m=0.08\n"                                              \
    "stage emi_tau in=emi_vol,emi_vhits out=emi_tau,emi_ratio,emi_mine "      \
    "min_amplitude=0.03 tau_split_us=80 sharpness=1\n"                        \
    "stage dipole_filter in=emi_mine,emi_vhits out=emi_tmf\n"                 \
    "stage cfar in=emi_tmf,emi_vhits out=emi_tcfar guard_m=0.25 train_m=0.75 " \
    "floor=0.1\n"

static const char default_recipe[] =
    "# minescan default recipe\n" RADAR_CLEAN RADAR_STACKED_ENVELOPE
    RADAR_DEPTH_CFAR EMI_THIN_CFAR EMI_TAU_CFAR
    "# weights fitted on the tune split (fit_fusion.py)\n"
    "stage fuse in=gpr_cfar,emi_tcfar out=anomaly w_gpr=1.277 w_emi=1.091 "
    "bias=-0.5855 log_inputs=1\n"
    RADAR_ONLY_FUSE
    "stage fuse in=emi_cfar,emi_cfar out=emi_z w_gpr=1.451 w_emi=0 "
    "bias=-0.486 log_inputs=1\n"
    "# the detectors column: which sensor's own CFAR statistic is high\n"
    "output anomaly=anomaly,gpr_z,emi_z gpr=gpr_cfar emi=emi_cfar\n"
    "output coverage=gpr_hits,emi_hits bscan=gpr\n";

static const char gpr_recipe[] =
    "# radar only: the default chain without the metal detector\n"
    RADAR_CLEAN RADAR_STACKED_ENVELOPE RADAR_DEPTH_CFAR RADAR_ONLY_FUSE
    "output anomaly=gpr_z gpr=gpr_cfar coverage=gpr_hits bscan=gpr\n";

static const char emi_recipe[] =
    "# metal detector only\n" EMI_MAP
    "output anomaly=emi_z emi=emi_z coverage=emi_hits\n";

static const char slices_recipe[] =
    "# radar depth slices: an x-y-time volume of the envelope, and the\n"
    "# slice over the depths where anti-personnel mines lie as the map\n"
    RADAR_FILTERS
    "stage time_bins bin_ns=0.5\n"
    "stage grid_volume cell_m=0.02 radius_m=0.08\n"
    "stage depth_slice first=2 last=11\n"
    "stage zscore in=gpr_slice,gpr_vhits out=gpr_z\n"
    "output anomaly=gpr_z gpr=gpr_z coverage=gpr_vhits bscan=gpr\n";

/* Radar only, the linear-prediction prescreener instead of the energy:
 * what a trace's neighbours on both sides do not predict, below the
 * surface, gridded and standardised. */
static const char lms_recipe[] =
    "# radar only: two-sided linear prediction (LMS prescreener)\n"
    RADAR_FILTERS
    "stage lms_residual in=gpr,gpr_valid neighbours=4 guard=6 ridge=0.3 "
    "t_start_ns=0.25 t_end_ns=4.0\n"
    "stage grid in=gpr_score,gpr_score_valid,gpr_xy out=gpr_map,gpr_hits "
    "cell_m=0.02 radius_m=0.08\n"
    "stage zscore in=gpr_map,gpr_hits out=gpr_z\n"
    "output anomaly=gpr_z gpr=gpr_z coverage=gpr_hits bscan=gpr\n";

/* Radar imaging: the filtered (signed) traces gridded into an x-y-time
 * volume, migrated into depth at a velocity estimated from its diffraction
 * hyperbolas (migrate_kirchhoff says how), the energy of the depths where
 * mines lie as the radar map; fused with the metal detector as in the
 * default. The migrated volume is drawn as depth slices. */
static const char migrate_recipe[] =
    "# radar migrated (3-D Kirchhoff, velocity estimated) and metal detector\n"
    RADAR_FILTERS
    "stage time_bins in=gpr,gpr_valid out=gpr_tb,gpr_tb_valid bin_ns=0.05\n"
    "stage grid_volume in=gpr_tb,gpr_tb_valid,gpr_xy out=gpr_volume,gpr_vhits "
    "cell_m=0.02 radius_m=0.04\n"
    "stage migrate_kirchhoff in=gpr_volume,gpr_vhits out=gpr_migrated "
    "velocity_m_per_ns=0 aperture_m=0.15 depth_step_m=0.01 depth_max_m=0.3 "
    "surface_ns=0.5\n"
    "stage volume_energy in=gpr_migrated out=gpr_menergy depth_start_m=0.02 "
    "depth_end_m=0.2\n"
    "stage zscore in=gpr_menergy,gpr_vhits out=gpr_z\n"
    EMI_MAP
    "stage fuse in=gpr_z,emi_z out=anomaly w_gpr=1 w_emi=1\n"
    "output anomaly=anomaly,gpr_z,emi_z gpr=gpr_z emi=emi_z\n"
    "output coverage=gpr_vhits,emi_hits bscan=gpr slices=gpr_migrated\n";

/* Radar anomaly by shape over depth: the envelope gridded into an
 * x-y-time volume, each cell's profile over 0.01-0.2 m below the surface
 * (8 parts) scored by local RX against the mean and covariance of a ring
 * out to 0.5 m beyond a 0.15 m guard, standardised over the lane; fused
 * with the metal detector's thin-metal CFAR by a logistic regression
 * fitted on the tune split as in the default (fit_fusion.py, OFFSET=3.6,
 * GPR=the standardised RX map), so that alarms are on the default's
 * log-odds scale. Window, guard and bins were chosen on the tune split
 * (bins 16, finer time bins, a smaller guard or a wider ring did worse). */
static const char rx_recipe[] =
    "# radar local RX (depth profile against its surroundings' covariance)\n"
    "# and metal detector, fused\n"
    RADAR_FILTERS
    "stage time_bins in=gpr_env,gpr_valid out=gpr_tb,gpr_tb_valid "
    "bin_ns=0.25\n"
    "stage grid_volume in=gpr_tb,gpr_tb_valid,gpr_xy out=gpr_volume,gpr_vhits "
    "cell_m=0.02 radius_m=0.08\n"
    "stage local_rx in=gpr_volume,gpr_vhits out=gpr_rx depth_start_m=0.01 "
    "depth_end_m=0.2 velocity_m_per_ns=0.1 surface_ns=0.5 bins=8 "
    "guard_m=0.15 outer_m=0.5 ridge=0.01\n"
    "stage zscore in=gpr_rx,gpr_vhits out=gpr_rz\n"
    EMI_THIN_CFAR
    "# weights fitted on the tune split (fit_fusion.py)\n"
    "stage fuse in=gpr_rz,emi_cfar out=anomaly w_gpr=0.9105 w_emi=1.329 "
    "bias=-0.6098 log_inputs=1\n"
    "stage fuse in=gpr_rz,gpr_rz out=gpr_z w_gpr=1.061 w_emi=0 "
    "bias=-0.4883 log_inputs=1\n"
    "stage fuse in=emi_cfar,emi_cfar out=emi_z w_gpr=1.451 w_emi=0 "
    "bias=-0.686 log_inputs=1\n"
    "output anomaly=anomaly,gpr_z,emi_z gpr=gpr_rz emi=emi_cfar\n"
    "output coverage=gpr_vhits,emi_hits bscan=gpr\n";

/* One straight line of traces (a cart line, a gprMax B-scan): Stolt
 * migration of the filtered traces, then the default's energy below the
 * surface on the migrated traces' envelope. */
static const char stolt_recipe[] =
    "# radar on one straight line: Stolt (F-K) migration, then the energy\n"
    "# below the surface\n"
    RADAR_FILTERS
    "stage migrate_stolt in=gpr,gpr_valid,gpr_xy out=gpr_stolt "
    "velocity_m_per_ns=0.1 surface_ns=0.5\n"
    "stage envelope in=gpr_stolt,gpr_valid out=gpr_senv half_taps=15\n"
    "stage window_energy in=gpr_senv,gpr_valid depth_start_m=0.01 "
    "depth_end_m=0.2 velocity_m_per_ns=0.1 surface_ns=0.5 guard_periods=0.4\n"
    "stage grid in=gpr_score,gpr_score_valid,gpr_xy out=gpr_map,gpr_hits "
    "cell_m=0.02 radius_m=0.08\n"
    "stage zscore in=gpr_map,gpr_hits out=gpr_z\n"
    "output anomaly=gpr_z gpr=gpr_z coverage=gpr_hits bscan=gpr_stolt\n";

const ms_builtin_recipe ms_builtin_recipes[] = {
    {"default", "radar and metal detector, fused (stages without input are "
                "skipped)", default_recipe},
    {"gpr", "radar only", gpr_recipe},
    {"emi", "metal detector only", emi_recipe},
    {"slices", "radar x-y-time volume and a depth slice", slices_recipe},
    {"lms", "radar only, two-sided linear-prediction prescreener",
     lms_recipe},
    {"migrate", "radar migrated (3-D Kirchhoff, velocity estimated) and "
                "metal detector, fused; depth slices", migrate_recipe},
    {"stolt", "radar on one straight line (cart line, B-scan): Stolt "
              "migration, then the energy below the surface", stolt_recipe},
    {"rx", "radar local RX over depth-profile features (full covariance, "
           "outer and guard windows) and metal detector, fused", rx_recipe},
    {NULL, NULL, NULL},
};

static const char *const role_names[MS_N_ROLES] = {
    "anomaly", "gpr", "emi", "coverage", "bscan", "slices"};

const char *ms_output_role_name(ms_output_role role)
{
    return role < MS_N_ROLES ? role_names[role] : "?";
}

static const char *const sensor_slots[] = {"gpr", "gpr_valid", "gpr_xy",
                                           "emi", "emi_valid", "emi_xy"};

int ms_slot_is_sensor(const char *name)
{
    for (size_t i = 0; i < sizeof sensor_slots / sizeof sensor_slots[0]; i++)
        if (!strcmp(sensor_slots[i], name))
            return 1;
    return 0;
}

double ms_recipe_tolerance(const ms_recipe *r)
{
    double tol = 0.0;
    for (size_t i = 0; i < r->n_steps; i++)
        tol += r->steps[i].decl->tolerance;
    return tol;
}

char *ms_recipe_effective_text(const ms_recipe *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < r->n_steps; i++) {
        const ms_recipe_step *st = &r->steps[i];
        const ms_stage_decl *d = st->decl;
        fprintf(f, "stage %s", d->name);
        for (unsigned k = 0; k < d->n_params; k++) {
            /* the shortest text that reads back as the same double */
            char num[32];
            double v = ms_param_get(&d->params[k], &st->params);
            snprintf(num, sizeof num, "%.15g", v);
            if (strtod(num, NULL) != v)
                snprintf(num, sizeof num, "%.17g", v);
            fprintf(f, " %s=%s", d->params[k].name, num);
        }
        fputs(" in=", f);
        for (unsigned k = 0; k < d->n_in; k++)
            fprintf(f, "%s%s", k ? "," : "", st->in[k]);
        fputs(" out=", f);
        for (unsigned k = 0; k < d->n_out; k++)
            fprintf(f, "%s%s", k ? "," : "", st->out[k]);
        fputc('\n', f);
    }
    for (int role = 0; role < MS_N_ROLES; role++) {
        const ms_recipe_output *o = &r->outputs[role];
        if (!o->n)
            continue;
        fprintf(f, "output %s=", role_names[role]);
        for (unsigned k = 0; k < o->n; k++)
            fprintf(f, "%s%s", k ? "," : "", o->slots[k]);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void ms_recipe_free(ms_recipe *r)
{
    free(r->text);
    free(r->steps);
    memset(r, 0, sizeof *r);
}

/* Parse a number for parameter `pd`, checking type and range. */
static int parse_value(const ms_param_decl *pd, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        return -1;
    if (pd->type == MS_PARAM_INT && v != floor(v))
        return -1;
    if (v < pd->min || v > pd->max)
        return -2;
    *out = v;
    return 0;
}

/* Split "a,b" into slot names; returns how many. */
static int split_slots(const char *s, char names[MS_MAX_IO][MS_SLOT_NAME])
{
    int n = 0;
    while (*s && n < MS_MAX_IO + 1) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (len == 0 || len >= MS_SLOT_NAME)
            return -1;
        if (n < MS_MAX_IO) {
            memcpy(names[n], s, len);
            names[n][len] = '\0';
        }
        n++;
        s += len + (comma ? 1 : 0);
        if (comma && !*s)
            return -1;
    }
    return n;
}

/* The stage's own constraints between parameters, with the line. */
static int check_step(const ms_recipe_step *st, const char *origin)
{
    int rc = st->decl->check ? st->decl->check(&st->params) : 0;
    return rc ? ms_fail(rc, "%s:%d: stage %s: %s", origin, st->line,
                        st->decl->name, ms_error_message())
              : 0;
}

static int parse_line(char *line, int lineno, const char *origin,
                      ms_recipe_step *st)
{
    char *save = NULL;
    char *word = strtok_r(line, " \t\r", &save);
    if (strcmp(word, "stage") != 0)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s:%d: a line must start with 'stage', not '%s'",
                       origin, lineno, word);
    char *name = strtok_r(NULL, " \t\r", &save);
    if (!name)
        return ms_fail(MS_ERR_INVALID_INPUT, "%s:%d: 'stage' needs a name",
                       origin, lineno);
    const ms_stage_decl *d = ms_stage_find(name);
    if (!d)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s:%d: unknown stage '%s' (minescan run --help lists "
                       "the stages)", origin, lineno, name);
    memset(st, 0, sizeof *st);
    st->decl = d;
    st->line = lineno;
    ms_stage_defaults(d, &st->params);
    for (unsigned i = 0; i < d->n_in; i++)
        snprintf(st->in[i], MS_SLOT_NAME, "%s", d->in_slots[i]);
    for (unsigned i = 0; i < d->n_out; i++)
        snprintf(st->out[i], MS_SLOT_NAME, "%s", d->out_slots[i]);
    while ((word = strtok_r(NULL, " \t\r", &save))) {
        char *eq = strchr(word, '=');
        if (!eq || eq == word)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: '%s' is not key=value", origin, lineno,
                           word);
        *eq = '\0';
        const char *key = word, *value = eq + 1;
        if (!strcmp(key, "in") || !strcmp(key, "out")) {
            int want = !strcmp(key, "in") ? (int)d->n_in : (int)d->n_out;
            int got = split_slots(value, !strcmp(key, "in") ? st->in : st->out);
            if (got != want)
                return ms_fail(MS_ERR_INVALID_INPUT,
                               "%s:%d: stage %s takes %d %s slot name(s) "
                               "separated by commas, got '%s'",
                               origin, lineno, name, want, key, value);
            continue;
        }
        int k = ms_stage_param_index(d, key);
        if (k < 0)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: stage %s has no parameter '%s'", origin,
                           lineno, name, key);
        const ms_param_decl *pd = &d->params[k];
        double v = 0.0;
        int rc = parse_value(pd, value, &v);
        if (rc == -1)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: %s.%s=%s is not %s", origin, lineno, name,
                           key, value,
                           pd->type == MS_PARAM_INT ? "an integer" : "a number");
        if (rc == -2)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: %s.%s=%s is out of range [%g, %g]", origin,
                           lineno, name, key, value, pd->min, pd->max);
        ms_param_set(pd, &st->params, v);
    }
    return 0;
}

/* `output ROLE=slot[,slot...] ...` */
static int parse_output_line(char *line, int lineno, const char *origin,
                             ms_recipe *r)
{
    char *save = NULL, *word;
    strtok_r(line, " \t\r", &save); /* "output" */
    int any = 0;
    while ((word = strtok_r(NULL, " \t\r", &save))) {
        char *eq = strchr(word, '=');
        if (!eq || eq == word)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: '%s' is not ROLE=slot", origin, lineno,
                           word);
        *eq = '\0';
        int role = -1;
        for (int k = 0; k < MS_N_ROLES; k++)
            if (!strcmp(role_names[k], word))
                role = k;
        if (role < 0)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: unknown output '%s' (anomaly, gpr, emi, "
                           "coverage or bscan)", origin, lineno, word);
        ms_recipe_output *o = &r->outputs[role];
        if (o->n)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: output %s is already given on line %d",
                           origin, lineno, word, o->line);
        int got = split_slots(eq + 1, o->slots);
        if (got < 1 || got > MS_MAX_IO)
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s:%d: output %s takes 1 to %d slot names "
                           "separated by commas, got '%s'", origin, lineno,
                           word, MS_MAX_IO, eq + 1);
        o->n = (unsigned)got;
        o->line = lineno;
        any = 1;
    }
    if (!any)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s:%d: 'output' needs ROLE=slot (anomaly=...)", origin,
                       lineno);
    return 0;
}

/* Whether a line before `upto` writes `slot`, or the recording has it. */
static int written_before(const ms_recipe *r, size_t upto, const char *slot)
{
    if (ms_slot_is_sensor(slot))
        return 1;
    for (size_t i = 0; i < upto; i++)
        for (unsigned o = 0; o < r->steps[i].decl->n_out; o++)
            if (!strcmp(r->steps[i].out[o], slot))
                return 1;
    return 0;
}

int ms_recipe_validate(const ms_recipe *r)
{
    for (size_t i = 0; i < r->n_steps; i++) {
        const ms_recipe_step *st = &r->steps[i];
        int rc = check_step(st, r->name);
        if (rc)
            return rc;
        for (unsigned k = 0; k < st->decl->n_in; k++)
            if (!written_before(r, i, st->in[k]))
                return ms_fail(MS_ERR_INVALID_INPUT,
                               "%s:%d: stage %s reads slot '%s', which no "
                               "earlier line writes and no recording "
                               "provides (the recording's slots are gpr, "
                               "gpr_valid, gpr_xy, emi, emi_valid, emi_xy)",
                               r->name, st->line, st->decl->name, st->in[k]);
    }
    for (int role = 0; role < MS_N_ROLES; role++) {
        const ms_recipe_output *o = &r->outputs[role];
        for (unsigned k = 0; k < o->n; k++)
            if (!written_before(r, r->n_steps, o->slots[k]))
                return ms_fail(MS_ERR_INVALID_INPUT,
                               "%s:%d: output %s names slot '%s', which no "
                               "line writes", r->name, o->line,
                               role_names[role], o->slots[k]);
    }
    return 0;
}

int ms_recipe_parse(const char *text, const char *origin, ms_recipe *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", origin);
    out->text = strdup(text);
    char *copy = strdup(text);
    if (!out->text || !copy) {
        free(copy);
        ms_recipe_free(out);
        return ms_fail(MS_ERR_NOMEM, "out of memory reading a recipe");
    }
    int rc = 0, lineno = 0;
    size_t cap = 0;
    char *save = NULL;
    /* strtok_r would merge blank lines and lose the numbering. */
    for (char *line = copy; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            continue;
        if (!strncmp(p, "output", 6) && (!p[6] || isspace((unsigned char)p[6]))) {
            rc = parse_output_line(p, lineno, origin, out);
            if (rc)
                break;
            continue;
        }
        if (out->n_steps == cap) {
            cap = cap ? 2 * cap : 16;
            ms_recipe_step *grown = realloc(out->steps, cap * sizeof *grown);
            if (!grown) {
                rc = ms_fail(MS_ERR_NOMEM, "out of memory reading a recipe");
                break;
            }
            out->steps = grown;
        }
        rc = parse_line(p, lineno, origin, &out->steps[out->n_steps]);
        if (rc)
            break;
        out->n_steps++;
    }
    free(copy);
    if (!rc && out->n_steps == 0)
        rc = ms_fail(MS_ERR_INVALID_INPUT, "%s: the recipe has no stage",
                     origin);
    if (rc)
        ms_recipe_free(out);
    return rc;
}

int ms_recipe_load(const char *name_or_path, ms_recipe *out)
{
    for (const ms_builtin_recipe *b = ms_builtin_recipes; b->name; b++)
        if (!strcmp(b->name, name_or_path))
            return ms_recipe_parse(b->text, b->name, out);
    struct stat st;
    if (stat(name_or_path, &st) == 0 && !S_ISREG(st.st_mode))
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: not a recipe file (a folder or a device)",
                       name_or_path);
    FILE *f = fopen(name_or_path, "rb");
    if (!f)
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: no built-in recipe of that name and no such file "
                       "(minescan recipes lists the built-in ones)",
                       name_or_path);
    char *text = NULL;
    size_t len = 0, cap = 0, got;
    char buf[4096];
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                return ms_fail(MS_ERR_NOMEM, "%s: out of memory", name_or_path);
            }
            text = grown;
        }
        memcpy(text + len, buf, got);
        len += got;
        if (len > (1u << 20)) {
            free(text);
            fclose(f);
            return ms_fail(MS_ERR_INVALID_INPUT,
                           "%s: too large for a recipe (over 1 MiB)",
                           name_or_path);
        }
    }
    fclose(f);
    if (!text)
        text = calloc(1, 1);
    else
        text[len] = '\0';
    if (!text)
        return ms_fail(MS_ERR_NOMEM, "%s: out of memory", name_or_path);
    if (memchr(text, '\0', len)) {
        free(text);
        return ms_fail(MS_ERR_INVALID_INPUT,
                       "%s: not a recipe (binary data); a recipe is plain "
                       "text, one stage per line", name_or_path);
    }
    int rc = ms_recipe_parse(text, name_or_path, out);
    free(text);
    return rc;
}

int ms_recipe_override(ms_recipe *r, const char *assignment)
{
    char stage[64], key[64];
    const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');
    if (!dot || !eq || dot > eq || (size_t)(dot - assignment) >= sizeof stage ||
        (size_t)(eq - dot - 1) >= sizeof key)
        return ms_fail(MS_ERR_USAGE,
                       "--set %s: expected STAGE.KEY=VALUE or "
                       "STAGE#N.KEY=VALUE", assignment);
    memcpy(stage, assignment, (size_t)(dot - assignment));
    stage[dot - assignment] = '\0';
    memcpy(key, dot + 1, (size_t)(eq - dot - 1));
    key[eq - dot - 1] = '\0';
    /* STAGE#N: only the Nth line of that stage (the default recipe runs
     * background_removal twice); STAGE alone: every line of it. */
    long nth = 0;
    char *hash = strchr(stage, '#');
    if (hash) {
        char *end;
        *hash = '\0';
        nth = strtol(hash + 1, &end, 10);
        if (end == hash + 1 || *end || nth < 1)
            return ms_fail(MS_ERR_USAGE, "--set %s: '#' must be followed by "
                           "1, 2, ... (which line of that stage)", assignment);
    }
    const ms_stage_decl *d = ms_stage_find(stage);
    if (!d)
        return ms_fail(MS_ERR_USAGE, "--set %s: unknown stage '%s'",
                       assignment, stage);
    int k = ms_stage_param_index(d, key);
    if (k < 0)
        return ms_fail(MS_ERR_USAGE, "--set %s: stage %s has no parameter '%s'",
                       assignment, stage, key);
    double v;
    int rc = parse_value(&d->params[k], eq + 1, &v);
    if (rc)
        return ms_fail(MS_ERR_USAGE, "--set %s: %s (range [%g, %g])",
                       assignment, rc == -1 ? "not a valid value" : "out of range",
                       d->params[k].min, d->params[k].max);
    long seen = 0;
    for (size_t i = 0; i < r->n_steps; i++)
        if (r->steps[i].decl == d && (++seen == nth || nth == 0))
            ms_param_set(&d->params[k], &r->steps[i].params, v);
    if (seen == 0 || seen < nth)
        return ms_fail(MS_ERR_USAGE, "--set %s: the recipe has %ld line(s) of "
                       "stage %s", assignment, seen, stage);
    return 0;
}
