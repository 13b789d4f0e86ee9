/* Internals of the lane simulator, shared by the pipeline/simulate sources and the
 * physics tests. See MODEL.md for the model these functions implement. */
#ifndef MINESCAN_SIM_INTERNAL_H
#define MINESCAN_SIM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "minescan/simulate.h"

#define MS_SIM_C0 299792458.0 /* speed of light in vacuum, m/s */
#define MS_SIM_PI 3.14159265358979323846

/* ---- random numbers (rng.c) --------------------------------------------
 * xoshiro256** seeded through splitmix64. Each concern draws from its own
 * stream (seed, stream id), so that switching marks on, say, does not move
 * the objects or change the radar noise. */
typedef struct ms_rng {
    uint64_t s[4];
    int has_spare;
    double spare;
} ms_rng;

enum {
    MS_STREAM_LAYOUT = 1,
    MS_STREAM_BACKGROUND,
    MS_STREAM_FIELDS,
    MS_STREAM_SWEEP,
    MS_STREAM_GPR,
    MS_STREAM_EMI,
    MS_STREAM_MARKS,
};

void ms_rng_seed(ms_rng *r, uint64_t seed, uint64_t stream);
uint64_t ms_rng_next(ms_rng *r);
double ms_rng_uniform(ms_rng *r); /* [0, 1) */
double ms_rng_range(ms_rng *r, double lo, double hi);
double ms_rng_normal(ms_rng *r); /* N(0, 1) */
uint64_t ms_rng_below(ms_rng *r, uint64_t n); /* [0, n) */
int ms_rng_poisson(ms_rng *r, double mean);

/* A smooth random field of unit variance with a Gaussian correlation
 * function of length `corr` (random Fourier features). With y = 0 it also
 * serves as a smooth process in time. */
enum { MS_FIELD_MODES = 24 };
typedef struct ms_field {
    double kx[MS_FIELD_MODES], ky[MS_FIELD_MODES], phase[MS_FIELD_MODES];
} ms_field;
void ms_field_init(ms_field *f, ms_rng *r, double corr);
double ms_field_at(const ms_field *f, double x, double y);

/* ---- the buried objects (layout.c) -------------------------------------- */
typedef struct sim_obj {
    const char *label; /* catalogue name (static storage) */
    int tracked, is_mine, min_metal;
    ms_sim_shape shape;
    double x, y, depth;   /* centre, depth to the top */
    double radius;        /* disc radius, or segment half-thickness */
    double half_length;   /* segment half-length */
    double ux, uy;        /* segment direction */
    double height;        /* body thickness */
    double eps;           /* 0 = metal */
    double emi_m;         /* EMI dipole strength (metal_g x emi_k) */
    double tau_s;
    double diameter;      /* for /truth */
} sim_obj;

typedef struct sim_objects {
    sim_obj *v;
    size_t n, cap;
} sim_objects;

/* Places the scenario's hand-placed objects, its random mines and clutter
 * (tracked) and the untracked background. */
int ms_sim_layout(const ms_scenario *s, uint64_t seed, sim_objects *out);
/* An object with the catalogue's nominal properties, at the origin. */
sim_obj ms_sim_obj_from_catalogue(const ms_sim_catalogue_entry *c);
void ms_sim_objects_free(sim_objects *o);

/* ---- the ground (simulate.c) -------------------------------------------- */
typedef struct sim_world {
    const ms_scenario *s;
    sim_objects objects;
    ms_field rough, eps_var, layer, mag;
} sim_world;

int ms_sim_world_init(sim_world *w, const ms_scenario *s, uint64_t seed);
void ms_sim_world_free(sim_world *w);
/* Height of the local ground surface above its mean plane. */
double ms_sim_ground_z(const sim_world *w, double x, double y);
/* Soil relative permittivity near (x, y). */
double ms_sim_soil_eps(const sim_world *w, double x, double y);

/* ---- where the sensor head is (sweep.c) ---------------------------------- */
/* One sensor's sample positions: head centre, height above the local
 * ground and time since the recording began. */
typedef struct sim_track {
    size_t n;
    double *x, *y, *h, *t;
} sim_track;

/* Samples the head's path at `rate_hz` (hand-held: a fixed sampling rate
 * on an irregular zig-zag; cart: evenly spaced along straight lines). */
int ms_sim_track(const sim_world *w, uint64_t seed, double rate_hz,
                 sim_track *out);
void ms_sim_track_free(sim_track *t);

/* ---- radar (gpr_model.c) ------------------------------------------------- */
/* Ricker wavelet of peak frequency f, 1 at t = 0. */
double ms_sim_ricker(double f, double t);
/* Normal-incidence reflection coefficient from medium 1 into medium 2. */
double ms_sim_fresnel(double eps1, double eps2);
/* Soil amplitude attenuation, Np/m (low-loss conductor). */
double ms_sim_alpha(double eps, double sigma_s_m);

/* Two-way time and amplitude of one object's echo (top face) seen by an
 * antenna at horizontal distance `rh` from the nearest point of the object,
 * `h` above ground, in soil of permittivity eps. */
typedef struct sim_echo {
    double t;   /* delay after the ground reflection, seconds */
    double amp; /* signed amplitude */
} sim_echo;
sim_echo ms_sim_object_echo(const ms_scenario *s, const sim_obj *o,
                            double rh, double h, double eps);

int ms_sim_gpr(const sim_world *w, uint64_t seed, const sim_track *tr,
               ms_gpr *out);

/* ---- metal detector (emi_model.c) ---------------------------------------- */
/* Gate time of channel c. */
double ms_sim_emi_gate(const ms_scenario *s, int c);
/* Response of one object to a coil at (x, y, hc) at gate time t_gate. */
double ms_sim_emi_object(const ms_scenario *s, const sim_obj *o, double x,
                         double y, double hc, double t_gate);
int ms_sim_emi(const sim_world *w, uint64_t seed, const sim_track *tr,
               ms_emi *out);

/* ---- the simulated operator (marks.c) ------------------------------------ */
/* Sets rec->marks. */
int ms_sim_marks(const sim_world *w, uint64_t seed, const sim_track *path,
                 ms_recording *rec);

#endif
