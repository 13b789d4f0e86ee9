/* The catalogue of buried objects: mines with their published dimensions,
 * and clutter. Metal contents, permittivities and decay times are round
 * engineering estimates (see MODEL.md), not measurements of a specimen. */
#include "minescan/simulate.h"

#include <string.h>

/* name, mine, min-metal, shape, diameter, length, height, eps, metal g,
 * emi_k, tau, deepest burial, note */
static const ms_sim_catalogue_entry catalogue[] = {
    /* Anti-personnel blast mines. Body permittivity ~3-4: plastic or
     * bakelite case filled with TNT/tetryl (eps ~2.9). */
    {"PMN", 1, 0, MS_SHAPE_DISC, 0.112, 0, 0.056, 3.5, 6.0, 1.0, 60e-6, 0.20,
     "USSR AP blast, bakelite case, 240 g TNT; steel striker and spring"},
    {"PMA-2", 1, 1, MS_SHAPE_DISC, 0.068, 0, 0.061, 3.2, 1.5, 0.7, 25e-6, 0.20,
     "Yugoslav AP blast, plastic, 100 g TNT; UPMAH-2 fuze, small metal"},
    {"Type-72", 1, 1, MS_SHAPE_DISC, 0.078, 0, 0.037, 3.0, 1.0, 0.8, 20e-6,
     0.20, "Chinese AP blast, plastic, 51 g TNT/RDX; minimum metal"},
    {"M14", 1, 1, MS_SHAPE_DISC, 0.056, 0, 0.040, 3.0, 0.6, 1.0, 15e-6, 0.20,
     "US AP blast, plastic, 29 g tetryl; steel firing pin ~0.6 g"},
    /* Anti-tank, metal cased: a metal reflector for the radar. */
    {"TM-46", 1, 0, MS_SHAPE_DISC, 0.305, 0, 0.108, 0, 2500.0, 1.0, 400e-6,
     0.30, "USSR AT blast, steel case, 5.7 kg TNT"},

    /* Clutter a deminer digs up. Randomly placed clutter is scaled around
     * these sizes. */
    {"clutter:can", 0, 0, MS_SHAPE_SEGMENT, 0.066, 0.12, 0.066, 0, 15.0, 0.8,
     40e-6, 0.15, "aluminium drink can lying on its side"},
    {"clutter:fragment", 0, 0, MS_SHAPE_DISC, 0.030, 0, 0.010, 0, 10.0, 1.0,
     150e-6, 0.20, "steel shell fragment, chunky: slow decay"},
    {"clutter:stone", 0, 0, MS_SHAPE_DISC, 0.080, 0, 0.050, 7.0, 0, 0, 0, 0.25,
     "stone, eps ~5-9, no metal"},
    {"clutter:cartridge", 0, 0, MS_SHAPE_SEGMENT, 0.012, 0.050, 0.012, 0, 5.0,
     0.7, 60e-6, 0.10, "brass cartridge case"},
    {"clutter:wire", 0, 0, MS_SHAPE_SEGMENT, 0.003, 0.30, 0.003, 0, 8.0, 1.0,
     50e-6, 0.10, "length of steel wire"},

    /* Background, by default untracked (not in /truth). */
    {"clutter:pebble", 0, 0, MS_SHAPE_DISC, 0.025, 0, 0.020, 6.0, 0, 0, 0, 0.25,
     "pebble"},
    {"clutter:metal-bit", 0, 0, MS_SHAPE_DISC, 0.008, 0, 0.003, 0, 0.2, 1.0,
     40e-6, 0.15, "nail, staple or small fragment"},
    {"clutter:root", 0, 0, MS_SHAPE_SEGMENT, 0.012, 0.50, 0.012, 20.0, 0, 0,
     0, 0.20, "root of a shrub; moist wood, eps ~15-25"},
};

size_t ms_sim_catalogue_count(void)
{
    return sizeof catalogue / sizeof catalogue[0];
}

const ms_sim_catalogue_entry *ms_sim_catalogue_at(size_t i)
{
    return i < ms_sim_catalogue_count() ? &catalogue[i] : NULL;
}

const ms_sim_catalogue_entry *ms_sim_catalogue_find(const char *name)
{
    for (size_t i = 0; i < ms_sim_catalogue_count(); i++)
        if (strcmp(catalogue[i].name, name) == 0)
            return &catalogue[i];
    return NULL;
}
