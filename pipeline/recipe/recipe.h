/* Recipes: plain text, one stage per line, `stage NAME key=value ...`;
 * `#` starts a comment; blank lines are ignored. Besides the stage's own
 * parameters a line may rename the slots it reads and writes with
 * `in=a,b` and `out=c,d`. An `output ROLE=slot[,slot...] ...` line says
 * which slots the run's products are (the first one that a run wrote
 * counts): `anomaly` the map alarms come from, `gpr` and `emi` the
 * per-sensor maps that say which sensor saw an alarm, `coverage` the
 * hit-count maps, `bscan` the filtered traces. Named recipes ship with
 * the program. */
#ifndef MINESCAN_RECIPE_H
#define MINESCAN_RECIPE_H

#include "stages/stage.h"

#define MS_SLOT_NAME 32

/* What the run's products are (see `output` above). */
typedef enum {
    MS_ROLE_ANOMALY,
    MS_ROLE_GPR,
    MS_ROLE_EMI,
    MS_ROLE_COVERAGE,
    MS_ROLE_BSCAN,
    MS_ROLE_SLICES, /* a depth volume drawn as slice_<depth>m.png */
    MS_N_ROLES
} ms_output_role;
/* "anomaly", "gpr", ... */
const char *ms_output_role_name(ms_output_role role);

/* The slots that may fill one role, in order of preference. */
typedef struct ms_recipe_output {
    char slots[MS_MAX_IO][MS_SLOT_NAME];
    unsigned n;
    int line; /* where it was declared; 0 if not */
} ms_recipe_output;

typedef struct ms_recipe_step {
    const ms_stage_decl *decl;
    ms_params params; /* the stage's parameter struct */
    char in[MS_MAX_IO][MS_SLOT_NAME];
    char out[MS_MAX_IO][MS_SLOT_NAME];
    int line; /* 1-based line in the recipe text */
} ms_recipe_step;

typedef struct ms_recipe {
    char name[256]; /* the built-in name or the file path */
    char *text;     /* the full text, as recorded in summary.json */
    ms_recipe_step *steps;
    size_t n_steps;
    ms_recipe_output outputs[MS_N_ROLES];
} ms_recipe;

typedef struct ms_builtin_recipe {
    const char *name, *description, *text;
} ms_builtin_recipe;

/* What happened to one step when it ran: the runner fills these, and
 * summary.json reports them. */
typedef struct ms_stage_report {
    const ms_recipe_step *step;
    char device[16];   /* "opencl", "cpu" or "skipped" */
    double seconds;    /* wall time, including any fallback */
    char reason[1024]; /* why skipped, or the OpenCL error that caused a fallback */
    char warning[256]; /* what the stage found odd about its parameters */
    int fell_back;
    ms_estimates estimates; /* what the stage estimated from the data */
} ms_stage_report;

/* NULL-terminated table of the recipes that ship with minescan. */
extern const ms_builtin_recipe ms_builtin_recipes[];

/* Parse `text`; `origin` names it in messages ("FILE:LINE: ..."). Returns
 * 0 or MS_ERR_INVALID_INPUT with the message naming the line. */
int ms_recipe_parse(const char *text, const char *origin, ms_recipe *out);
/* After parsing and --set overrides: every stage's own check() (t_end
 * after t_start), and the slot graph: a slot that a line reads and that no
 * earlier line writes is an error naming the line, unless it is a sensor
 * slot (gpr, gpr_valid, gpr_xy, emi, emi_valid, emi_xy), which a
 * recording may lack (the stages that need it are then skipped). Likewise
 * for the slots of `output` lines. 0 or MS_ERR_INVALID_INPUT. */
int ms_recipe_validate(const ms_recipe *r);
/* Whether `name` is a slot the recording itself provides. */
int ms_slot_is_sensor(const char *name);
/* A built-in name, else a file path. */
int ms_recipe_load(const char *name_or_path, ms_recipe *out);
/* Set `stage.key=value` on every step of that stage (for --set). */
int ms_recipe_override(ms_recipe *r, const char *assignment);
void ms_recipe_free(ms_recipe *r);
/* How far a recipe's final map may differ between the OpenCL and the C
 * path, relative to its largest value: the stages' declared tolerances
 * added up along the chain (each stage's error bound carries into the
 * next to first order). */
double ms_recipe_tolerance(const ms_recipe *r);
/* The recipe as it runs: one line per step with every parameter's value
 * (defaults and --set overrides included) and its slots. A recipe file
 * itself, so a figure can be reproduced from a PNG's text chunk alone.
 * malloc'ed; NULL when out of memory. */
char *ms_recipe_effective_text(const ms_recipe *r);

#endif
