/* course.html's labels, in one table per language. Only English is filled
 * in here; a language without a table (uk, km until their catalogues
 * come) falls back to English label by label. */
#include "report/course.h"

#include <string.h>

static const char *const en[MS_CL_COUNT] = {
    [MS_CL_PAGE_TITLE] = "Training course",
    [MS_CL_INTRO] = "Each trainee's lanes in date order: the mines they "
                    "found with their marks, those they missed, their false "
                    "marks, and how well they swept the lane. Found by the "
                    "pipeline is what the radar and metal-detector data "
                    "show on the same lane.",
    [MS_CL_TRAINEE] = "Trainee",
    [MS_CL_LANES] = "lanes",
    [MS_CL_DATE] = "Date",
    [MS_CL_LANE] = "Lane",
    [MS_CL_TITLE] = "Title",
    [MS_CL_MINES] = "Mines",
    [MS_CL_FOUND_BY_TRAINEE] = "Found by trainee",
    [MS_CL_MISSED] = "Missed",
    [MS_CL_FALSE_MARKS] = "False marks",
    [MS_CL_FALSE_MARKS_PER_M2] = "False marks per m²",
    [MS_CL_FOUND_BY_PIPELINE] = "Found by pipeline",
    [MS_CL_COVERAGE] = "Coverage",
    [MS_CL_OVER_SPEED] = "Time over speed limit",
    [MS_CL_LANE_PAGE] = "Lane page",
    [MS_CL_OPEN] = "open",
    [MS_CL_TOTAL] = "Total",
    [MS_CL_NOT_SCORED] = "no truth",
    [MS_CL_FILES] = "The same numbers",
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
    if ((unsigned)id >= MS_CL_COUNT)
        return "";
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (lang && !strcmp(lang, tables[i].lang) && tables[i].labels &&
            tables[i].labels[id])
            return tables[i].labels[id];
    return en[id] ? en[id] : "";
}
