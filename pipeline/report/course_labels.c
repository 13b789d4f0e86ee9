/* course.html's labels: the English ones here, marked N_() so that their
 * translations come from po/LANG.po like every other label (core/i18n.h),
 * in the language --lang chose (ms_lang_set). */
#include "report/course.h"

#include "core/i18n.h"

#include <string.h>

static const char *const en[MS_CL_COUNT] = {
    [MS_CL_PAGE_TITLE] = N_("Training course"),
    [MS_CL_INTRO] = N_("Each trainee's lanes in date order: the mines they "
                    "found with their marks, those they missed, their false "
                    "marks, and how well they swept the lane. Found by the "
                    "pipeline is what the radar and metal-detector data "
                    "show on the same lane."),
    [MS_CL_TRAINEE] = N_("Trainee"),
    [MS_CL_LANES] = N_("lanes"),
    [MS_CL_DATE] = N_("Date"),
    [MS_CL_LANE] = N_("Lane"),
    [MS_CL_TITLE] = N_("Title"),
    [MS_CL_MINES] = N_("Mines"),
    [MS_CL_FOUND_BY_TRAINEE] = N_("Found by trainee"),
    [MS_CL_MISSED] = N_("Missed"),
    [MS_CL_FALSE_MARKS] = N_("False marks"),
    [MS_CL_FALSE_MARKS_PER_M2] = N_("False marks per m²"),
    [MS_CL_FOUND_BY_PIPELINE] = N_("Found by pipeline"),
    [MS_CL_COVERAGE] = N_("Coverage"),
    [MS_CL_OVER_SPEED] = N_("Time over speed limit"),
    [MS_CL_LANE_PAGE] = N_("Lane page"),
    [MS_CL_OPEN] = N_("open"),
    [MS_CL_TOTAL] = N_("Total"),
    [MS_CL_NOT_SCORED] = N_("no truth"),
    [MS_CL_FILES] = N_("The same numbers"),
};

static const struct {
    const char *lang;
    const char *const *labels;
} tables[] = {{"en", en}, {"uk", NULL}, {"km", NULL}};

int ms_course_lang_known(const char *lang)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (lang && !strcmp(lang, tables[i].lang))
            return 1;
    return 0;
}

const char *ms_course_label(ms_course_label_id id, const char *lang)
{
    (void)lang; /* the catalogue ms_lang_set loaded is that language's */
    if ((unsigned)id >= MS_CL_COUNT)
        return "";
    return en[id] ? _(en[id]) : "";
}
