/* Simulated training and benchmark lanes with known truth.
 *
 * A scenario describes one lane: soil, instrument, how the operator (or a
 * cart) sweeps it, what is buried in it and whether a simulated operator
 * marks it. ms_simulate() turns a scenario and a seed into a recording in
 * the contract format (with /truth, /lane and optionally /marks); the same
 * scenario and seed always give identical data. The physics and its limits
 * are described in pipeline/simulate/MODEL.md.
 *
 * Every scenario parameter is declared once, in a table (ms_scenario_param)
 * that drives the defaults, the JSON keys, the command-line options, the
 * range checks and the --help text. */
#ifndef MINESCAN_SIMULATE_H
#define MINESCAN_SIMULATE_H

#include <stddef.h>
#include <stdint.h>

#include "minescan/error.h"
#include "minescan/recording.h"

enum { MS_SIM_NAME_MAX = 32, MS_SIM_TEXT_MAX = 128, MS_SIM_MAX_TYPES = 16 };

typedef enum { MS_SIM_GPR = 1, MS_SIM_EMI = 2, MS_SIM_DUAL = 3 } ms_sim_sensor;
typedef enum { MS_SIM_HANDHELD = 0, MS_SIM_CART = 1 } ms_sim_sweep;
/* A trainee's habits (pipeline/simulate/operator_profile.c): none leaves
 * the sweep and marks parameters as they are; the others scale them and
 * switch marks on. */
typedef enum {
    MS_SIM_OPERATOR_NONE = 0,
    MS_SIM_OPERATOR_CAREFUL,    /* slow, overlapping sweeps, marks close */
    MS_SIM_OPERATOR_FAST,       /* fast sweeps with gaps, misses mines */
    MS_SIM_OPERATOR_OVERMARKER, /* marks the mines and much else */
} ms_sim_operator_profile;

/* ---- catalogue of buried objects --------------------------------------- */

typedef enum {
    MS_SHAPE_DISC = 0,    /* a flat-topped cylinder, axis vertical */
    MS_SHAPE_SEGMENT = 1, /* a long thin body lying flat (root, wire, can) */
} ms_sim_shape;

typedef struct ms_sim_catalogue_entry {
    const char *name;   /* "PMN", "clutter:can", ... (the /truth label) */
    int is_mine;        /* 1: must be found */
    int min_metal;      /* 1: a minimum-metal mine */
    ms_sim_shape shape;
    double diameter_m;  /* disc diameter, or segment thickness */
    double length_m;    /* segment length (0 for a disc) */
    double height_m;    /* body height (thickness) */
    double eps;         /* body relative permittivity; 0 = metal body */
    double metal_g;     /* metal content, grams */
    double emi_k;       /* EMI response per gram relative to chunky steel */
    double tau_s;       /* eddy-current decay time constant, seconds */
    double depth_max_m; /* deepest burial the placer uses for it */
    const char *note;   /* where the numbers come from */
} ms_sim_catalogue_entry;

size_t ms_sim_catalogue_count(void);
const ms_sim_catalogue_entry *ms_sim_catalogue_at(size_t i);
/* Exact name match; NULL when absent. */
const ms_sim_catalogue_entry *ms_sim_catalogue_find(const char *name);

/* ---- scenario ---------------------------------------------------------- */

/* One object placed by hand (the scenario's "objects" list). A negative
 * value (or 0 for diameter) means "the catalogue's value". */
typedef struct ms_sim_object {
    char type[MS_SIM_NAME_MAX]; /* catalogue name */
    double x, y;                /* centre, metres, lane frame */
    double depth;               /* to the top of the object, metres */
    double metal_g, eps, diameter_m, length_m, azimuth_deg;
    int tracked; /* 1: listed in /truth (default); 0: untracked background */
} ms_sim_object;

