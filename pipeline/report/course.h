/* The course: every lane of every trainee, read back from lane folders
 * (a run's or batch's output: summary.json "recording", score.json), and
 * written as course.csv, course.json and course.html. */
#ifndef MINESCAN_COURSE_H
#define MINESCAN_COURSE_H

#include <stddef.h>

typedef struct ms_course_lane {
    char *operator_id; /* "unknown" when the recording names none */
    char *lane_id, *title, *recorded_at, *site; /* NULL when absent */
    char *dir;  /* the lane's folder, as given */
    char *page; /* its index.html relative to the course folder */
    /* NaN when absent (no /truth: no mines, no marks score; no sweep) */
    double mines, found_by_trainee, missed, false_marks, false_marks_per_m2;
    double marks_area_m2, found_by_pipeline, coverage_fraction;
    double fraction_over_limit, speed_median;
} ms_course_lane;

typedef struct ms_course {
    ms_course_lane *lanes;
    size_t n, cap;
} ms_course;

/* Read one lane folder (its summary.json, and score.json when listed);
 * `course_dir` (existing) is where the links start. 0, or
 * MS_ERR_INVALID_INPUT naming the file that is missing or unreadable. A
 * folder already in the course (same real path) is not added twice. */
int ms_course_add_folder(ms_course *c, const char *lane_dir,
                         const char *course_dir);
/* Trainees by id ("unknown" last), each one's lanes by recorded_at (those
 * without last), then lane_id and title. */
void ms_course_sort(ms_course *c);
void ms_course_free(ms_course *c);

/* Atomic writers. course.html's labels are in the language --lang chose
 * (core/i18n.h: ms_lang_set). */
int ms_course_write_csv(const char *path, const ms_course *c);
int ms_course_write_json(const char *path, const ms_course *c);
int ms_course_write_html(const char *path, const ms_course *c);

/* Every label of course.html, in one place (course_labels.c); their
 * translations are in po/LANG.po. */
typedef enum ms_course_label_id {
    MS_CL_PAGE_TITLE,
    MS_CL_INTRO,
    MS_CL_TRAINEE,
    MS_CL_LANES,
    MS_CL_DATE,
    MS_CL_LANE,
    MS_CL_TITLE,
    MS_CL_MINES,
    MS_CL_FOUND_BY_TRAINEE,
    MS_CL_MISSED,
    MS_CL_FALSE_MARKS,
    MS_CL_FALSE_MARKS_PER_M2,
    MS_CL_FOUND_BY_PIPELINE,
    MS_CL_COVERAGE,
    MS_CL_OVER_SPEED,
    MS_CL_LANE_PAGE,
    MS_CL_OPEN,
    MS_CL_TOTAL,
    MS_CL_NOT_SCORED,
    MS_CL_FILES,
    MS_CL_SUMMARY,
    MS_CL_COUNT
} ms_course_label_id;
/* The label in the current language. */
const char *ms_course_label(ms_course_label_id id);

#endif
