/* Simulated trainees: each profile scales the hand-held sweep and the
 * marks parameters of a scenario (on top of whatever the scenario says),
 * so one lane swept by three trainees differs only in their habits. The
 * numbers are chosen so that, at the default sweep quality settings
 * (0.15 m footprint, 0.5 m/s), a careful sweep covers more of the lane,
 * more slowly, than a fast one, and an over-marker leaves the most false
 * marks. */
#include "minescan/simulate.h"

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void ms_sim_apply_operator_profile(ms_scenario *s)
{
    switch (s->operator_profile) {
    case MS_SIM_OPERATOR_CAREFUL:
        /* slow swings, half the step forward: swaths overlap */
        s->sweep_speed_m_s = clamp(s->sweep_speed_m_s * 0.6, 0.05, 2);
        s->advance_m = clamp(s->advance_m * 0.6, 0.01, 0.5);
        s->advance_variation *= 0.5;
        s->marks_pd = 1.0;
        s->marks_pd_min_metal = 0.9;
        s->marks_error_m = 0.03;
        s->marks_false_per_m2 = 0.1;
        s->marks_clutter_prob = 0.2;
        break;
    case MS_SIM_OPERATOR_FAST:
        /* fast swings and long, uneven steps: stripes left unswept */
        s->sweep_speed_m_s = clamp(s->sweep_speed_m_s * 2.2, 0.05, 2);
        s->advance_m = clamp(s->advance_m * 2.5, 0.01, 0.5);
        s->advance_variation = clamp(s->advance_variation * 1.5, 0, 1);
        s->pause_prob = 0;
        s->marks_pd = 0.55;
        s->marks_pd_min_metal = 0.3;
        s->marks_error_m = 0.08;
        s->marks_false_per_m2 = 0.2;
        s->marks_clutter_prob = 0.1;
        break;
    case MS_SIM_OPERATOR_OVERMARKER:
        /* an ordinary sweep, but every doubt becomes a mark */
        s->marks_pd = 0.95;
        s->marks_pd_min_metal = 0.8;
        s->marks_error_m = 0.05;
        s->marks_false_per_m2 = 2.5;
        s->marks_clutter_prob = 0.9;
        break;
    default:
        return;
    }
    s->marks = 1;
}
