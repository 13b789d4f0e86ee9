/* Recordings along one straight line (a single B-scan, a cart line): the
 * fit the runner grids them by and the run scores them by (their extra
 * score.json keys are written by score_write.c). See minescan/detect.h. */
#include "minescan/detect.h"
#include "minescan/error.h"

#include "detect/detect_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ms_line_kind ms_line_fit(const double *const x[], const double *const y[],
                         const size_t n[], size_t n_sets, double tol_m,
                         ms_line *out)
{
    memset(out, 0, sizeof *out);
    out->kind = MS_LINE_NONE;
    if (!(tol_m >= 0) || !isfinite(tol_m))
        return MS_LINE_NONE;
    /* Moments about the first position (cancellation: lane frames may sit
     * kilometres from their origin), and the extent. */
    double ox = NAN, oy = NAN, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    size_t m = 0;
    for (size_t k = 0; k < n_sets; k++) {
        for (size_t i = 0; x[k] && y[k] && i < n[k]; i++) {
            double px = x[k][i], py = y[k][i];
            if (!isfinite(px) || !isfinite(py))
                continue;
            if (m == 0) {
                ox = px;
                oy = py;
            }
            double dx = px - ox, dy = py - oy;
            sx += dx;
            sy += dy;
            sxx += dx * dx;
            syy += dy * dy;
            sxy += dx * dy;
            x_lo = fmin(x_lo, px);
            x_hi = fmax(x_hi, px);
            y_lo = fmin(y_lo, py);
            y_hi = fmax(y_hi, py);
            m++;
        }
    }
    if (m < 2)
        return MS_LINE_NONE;
    double x_ext = x_hi - x_lo, y_ext = y_hi - y_lo;
    ms_line l = {0};
    if (y_ext <= 2 * tol_m && x_ext > 2 * tol_m && x_ext > y_ext) {
        l = (ms_line){MS_LINE_ALONG_X, 0.5 * (x_lo + x_hi), 0.5 * (y_lo + y_hi),
                      1.0, 0.0, x_ext, 0.5 * y_ext};
    } else if (x_ext <= 2 * tol_m && y_ext > 2 * tol_m) {
        l = (ms_line){MS_LINE_ALONG_Y, 0.5 * (x_lo + x_hi), 0.5 * (y_lo + y_hi),
                      0.0, 1.0, y_ext, 0.5 * x_ext};
    } else {
        /* the principal axis of the positions through their centroid */
        double mn = (double)m, mx = sx / mn, my = sy / mn;
        double cxx = sxx / mn - mx * mx, cyy = syy / mn - my * my,
               cxy = sxy / mn - mx * my;
        double theta = 0.5 * atan2(2 * cxy, cxx - cyy);
        double ux = cos(theta), uy = sin(theta);
        if (ux < 0 || (ux == 0 && uy < 0)) { /* pointing +x (or +y) */
            ux = -ux;
            uy = -uy;
        }
        double t_lo = INFINITY, t_hi = -INFINITY, off = 0;
        for (size_t k = 0; k < n_sets; k++) {
            for (size_t i = 0; x[k] && y[k] && i < n[k]; i++) {
                double px = x[k][i], py = y[k][i];
                if (!isfinite(px) || !isfinite(py))
                    continue;
                double dx = px - ox - mx, dy = py - oy - my;
                double t = dx * ux + dy * uy;
                t_lo = fmin(t_lo, t);
                t_hi = fmax(t_hi, t);
                off = fmax(off, fabs(-dx * uy + dy * ux));
            }
        }
        if (!(off <= tol_m) || !(t_hi - t_lo > 2 * tol_m))
            return MS_LINE_NONE;
        double tc = 0.5 * (t_lo + t_hi);
        l = (ms_line){MS_LINE_DIAGONAL, ox + mx + tc * ux, oy + my + tc * uy,
                      ux, uy, t_hi - t_lo, off};
    }
    *out = l;
    return l.kind;
}

ms_line_kind ms_recording_line(const ms_recording *rec, double tol_m,
                               ms_line *out)
{
    const double *x[2] = {0}, *y[2] = {0};
    size_t n[2] = {0};
    if (rec && rec->gpr) {
        x[0] = rec->gpr->x;
        y[0] = rec->gpr->y;
        n[0] = rec->gpr->n_traces;
    }
    if (rec && rec->emi) {
        x[1] = rec->emi->x;
        y[1] = rec->emi->y;
        n[1] = rec->emi->n_readings;
    }
    return ms_line_fit(x, y, n, 2, tol_m, out);
}

