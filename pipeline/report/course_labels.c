/* course.html's labels: English msgids marked with N_() and translated
 * with _() in the language --lang chose (core/i18n.h), so that they live
 * in po/LANG.po beside every other label. */
#include "report/course.h"

#include "core/i18n.h"

static const char *const msgids[MS_CL_COUNT] = {
    [MS_CL_PAGE_TITLE] = N_("Training course"),
    [MS_CL_INTRO] = N_("Each trainee's lanes in date order: the mines they "
                       "found with their marks, those they missed, their "
                       "false marks, and how well they swept the lane. Found "
                       "by the detector is what the radar and metal-detector "
                       "data show on the same lane."),
    [MS_CL_TRAINEE] = N_("Trainee"),
    [MS_CL_LANES] = N_("Lanes"),
    [MS_CL_DATE] = N_("Date"),
    [MS_CL_LANE] = N_("Lane"),
    [MS_CL_TITLE] = N_("Title"),
    [MS_CL_MINES] = N_("Mines"),
    [MS_CL_FOUND_BY_TRAINEE] = N_("Found by trainee"),
    [MS_CL_MISSED] = N_("Missed"),
    [MS_CL_FALSE_MARKS] = N_("False marks"),
    [MS_CL_FALSE_MARKS_PER_M2] = N_("False marks per m²"),
    [MS_CL_FOUND_BY_PIPELINE] = N_("Found by detector"),
    [MS_CL_COVERAGE] = N_("Coverage"),
    [MS_CL_OVER_SPEED] = N_("Time over speed limit"),
    [MS_CL_LANE_PAGE] = N_("Lane page"),
    [MS_CL_OPEN] = N_("open"),
    [MS_CL_TOTAL] = N_("Total"),
    [MS_CL_NOT_SCORED] = N_("no truth"),
    [MS_CL_FILES] = N_("The same numbers"),
    [MS_CL_SUMMARY] = N_("How each trainee did"),
};

const char *ms_course_label(ms_course_label_id id)
{
    if ((unsigned)id >= MS_CL_COUNT || !msgids[id])
        return "";
    return _(msgids[id]);
}