typedef struct ms_scenario {
    uint64_t seed;
    char title[MS_SIM_TEXT_MAX], site[MS_SIM_TEXT_MAX];
    char lane_id[MS_SIM_TEXT_MAX], operator_id[MS_SIM_TEXT_MAX];
    char recorded_at[MS_SIM_TEXT_MAX]; /* ISO 8601, or empty */
    int operator_profile; /* ms_sim_operator_profile: how they sweep, mark */
    int sensor; /* ms_sim_sensor */
    int sweep;  /* ms_sim_sweep */
    double length_m, width_m;

    /* soil */
    double soil_eps, soil_eps_variation, soil_conductivity_s_m;
    double roughness_m, roughness_corr_m;
    double layer_depth_m, layer_eps, layer_undulation_m; /* depth 0: none */
    double soil_mag_response, soil_mag_variation; /* mineralisation (EMI) */

    /* how the head moves */
    double head_height_m, height_wobble_m, end_lift_m, hand_jitter_m;
    double sweep_speed_m_s, sweep_overshoot_m, arc_radius_m;
    double advance_m, advance_variation, pause_prob;
    double line_spacing_m, cart_speed_m_s, cart_trace_spacing_m;

    /* GPR */
    double gpr_frequency_hz, gpr_sample_interval_s, gpr_time_window_s;
    double gpr_time_zero_s, gpr_trace_rate_hz, gpr_snr_db;
    double gpr_beam_half_angle_deg, gpr_direct_coupling, gpr_ringing;
    double gpr_wow, gpr_dropout_prob, gpr_height_noise_m;

    /* metal detector */
    int emi_channels;
    double emi_rate_hz, emi_coil_radius_m, emi_height_offset_m;
    double emi_first_gate_s, emi_last_gate_s, emi_noise, emi_drift;

    /* random population */
    int n_mines;
    char mine_types[MS_SIM_MAX_TYPES][MS_SIM_NAME_MAX];
    int n_mine_types;
    double mine_depth_min_m, mine_depth_max_m, mine_spacing_m, edge_margin_m;
    double clutter_per_m2;
    char clutter_types[MS_SIM_MAX_TYPES][MS_SIM_NAME_MAX];
    int n_clutter_types;
    double pebbles_per_m2, metal_bits_per_m2, roots_per_m2;

    /* simulated operator's marks */
    int marks;
    double marks_pd, marks_pd_min_metal, marks_error_m;
    double marks_false_per_m2, marks_clutter_prob;

    /* objects placed by hand, in addition to the random population */
    ms_sim_object *objects;
    size_t n_objects;
} ms_scenario;

/* The scenario with the profile's changes applied (s is changed). */
void ms_sim_apply_operator_profile(ms_scenario *s);

/* Defaults (a 5 m hand-held dual-sensor lane in moist sandy soil). */
void ms_scenario_init(ms_scenario *s);
/* Frees the objects list; the struct may be initialised again. */
void ms_scenario_free(ms_scenario *s);
/* Deep copy (the objects list too). */
int ms_scenario_copy(ms_scenario *dst, const ms_scenario *src);

/* Overlay the keys present in a JSON scenario file on *s. Sections nest:
 * {"soil": {"eps": 9}} sets the key soil.eps. An unknown key, a value of the
 * wrong type or out of range fails with MS_ERR_INVALID_INPUT and a message
 * "FILE: KEY: what is wrong". */
int ms_scenario_load(ms_scenario *s, const char *path);

/* Set one parameter from text, by key ("soil.eps") or option name ("eps").
 * `origin` starts the error message (a file name or "--eps"). */
int ms_scenario_set(ms_scenario *s, const char *name, const char *value,
                    const char *origin);

/* Checks between parameters (time window against sample interval, mine
 * count against lane area, ...). `origin` starts the message. */
int ms_scenario_check(const ms_scenario *s, const char *origin);

/* The parameter table. */
typedef enum {
    MS_SIM_P_DOUBLE,
    MS_SIM_P_INT,
    MS_SIM_P_U64,
    MS_SIM_P_BOOL,
    MS_SIM_P_ENUM,
    MS_SIM_P_TEXT, /* char[MS_SIM_TEXT_MAX] */
    MS_SIM_P_LIST, /* catalogue names, char[MS_SIM_MAX_TYPES][..] + count */
} ms_sim_param_kind;

typedef struct ms_sim_param {
    const char *key;    /* JSON key, "soil.eps" */
    const char *option; /* command-line option without "--", "eps" */
    ms_sim_param_kind kind;
    size_t offset;       /* into ms_scenario */
    size_t count_offset; /* MS_SIM_P_LIST: the int count */
    double min, max;     /* range, inclusive */
    const char *const *names; /* MS_SIM_P_ENUM: NULL-terminated */
    const char *unit;
    const char *help;
} ms_sim_param;

size_t ms_scenario_param_count(void);
const ms_sim_param *ms_scenario_param_at(size_t i);
/* By key or option name; NULL when unknown. */
const ms_sim_param *ms_scenario_param_find(const char *name);
/* The parameter's value as text (as it would be written on the command
 * line); returns buf. */
const char *ms_scenario_format(const ms_scenario *s, const ms_sim_param *p,
                               char *buf, size_t n);

/* The whole scenario as a JSON document that ms_scenario_load reads back
 * (a scenario file with every key). Free with free(); NULL if out of
 * memory. */
char *ms_scenario_to_json(const ms_scenario *s);

/* ---- simulation -------------------------------------------------------- */

/* Simulate the lane. On success *out owns a recording with /gpr and/or
 * /emi, /lane, /truth (every tracked object) and /marks (when enabled).
 * Deterministic: the same scenario and seed give identical data. */
int ms_simulate(const ms_scenario *s, uint64_t seed, ms_recording **out);

/* The noise standard deviation that gpr.snr_db implies for the scenario:
 * the peak amplitude of a PMN 5 cm deep straight below the antenna at the
 * nominal head height, divided by 10^(snr_db/20). */
double ms_simulate_gpr_noise_sigma(const ms_scenario *s);

#endif
