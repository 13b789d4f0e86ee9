#!/usr/bin/python3
"""numpy/scipy peers of the minescan stages, for minescan-bench.

Each peer computes what the stage's C reference (pipeline/stages/NAME.c)
computes, the way a researcher would write it with numpy and scipy:
vectorised, O(n) where scipy is (uniform_filter1d for running means), no
Python loop over samples or traces. bench/numpy_chain.py chains the same
functions into the default recipe.

    numpy_peer.py MANIFEST.json     (written by minescan-bench)

loads the arrays the bench timed minescan on (KEY.npy beside the
manifest), times every peer (median, same repetition rule as the bench),
compares its outputs with the C path's (ref_STAGE_K.npy) and prints one
JSON object: {"versions": {...}, "stages": {NAME: {"ms", "peer",
"variants", "max_rel_diff", ...}}}. Where a step has more than one fair
numpy form (envelope: the FFT Hilbert transform and the stage's own FIR;
gridding: a binned sparse matrix and a cKDTree), each is timed and the
faster one is the peer.
"""
import json
import math
import os
import sys
import time

import numpy as np
import scipy
import scipy.stats
import scipy.ndimage as ndi
import scipy.signal
import scipy.sparse
import scipy.spatial

F32 = np.float32
# emi_tau.c: the decay time given to a response that does not decay (us)
TAU_CAP_US = 10000.0


def lround(x):
    """C's lround (halves away from zero)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


# ---- running means ---------------------------------------------------------

def masked_running_mean(s, m, half, axis):
    """Mean of the present samples in a centred window of 2*half+1 along
    axis, truncated at the ends (0 where none is present)."""
    size = 2 * half + 1
    num = ndi.uniform_filter1d(s * m, size, axis=axis, mode="constant")
    den = ndi.uniform_filter1d(m, size, axis=axis, mode="constant")
    # uniform_filter1d divides both by size; their ratio is the windowed mean
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = num / den
    mean[den <= 0] = 0
    return mean


def subtract_running_mean(s, m, half, axis):
    out = s - masked_running_mean(s, m, half, axis)
    out[m <= 0] = 0
    return out


def dewow(inp, p, env):
    s, m = inp
    fc = env.get("centre_frequency_hz", 0.0)
    periods = p.get("periods", 0.0)
    # `periods` of the centre frequency where the recording gives one
    w_ns = periods / fc * 1e9 if fc > 0 and periods > 0 else p["window_ns"]
    w = w_ns * 1e-9 / env["dt_s"]
    half = min(max(lround(w / 2.0), 1), 1000000)
    return [subtract_running_mean(s, m, half, axis=1)]


def background_removal(inp, p, env):
    s, m = inp
    return [subtract_running_mean(s, m, int(p["window_traces"]) // 2, axis=0)]


def emi_detrend(inp, p, env):
    s, m = inp
    return [subtract_running_mean(s, m, int(p["window_readings"]) // 2, axis=0)]


# ---- per-trace steps -------------------------------------------------------

def _clamp(v, lo, hi):
    return min(max(v, lo), hi)


def _solve_dropping(A, rhs):
    """bounce_fit.c's solve() for every trace at once: elimination without
    row exchanges, a term whose pivot is at most 1e-10 of the largest
    diagonal dropped (coefficient 0); np.linalg.solve would pivot and fit
    a degenerate term (a flat template's derivatives) to rounding noise."""
    A, b = A.copy(), rhs.copy()
    n = b.shape[1]
    scale = np.maximum(np.max(np.diagonal(A, axis1=1, axis2=2), axis=1), 0.0)
    used = np.zeros(b.shape, bool)
    for k in range(n):
        u = (scale > 0) & (A[:, k, k] > 1e-10 * scale)
        used[:, k] = u
        piv = np.where(u, A[:, k, k], 1.0)
        for r in range(k + 1, n):
            f = A[:, r, k] / piv
            for q in range(k, n):
                A[:, r, q] = np.where(u, A[:, r, q] - f * A[:, k, q],
                                      A[:, r, q])
            b[:, r] = np.where(u, b[:, r] - f * b[:, k], b[:, r])
    c = np.zeros_like(b)
    for k in range(n - 1, -1, -1):
        v = b[:, k].copy()
        for q in range(k + 1, n):
            v = v - A[:, k, q] * c[:, q]
        c[:, k] = np.where(used[:, k],
                           v / np.where(used[:, k], A[:, k, k], 1.0), 0.0)
    return c


def bounce_fit(inp, p, env):
    """The ground bounce fitted per trace as a numpy user would: the
    template (the mean of the present traces, all or a running window of
    them, from cumulative sums over traces) and its central differences
    over the fit window for every trace at once, the normal equations as
    sums along the window (in the stage's order), solved for every trace
    at once as the stage solves them, the tapered fit subtracted over the
    window."""
    s, m = inp
    nt, ns = s.shape
    t0 = env["time_zero_s"] / env["dt_s"]
    per_ns = 1e-9 / env["dt_s"]
    c = t0 + p["surface_ns"] * per_ns
    lo = int(min(max(math.floor(c - p["before_ns"] * per_ns + 0.5), 0), ns))
    hi = int(min(max(math.floor(c + p["after_ns"] * per_ns + 0.5) + 1, 0),
                 ns))
    hi = max(hi, lo)
    out = s.copy()
    if hi == lo:
        return [out]
    elo, ehi = max(lo - 1, 0), min(hi + 1, ns)
    step = env.get("trace_spacing_m", 0.0)
    half = nt
    if p["window_m"] > 0 and step > 0:
        r = p["window_m"] / step
        half = int(min(math.floor(r + 0.5 + 1e-4 * r), 1e9)) // 2
    half = min(half, nt)
    present = m[:, elo:ehi] > 0
    cs = np.zeros((nt + 1, ehi - elo))
    cw = np.zeros_like(cs)
    np.cumsum(np.where(present, s[:, elo:ehi], 0.0), axis=0, out=cs[1:])
    np.cumsum(present, axis=0, out=cw[1:])
    i = np.arange(nt)
    a, b = np.maximum(i - half, 0), np.minimum(i + half + 1, nt)
    sw, sp = cw[b] - cw[a], cs[b] - cs[a]
    with np.errstate(invalid="ignore", divide="ignore"):
        tmpl = np.where(sw > 0, sp / sw, 0.0)  # [nt][ehi - elo]
    j = np.arange(lo, hi)
    tm, tc, tp = (tmpl[:, np.clip(j + o, elo, ehi - 1) - elo]
                  for o in (-1, 0, 1))
    B = np.stack([tc, 0.5 * (tp - tm), tp - 2.0 * tc + tm])[:int(p["terms"])]
    w = (m[:, lo:hi] > 0).astype(np.float64)
    y = s[:, lo:hi].astype(np.float64)
    n = B.shape[0]

    def total(x):  # along the window, in the stage's order
        return np.cumsum(x, axis=-1)[..., -1]
    A = np.stack([np.stack([total(B[k] * B[q] * w) for q in range(n)], -1)
                  for k in range(n)], -2)
    rhs = np.stack([total(B[k] * w * y) for k in range(n)], -1)
    coef = _solve_dropping(A, rhs)
    fit = np.zeros_like(y)
    for k in range(n):
        fit = fit + coef[:, k, None] * B[k]
    ntap = p["taper_ns"] * 1e-9 / env["dt_s"]
    d = np.minimum(j - lo + 1, hi - j).astype(np.float64)
    taper = np.where(d < ntap + 1.0,
                     0.5 - 0.5 * np.cos(np.pi * d / (ntap + 1.0)), 1.0)
    out[:, lo:hi] = np.where(w > 0, (y - taper * fit).astype(F32),
                             s[:, lo:hi])
    return [out]


def bounce_present(s, m, lo, hi, p):
    """The stage's gate: align only when the median rms of the present
    samples in the search window is at least min_bounce_ratio times the
    median rms after it (flat ground: no bounce left to align)."""
    ratio = p.get("min_bounce_ratio", 0.0)
    if ratio <= 0:
        return True

    def median_rms(part, mask):
        w = (mask > 0).astype(F32)
        n = w.sum(axis=1)
        e = (w * part * part).sum(axis=1, dtype=F32)
        ok = n > 0
        return np.median(np.sqrt(e[ok] / n[ok])) if ok.any() else -1.0

    inside = median_rms(s[:, lo:hi], m[:, lo:hi])
    after = median_rms(s[:, hi:], m[:, hi:])
    if after < 0:
        return True
    return inside > 0 and inside >= np.float32(ratio) * after


def ground_shifts(s, m, p, env):
    """Per trace: the shift that puts its strongest present echo within the
    search window at the target sample (0 when the window holds none)."""
    nt, ns = s.shape
    t0 = env["time_zero_s"] / env["dt_s"]
    per_ns = 1e-9 / env["dt_s"]
    lo = int(_clamp(math.floor(t0 + p["search_start_ns"] * per_ns), 0, ns))
    hi = int(_clamp(math.ceil(t0 + p["search_end_ns"] * per_ns), 0, ns))
    target = int(_clamp(lround(t0 + p["target_ns"] * per_ns), 0, ns - 1))
    if hi <= lo or not bounce_present(s, m, lo, hi, p):
        return np.zeros(nt, dtype=np.int64)
    a = np.abs(s[:, lo:hi])
    a[m[:, lo:hi] <= 0] = 0
    k = np.argmax(a, axis=1)  # the first maximum, as the C loop
    found = a[np.arange(nt), k] > 0
    return np.where(found, target - (lo + k), 0)


def ground_align(inp, p, env):
    """Shift with one gather (np.take_along_axis)."""
    s, m = inp
    ns = s.shape[1]
    shift = ground_shifts(s, m, p, env)
    src = np.arange(ns)[None, :] - shift[:, None]
    inside = (src >= 0) & (src < ns)
    np.clip(src, 0, ns - 1, out=src)
    out_s = np.take_along_axis(s, src, axis=1)
    out_m = np.take_along_axis(m, src, axis=1)
    out_s[~inside] = 0
    out_m[~inside] = 0
    return [out_s, out_m]


def ground_align_grouped(inp, p, env):
    """Shift with slices: one pair of block copies per distinct shift (a few
    dozen at most: the search window's width)."""
    s, m = inp
    ns = s.shape[1]
    shift = ground_shifts(s, m, p, env)
    out_s, out_m = np.zeros_like(s), np.zeros_like(m)
    order = np.argsort(shift, kind="stable")
    bounds = np.flatnonzero(np.diff(shift[order])) + 1
    for rows in np.split(order, bounds):
        k = int(shift[rows[0]])
        if k >= ns or k <= -ns:
            continue
        if k >= 0:
            out_s[rows, k:] = s[rows, :ns - k]
            out_m[rows, k:] = m[rows, :ns - k]
        else:
            out_s[rows, :ns + k] = s[rows, -k:]
            out_m[rows, :ns + k] = m[rows, -k:]
    return [out_s, out_m]


def hilbert_taps(half):
    k = np.arange(-half, half + 1)
    taps = np.zeros(2 * half + 1, dtype=F32)
    odd = k % 2 != 0
    kk = k[odd].astype(F32)
    window = F32(0.54) + F32(0.46) * np.cos(F32(np.pi) * kk / F32(half + 1))
    taps[odd] = F32(2.0) / (F32(np.pi) * kk) * window
    return taps


def envelope_fir(inp, p, env):
    """The stage's own filter: the Hamming-windowed FIR Hilbert transform."""
    s, m = inp
    h = ndi.convolve1d(s, hilbert_taps(int(p["half_taps"])), axis=1,
                       mode="constant")
    out = np.sqrt(s * s + h * h)
    out[m <= 0] = 0
    return [out]


def envelope_hilbert(inp, p, env):
    """The textbook envelope: |analytic signal| by FFT (scipy.signal.hilbert).
    Not the stage's FIR, so its numbers differ slightly."""
    s, m = inp
    out = np.abs(scipy.signal.hilbert(s, axis=1)).astype(F32)
    out[m <= 0] = 0
    return [out]


def window_bounds(p, env, ns):
    """The stage's window in samples: t_start_ns..t_end_ns when given, else
    the depth window below the surface in two-way time at the velocity,
    held guard_periods of the centre frequency after the surface."""
    t0 = env["time_zero_s"] / env["dt_s"]
    if p.get("t_end_ns", 0.0) > 0:
        start, end = p.get("t_start_ns", 0.0), p["t_end_ns"]
    else:
        v, fc = p["velocity_m_per_ns"], env.get("centre_frequency_hz", 0.0)
        guard = p["guard_periods"] / fc * 1e9 if fc > 0 else 0.0
        start = p["surface_ns"] + max(2 * p["depth_start_m"] / v, guard)
        end = p["surface_ns"] + 2 * p["depth_end_m"] / v
    a = math.floor(t0 + start * 1e-9 / env["dt_s"])
    b = math.ceil(t0 + end * 1e-9 / env["dt_s"])
    lo, hi = int(_clamp(a, 0, ns)), int(_clamp(b, 0, ns))
    return (lo, lo) if start >= end else (lo, hi)


def window_energy(inp, p, env):
    s, m = inp
    lo, hi = window_bounds(p, env, s.shape[1])
    w = s[:, lo:hi]
    mw = m[:, lo:hi]
    num = np.einsum("ij,ij,ij->i", mw, w, w)
    cnt = mw.sum(axis=1)
    ok = cnt > 0
    out = np.zeros(s.shape[0], dtype=F32)
    out[ok] = num[ok] / cnt[ok]
    return [out[:, None], ok.astype(F32)[:, None]]


def samples_per_bin(p, env):
    s = p["bin_ns"] * 1e-9 / env["dt_s"]
    return 1 if s < 1.0 else 1000000 if s > 1e6 else lround(s)


def time_bins(inp, p, env):
    s, m = inp
    nt, ns = s.shape
    per = samples_per_bin(p, env)
    nb = (ns + per - 1) // per
    if nb * per != ns:
        pad = ((0, 0), (0, nb * per - ns))
        s, m = np.pad(s, pad), np.pad(m, pad)
    if p.get("power"):
        s = s * s
    num = (s * m).reshape(nt, nb, per).sum(axis=2)
    cnt = m.reshape(nt, nb, per).sum(axis=2)
    ok = cnt > 0
    out = np.zeros((nt, nb), dtype=F32)
    out[ok] = num[ok] / cnt[ok]
    return [out, ok.astype(F32)]


def gain(inp, p, env):
    """gain.c's curve (t^p and exp(a t) after t_ref, capped) times each
    trace, then the AGC: the windowed RMS from cumulative sums of y^2 and of
    the mask (clamped windows), the trace's RMS over it, floored and
    capped, for every sample at once."""
    x, m = inp
    ns = x.shape[1]
    dt_ns = float(F32(env["dt_s"] * 1e9))
    start = float(F32(env["time_zero_s"] * 1e9 + p["t_ref_ns"]))
    tpow = float(F32(p["tpow"]))
    a = float(F32(p["exp_db_per_ns"] * math.log(10.0) / 20.0))
    cap = float(F32(10.0 ** (p["max_gain_db"] / 20.0)))
    t = np.arange(ns) * dt_ns - start
    v = np.ones(ns)
    if tpow > 0:
        v = np.where(t > 1.0, np.abs(t) ** tpow, 1.0)
    v = v * np.where(t > 0, np.exp(a * np.maximum(t, 0.0)), 1.0)
    curve = np.minimum(v, cap).astype(F32)
    present = m > 0
    y = np.where(present, x * curve, F32(0)).astype(F32)
    half = 0
    if p["agc_window_ns"] > 0:
        half = min(max(lround(p["agc_window_ns"] / float(F32(dt_ns)) / 2.0),
                       1), max(ns, 1))
    if half == 0:
        return [y]
    y2 = y.astype(np.float64) ** 2
    cy = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y2, axis=1)],
                        axis=1)
    cm = np.concatenate([np.zeros((y.shape[0], 1)),
                         np.cumsum(present, axis=1)], axis=1)
    total = cy[:, -1]  # the trace's sum of squares, in the stage's order
    count = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(total / count)
    j = np.arange(ns)
    lo, hi = np.maximum(j - half, 0), np.minimum(j + half, ns - 1) + 1
    wsum, wn = cy[:, hi] - cy[:, lo], cm[:, hi] - cm[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        win = np.where(wn > 0, np.sqrt(np.maximum(wsum, 0.0) / wn), 0.0)
        agc = rms[:, None] / np.maximum(win, float(F32(p["agc_floor"])) *
                                        rms[:, None])
    g = np.minimum(curve.astype(np.float64) * agc, cap).astype(F32)
    out = np.where(present, x * g, F32(0)).astype(F32)
    flat = ~(total > 0)
    out[flat] = y[flat]
    return [out]


# ---- gridding --------------------------------------------------------------

def grid_size(env, cell):
    nx = int(max(1.0, math.ceil((env["lane_x_max"] - env["lane_x_min"]) / cell - 1e-9)))
    ny = int(max(1.0, math.ceil((env["lane_y_max"] - env["lane_y_min"]) / cell - 1e-9)))
    return nx, ny


def pairs_binned(xy, nx, ny, cell, radius):
    """(cell index, point index, r^2) of every point within `radius` of a
    cell centre: each point against the (2 reach + 1)^2 cells around its
    own, all at once. Single precision, as the stage."""
    cell, radius = F32(cell), F32(radius)
    reach = int(np.ceil(radius / cell))
    x, y = xy[:, 0], xy[:, 1]
    bx = np.floor(x / cell).astype(np.int64)
    by = np.floor(y / cell).astype(np.int64)
    off = np.arange(-reach, reach + 1)
    ix = (bx[:, None] + off[None, :])[:, None, :]  # [n, 1, k]
    iy = (by[:, None] + off[None, :])[:, :, None]  # [n, k, 1]
    dx = x[:, None, None] - (ix.astype(F32) + F32(0.5)) * cell
    dy = y[:, None, None] - (iy.astype(F32) + F32(0.5)) * cell
    r2 = dx * dx + dy * dy
    keep = (r2 <= radius * radius) & (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    pt = np.broadcast_to(np.arange(len(x))[:, None, None], r2.shape)[keep]
    cells = (np.broadcast_to(iy, r2.shape)[keep] * nx +
             np.broadcast_to(ix, r2.shape)[keep])
    return cells, pt, r2[keep]


def kdtree_pairs(a, b, radius):
    """(i, j, r2) for every point a[i] within `radius` of a point b[j]:
    scipy.spatial.cKDTree's sparse distance matrix a little beyond the
    radius, then the stages' exact single-precision test."""
    radius = F32(radius)
    d = scipy.spatial.cKDTree(a).sparse_distance_matrix(
        scipy.spatial.cKDTree(b), float(radius) * 1.0001,
        output_type="coo_matrix")
    i, j = d.row, d.col
    dx = b[j, 0] - a[i, 0]
    dy = b[j, 1] - a[i, 1]
    r2 = dx * dx + dy * dy
    keep = r2 <= radius * radius
    return i[keep], j[keep], r2[keep]


def pairs_kdtree(xy, nx, ny, cell, radius):
    """The same pairs from scipy.spatial.cKDTree (the cell centres against
    the points)."""
    cell = F32(cell)
    cx = (np.arange(nx, dtype=F32) + F32(0.5)) * cell
    cy = (np.arange(ny, dtype=F32) + F32(0.5)) * cell
    gx, gy = np.meshgrid(cx, cy)
    return kdtree_pairs(np.column_stack([gx.ravel(), gy.ravel()]), xy, radius)


def gaussian_grid(values, mask, xy, nx, ny, cell, radius, pairs):
    """Gaussian-weighted mean (sigma = radius / 2) of the present values
    within radius of each cell centre, and the hit count of column 0.
    values, mask: [n, nz]. Returns ([nz, ny, nx] means, [ny, nx] hits)."""
    cells, pt, r2 = pairs(xy, nx, ny, F32(cell), F32(radius))
    r2max = F32(radius) * F32(radius)
    w = np.exp(-r2 * F32(2.0) / r2max)
    ncell = nx * ny
    W = scipy.sparse.csr_matrix((w, (cells, pt)), shape=(ncell, len(xy)))
    mv = values * mask
    sums = W @ mv                       # [ncell, nz]
    weights = W @ mask
    hits = np.bincount(cells, weights=mask[pt, 0], minlength=ncell)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(weights > 0, sums / weights, 0).astype(F32)
    return mean.T.reshape(-1, ny, nx), hits.astype(F32).reshape(ny, nx)


def grid_with(pairs):
    def grid(inp, p, env):
        v, m, xy = inp
        c = int(p["channel"])
        nx, ny = grid_size(env, p["cell_m"])
        mean, hits = gaussian_grid(v[:, c:c + 1], m[:, c:c + 1], xy, nx, ny,
                                   p["cell_m"], p["radius_m"], pairs)
        return [mean[0], hits]
    return grid


def grid_volume_with(pairs):
    def grid_volume(inp, p, env):
        v, m, xy = inp
        nx, ny = grid_size(env, p["cell_m"])
        return list(gaussian_grid(v, m, xy, nx, ny, p["cell_m"], p["radius_m"],
                                  pairs))
    return grid_volume


def trace_stack(inp, p, env):
    """Each trace the mean of the present samples of the traces within
    radius_m of it (itself included): the pairs from scipy.spatial.cKDTree,
    then a sparse matrix product, as a numpy user would write it."""
    s, m, xy = inp
    i, j, _ = kdtree_pairs(xy, xy, p["radius_m"])
    n = len(xy)
    # each trace stacks itself, placed or not
    i, j = np.concatenate([i, np.arange(n)]), np.concatenate([j, np.arange(n)])
    pairs = np.unique(i * n + j)  # itself once, whether or not listed
    W = scipy.sparse.csr_matrix((np.ones(len(pairs), F32),
                                 (pairs // n, pairs % n)), shape=(n, n))
    present = (m > 0).astype(F32)
    sums = W @ (np.where(m > 0, s, 0).astype(F32))
    counts = W @ present
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(counts > 0, sums / counts, 0).astype(F32)
    return out, (counts > 0).astype(F32)


def depth_slice(inp, p, env):
    (vol,) = inp
    nz = vol.shape[0]
    lo = min(int(p["first"]), nz - 1)
    hi = min(int(p["last"]), nz - 1)
    return [vol[lo:hi + 1].sum(axis=0) / F32(hi - lo + 1)]


# ---- maps ------------------------------------------------------------------

def zscore(inp, p, env):
    v, hits = inp
    swept = hits > 0
    vals = v[swept]
    if not vals.size:
        return [np.zeros_like(v)]
    mean, sd = vals.mean(dtype=np.float64), vals.std(dtype=np.float64)
    if not sd > 0:
        return [np.zeros_like(v)]
    out = v - F32(mean)
    out /= F32(sd)
    out[~swept] = 0
    return [out]


def fuse(inp, p, env):
    a, b = inp
    out = np.maximum(a, 0)
    out *= F32(p["w_gpr"])
    t = np.maximum(b, 0)
    t *= F32(p["w_emi"])
    out += t
    return [out]


# ---- CFAR ------------------------------------------------------------------

def _sat(a):
    """Summed-area table with a zero first row and column, in double."""
    t = np.zeros((a.shape[0] + 1, a.shape[1] + 1))
    np.cumsum(np.cumsum(a, axis=0), axis=1, out=t[1:, 1:])
    return t


def _ring(t, g, w):
    """Every cell's sum over the square of half-width w around it minus the
    square of half-width g (both clipped to the map), from the summed-area
    table t of a (ny, nx) map."""
    ny, nx = t.shape[0] - 1, t.shape[1] - 1
    yy, xx = np.mgrid[0:ny, 0:nx]

    def box(r):
        y0, y1 = np.clip(yy - r, 0, ny - 1), np.clip(yy + r, 0, ny - 1)
        x0, x1 = np.clip(xx - r, 0, nx - 1), np.clip(xx + r, 0, nx - 1)
        return t[y1 + 1, x1 + 1] - t[y0, x1 + 1] - t[y1 + 1, x0] + t[y0, x0]
    return box(w) - box(g)


def cfar_map(v, hits, g, w, model, floor, scale):
    """cfar_map.c's statistic of one map with numpy: summed-area tables of
    the swept cells' count, values and squares, the training square minus
    the guard square read off their corners for every cell at once."""
    ny, nx = v.shape
    swept = hits > 0
    vd = v.astype(np.float64)
    vals = vd[swept] if model else np.maximum(vd[swept], 0.0)
    centre = vals.mean() if vals.size else 0.0
    if not vals.size:
        fl = 0.0
    elif model:
        # a robust spread: 1.4826 times the median absolute deviation (each
        # median the (n // 2)-th smallest, 0-based, in float32: the stage's
        # selection), or where that is 0, 1.2533 times the mean absolute
        # deviation (summed in cell order, as the stage does)
        f = v[swept].astype(F32)
        f = f[np.isfinite(f)]
        if f.size and floor:
            k = f.size // 2
            med = np.partition(f, k)[k]
            dev = np.abs(f - med)
            mad = float(np.partition(dev, k)[k])
            spread = (1.4826 * mad if mad > 0 else
                      1.2533 * _seq(dev) / f.size)
            fl = float(F32(float(F32(floor)) * spread))
        else:
            fl = 0.0
    else:
        fl = floor * centre
    a = np.where(swept, vd - centre if model else np.maximum(vd, 0.0), 0.0)

    def ring(t):
        return _ring(t, g, w)

    n = ring(_sat(swept.astype(np.float64)))
    s = ring(_sat(a))
    out = np.zeros((ny, nx), dtype=F32)
    with np.errstate(divide="ignore", invalid="ignore"):
        if not model:
            m = np.where(n > 0.5, np.maximum(s / n, fl), 0.0)
            ok = swept & (vd > 0) & (m > 0)
            out[ok] = (scale * n[ok] * np.log1p(vd[ok] / (n[ok] * m[ok])))
            return out
        q = ring(_sat(a * a))
        mc = np.where(n > 0.5, s / n, 0.0)
        var = np.where(n > 0.5, np.maximum(q / n - mc * mc, 0.0), 0.0)
        sd = np.where(n > 1.5, np.maximum(np.sqrt(var), fl), 0.0)
        ok = swept & (sd > 0)
        out[ok] = scale * (vd[ok] - (mc[ok] + centre)) / sd[ok]
    return out


def cfar_cells(p, cell):
    g = int(math.ceil(p["guard_m"] / cell - 1e-9))
    w = int(math.ceil(p["train_m"] / cell - 1e-9))
    return g, max(w, g + 1)


def cfar_scale(model, pfa, score):
    return score / (scipy.stats.norm.isf(pfa) if model else -math.log(pfa))


def cfar(inp, p, env, geometry):
    v, hits = inp
    g, w = cfar_cells(p, geometry["cell_m"][0])
    return [cfar_map(v, hits, g, w, int(p["model"]), p["floor"],
                     cfar_scale(int(p["model"]), p["pfa"],
                                p["score_at_threshold"]))]


def depth_cfar(inp, p, env, geometry):
    """cfar_map per plane of the depth window, the planes combined (the
    strongest, or the mean), as depth_cfar.c plans them."""
    vol, hits = inp
    nz = vol.shape[0]
    g, w = cfar_cells(p, geometry["cell_m"][0])
    plane_s = geometry["plane_s"]
    model = int(p["model"])
    scale = cfar_scale(model, p["pfa"], 3.0)
    dt_ns = env["dt_s"] * 1e9
    per = max(1.0, round(p["bin_ns"] / dt_ns))
    b = plane_s[0] * 1e9 if plane_s[0] > 0 else per * dt_ns
    t0 = env["time_zero_s"] * 1e9
    lo = t0 + p["surface_ns"] + 2 * p["depth_start_m"] / p["velocity_m_per_ns"]
    hi = t0 + p["surface_ns"] + 2 * p["depth_end_m"] / p["velocity_m_per_ns"]
    if lo >= nz * b:
        return [np.zeros(vol.shape[1:], dtype=F32)]
    z0 = min(max(math.ceil(lo / b - 0.5), 0), nz - 1)
    z1 = min(max(math.floor(hi / b - 0.5), z0), nz - 1)
    planes = [cfar_map(vol[z], hits, g, w, model, p["floor"], scale)
              for z in range(z0, z1 + 1)]
    if int(p["combine"]):
        return [(np.sum(planes, axis=0) / len(planes)).astype(F32)]
    return [np.max(planes, axis=0)]


# ---- more maps and volumes ---------------------------------------------------

def rx_feature_planes(p, env, nz, plane_s, plane_m):
    """local_rx.c's feature_planes: the planes [lo, hi) each of the bins
    equal parts of the depth window averages."""
    K = int(p["bins"])
    if plane_m > 0:
        a, b, step = p["depth_start_m"], p["depth_end_m"], plane_m
        off = 0.5 * step
    else:
        v = p["velocity_m_per_ns"]
        a = (p["surface_ns"] + 2.0 * p["depth_start_m"] / v) * 1e-9
        b = (p["surface_ns"] + 2.0 * p["depth_end_m"] / v) * 1e-9
        step = plane_s
        off = 0.5 * step - env["time_zero_s"]
    parts = []
    for k in range(K):
        t0, t1 = a + (b - a) * k / K, a + (b - a) * (k + 1) / K
        z0 = min(max(math.ceil((t0 - off) / step), 0), nz)
        z1 = min(max(math.ceil((t1 - off) / step), z0), nz)
        if z1 > z0:
            parts.append((z0, z1))
            continue
        zc = math.floor((0.5 * (t0 + t1) - off) / step + 0.5)
        zc = min(max(zc, 0), nz - 1)
        parts.append((zc, zc + 1))
    return parts


def local_rx(inp, p, env, geometry):
    """Local RX with numpy: the depth features, summed-area tables of the
    count, the features and their products (the training ring of every
    cell read off at once), then one batched np.linalg.solve of
    (Sigma + lambda I) x = f - mu for all cells."""
    vol, hits = inp
    nz, ny, nx = vol.shape
    K = int(p["bins"])
    parts = rx_feature_planes(p, env, nz, geometry["plane_s"][0],
                              geometry["plane_m"][0])
    f = np.stack([vol[lo:hi].astype(np.float64).mean(axis=0)
                  for lo, hi in parts], axis=-1)  # (ny, nx, K)
    swept = hits > 0
    if swept.any():
        f = f - f[swept].mean(axis=0)
    cell = geometry["cell_m"][0]
    g = int(math.ceil(p["guard_m"] / cell - 1e-9))
    w = max(int(math.ceil(p["outer_m"] / cell - 1e-9)), g + 1)
    fm = np.where(swept[..., None], f, 0.0)
    n = _ring(_sat(swept.astype(np.float64)), g, w)
    s1 = np.stack([_ring(_sat(fm[..., i]), g, w) for i in range(K)], -1)
    s2 = np.empty((ny, nx, K, K))
    for i in range(K):
        for j in range(i, K):
            s2[..., i, j] = s2[..., j, i] = _ring(_sat(fm[..., i] * fm[..., j]),
                                                  g, w)
    out = np.zeros((ny, nx), dtype=F32)
    ok = swept & (n >= 2.0)
    nn = n[ok][:, None]
    mu = s1[ok] / nn
    cov = s2[ok] / nn[..., None] - mu[:, :, None] * mu[:, None, :]
    tr = np.trace(cov, axis1=1, axis2=2)
    good = tr > 0
    d = f[ok] - mu
    a = cov + (p["ridge"] * tr / K)[:, None, None] * np.eye(K)
    score = np.zeros(len(d))
    x = np.linalg.solve(a[good], d[good][..., None])[..., 0]
    score[good] = np.einsum("ik,ik->i", d[good], x)
    out[ok] = score
    return [out]


def emi_decay(inp, p, env):
    e, m = inp
    nc = e.shape[1]
    c = (F32(math.exp((p["last_gate_us"] - p["first_gate_us"]) /
                      p["tau_split_us"])) if nc >= 2 else F32(0))
    e0, e1 = e[:, 0], e[:, nc - 1]
    v0 = m[:, 0]
    v1 = v0 * m[:, nc - 1]
    out = np.stack([e0, np.where(v1 > 0, e0 - c * e1, F32(0))], axis=1)
    return [out.astype(F32), np.stack([v0, v1], axis=1).astype(F32)]


def emi_tau(inp, p, env):
    """emi_tau.c per cell with arrays over the gates: the leading run of
    gates above min_amplitude (a cumulative product), its e^2-weighted
    log-linear fit as sums along the gate axis, in double; tau bounded where
    only the first gate is above; the late-to-early ratio and the eased
    mine-likeness score."""
    v, hits = inp
    ng = v.shape[0]
    thr = float(F32(p["min_amplitude"]))
    f0, f1 = p["first_gate_us"], p["last_gate_us"]
    gates = env.get("emi_gate_s", [])
    if len(gates) == ng:  # the recording names its gates
        dt = (np.asarray(gates) - gates[0]) * 1e6
    elif ng >= 2:
        dt = (f0 * (f1 / f0) ** (np.arange(ng) / (ng - 1)) - f0)
    else:
        dt = np.zeros(1)
    dt = dt.astype(F32).astype(np.float64)[:, None, None]
    swept = hits > 0
    e = v.astype(np.float64)
    e0 = e[0]
    fit = swept & (e0 > thr) & (ng >= 2)
    run = np.cumprod(e > thr, axis=0).sum(axis=0)
    inrun = (np.arange(ng)[:, None, None] < run) & fit
    w = np.where(inrun, e * e, 0.0)
    loge = np.log(np.where(inrun, e, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        sw = w.sum(axis=0)
        xm = (w * dt).sum(axis=0) / sw
        ym = (w * loge).sum(axis=0) / sw
        dx = dt - xm
        sxx = (w * dx * dx).sum(axis=0)
        sxy = (w * dx * (loge - ym)).sum(axis=0)
        rate = np.where(sxx > 0, -sxy / sxx, 0.0)
        tau_fit = np.where(rate > 1.0 / TAU_CAP_US, 1.0 / rate, TAU_CAP_US)
        split, sharp = float(F32(p["tau_split_us"])), float(F32(p["sharpness"]))
        g_fit = 1.0 / (1.0 + (tau_fit / split) ** sharp)
        tau_one = np.minimum(float(dt[min(1, ng - 1), 0, 0]) /
                             np.log(e0 / thr), TAU_CAP_US)
        one = run == 1
        tau = np.where(one, tau_one, tau_fit)
        g = np.where(one, 1.0, g_fit).astype(F32)
        ease = np.minimum(F32(1), (v[0] - F32(thr)) / F32(thr))
        ratio = v[ng - 1] / v[0]
    score = np.where(swept, v[0], F32(0)).astype(F32)
    score[fit] = (v[0] * (F32(1) + (g - F32(1)) * ease))[fit]
    return [np.where(fit, tau, 0.0).astype(F32),
            np.where(fit, ratio, F32(0)).astype(F32), score]


def volume_energy(inp, p, env, geometry):
    (vol,) = inp
    dz = geometry["plane_m"][0]
    nz = vol.shape[0]
    lo = min(max(math.ceil(p["depth_start_m"] / dz - 0.5), 0), nz)
    hi = min(max(math.floor(p["depth_end_m"] / dz - 0.5) + 1, lo), nz)
    if hi == lo:
        return [np.zeros(vol.shape[1:], dtype=F32)]
    return [np.einsum("kyx,kyx->yx", vol[lo:hi], vol[lo:hi]) / F32(hi - lo)]


def lms_residual(inp, p, env):
    """The two-sided linear-prediction residual as a numpy user would write
    it: every trace's predictors (the traces guard + 1 .. guard + neighbours
    away on both sides, zeros past the ends) stacked over the window, the
    ridge normal equations of all traces formed with einsum and solved in
    one batched np.linalg.solve, the residual power over the trace's
    present samples (the plain window energy where nothing can be fitted,
    as the stage)."""
    s, m = inp
    nt, ns = s.shape
    dt = env["dt_s"]
    t0 = env["time_zero_s"] / dt
    lo = int(min(max(math.floor(t0 + p["t_start_ns"] * 1e-9 / dt), 0), ns))
    hi = int(min(max(math.ceil(t0 + p["t_end_ns"] * 1e-9 / dt), 0), ns))
    K, G = int(p["neighbours"]), int(p["guard"])
    offs = [-(G + K - q) for q in range(K)] + [G + 1 + q for q in range(K)]
    y = (s * m)[:, lo:hi].astype(np.float64)
    present = (m[:, lo:hi] != 0).astype(np.float64)
    count = m[:, lo:hi].astype(np.float64).sum(axis=1)
    pad = G + K
    yp = np.pad(y, ((pad, pad), (0, 0)))
    X = np.stack([yp[pad + o:pad + o + nt] for o in offs], axis=-1)
    gram = np.einsum("ts,tsp,tsq->tpq", present, X, X)
    rhs = np.einsum("ts,tsp->tp", y, X)
    tr = np.trace(gram, axis1=1, axis2=2)
    fit = tr > 0
    w = np.zeros((nt, 2 * K))
    a = gram[fit] + (p["ridge"] * tr[fit] / (2 * K))[:, None, None] * np.eye(2 * K)
    w[fit] = np.linalg.solve(a, rhs[fit][..., None])[..., 0]
    r = y - np.einsum("tsp,tp->ts", X, w)
    e = (present * r * r).sum(axis=1)
    valid = count > 0
    score = np.where(valid, np.maximum(e, 0.0) / np.where(valid, count, 1), 0)
    return [score[:, None].astype(F32), valid[:, None].astype(F32)]


def bandpass_response(p, env, n):
    """bandpass.c's response(): the weight of each of the n bins of the
    padded transform, cosine-tapered corners, the analytic signal's 2 / 0
    with envelope=1, and the inverse's 1 / n."""
    fc = env.get("centre_frequency_hz", 0.0)
    if p["high_mhz"] > 0:
        lo, hi = p["low_mhz"] * 1e6, p["high_mhz"] * 1e6
    else:
        lo, hi = p["low_fc"] * fc, p["high_fc"] * fc
    k = np.arange(n)
    f = np.where(k <= n // 2, k, n - k) / (n * env["dt_s"])
    tp = p["taper"]

    def edge(x):
        return np.where(x <= 0, 0.0, np.where(x >= 1, 1.0,
                                              0.5 - 0.5 * np.cos(np.pi * x)))
    g = np.ones(n)
    if lo > 0:
        g *= edge((f - lo * (1 - tp)) / (lo * tp)) if tp > 0 else (f >= lo)
    g *= edge((hi * (1 + tp) - f) / (hi * tp)) if tp > 0 else (f <= hi)
    if p["envelope"]:
        g *= np.where((k == 0) | (k == n // 2), 1.0,
                      np.where(k < n // 2, 2.0, 0.0))
    return (g / n).astype(F32)


def bandpass(inp, p, env):
    """Each trace zero-padded to fft_size(2 ns), np.fft.rfft, the stage's
    response, np.fft.irfft (with envelope=1 the full np.fft.ifft of the
    one-sided spectrum, and its magnitude)."""
    s, m = inp
    nt, ns = s.shape
    n = fft_size(2 * ns)
    w = bandpass_response(p, env, n).astype(np.float64) * n  # irfft has 1/n
    spec = np.fft.rfft(s.astype(np.float64) * m, n, axis=1)
    if p["envelope"]:
        full = np.zeros((nt, n), complex)
        full[:, :n // 2 + 1] = spec * w[:n // 2 + 1]
        out = np.abs(np.fft.ifft(full, axis=1)[:, :ns])
    else:
        out = np.fft.irfft(spec * w[:n // 2 + 1], n, axis=1)[:, :ns]
    return [np.where(m > 0, out, 0).astype(F32)]


def fft_size(n):
    """fft_ref.c's ms_fft_size: the smallest power of two >= n, at least 16."""
    p = 16
    while p < n:
        p *= 2
    return p


def _kirchhoff_geometry(p, env, vol_shape, plane_s, cell, v):
    """migrate_kirchhoff.c's geometry_at, in the same float32 values."""
    nz_in, ny, nx = vol_shape
    r = int(math.floor(p["aperture_m"] / cell + 1e-9))
    ps, dt = plane_s, env["dt_s"]
    return {"nz_in": nz_in, "ny": ny, "nx": nx,
            "nz": int(math.ceil(p["depth_max_m"] / p["depth_step_m"] - 1e-9)),
            "rx": min(r, nx - 1), "ry": min(r, ny - 1),
            "c2": F32(cell * cell), "ap2": F32(p["aperture_m"] ** 2),
            "dz": F32(p["depth_step_m"]),
            "a": F32(2.0 / (v * 1e9) / ps),
            "b": F32((p["surface_ns"] * 1e-9 + env["time_zero_s"] -
                      (ps - dt) / 2.0) / ps)}


def _kirchhoff_image(vol, swept, g, stride):
    """Every stride-th cell's weighted mean along its hyperboloid, as a
    numpy user would write it: a loop over the aperture's offsets (rows,
    then cells: each output's terms in the stage's order), each offset's
    sample positions and weights worked out per depth and applied to the
    shifted volume at once; float32 throughout, as the stage sums."""
    nz_in, ny, nx, nz = g["nz_in"], g["ny"], g["nx"], g["nz"]
    iy, ix = np.arange(0, ny, stride), np.arange(0, nx, stride)
    z = (np.arange(nz, dtype=F32) + F32(0.5)) * g["dz"]
    acc = np.zeros((nz, iy.size, ix.size), F32)
    wsum = np.zeros_like(acc)
    for dy in range(-g["ry"], g["ry"] + 1):
        oy = (iy + dy >= 0) & (iy + dy < ny)
        ya, yb = np.argmax(oy), oy.size - np.argmax(oy[::-1])
        for dx in range(-g["rx"], g["rx"] + 1):
            r2 = g["c2"] * F32(dx * dx + dy * dy)
            if r2 > g["ap2"] or not oy.any():
                continue
            ox = (ix + dx >= 0) & (ix + dx < nx)
            if not ox.any():
                continue
            xa, xb = np.argmax(ox), ox.size - np.argmax(ox[::-1])
            R = np.sqrt(z * z + r2)
            f = g["b"] + g["a"] * R
            ks = np.nonzero((f > F32(-1)) & (f < F32(nz_in)))[0]
            if not ks.size:
                continue
            k0, k1 = ks[0], ks[-1] + 1  # f grows with depth: one run
            f = f[k0:k1]
            fade = np.minimum(np.minimum(f + F32(1), F32(nz_in) - f), F32(1))
            fc = np.minimum(np.maximum(f, F32(0)), F32(nz_in - 1))
            i0 = fc.astype(np.int64)
            i1 = np.minimum(i0 + 1, nz_in - 1)
            fr = (fc - i0.astype(F32))[:, None, None]
            w = (fade * z[k0:k1] / R[k0:k1])[:, None, None]
            rows, cols = iy[ya:yb] + dy, ix[xa:xb] + dx
            nb = vol[:, rows][:, :, cols]
            m = swept[rows][:, cols][None]
            val = nb[i0] * (F32(1) - fr) + nb[i1] * fr
            acc[k0:k1, ya:yb, xa:xb] += np.where(m, w * val, F32(0))
            wsum[k0:k1, ya:yb, xa:xb] += np.where(m, w, F32(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, acc / wsum, F32(0)).astype(F32)


def _seq(x):
    """x summed from first to last, as a C loop adds it (numpy's sum is
    pairwise: a near tie must fall the same way)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    return float(np.cumsum(x)[-1]) if x.size else 0.0


def _semblance_velocity(vol, swept, p, env, ps, cell):
    """migrate_kirchhoff.c's semblance_velocity, as a numpy user would write
    it: the strongest swept cells' peaks below the surface as apexes
    (thinned to half the aperture), each apex's semblance over a fixed set
    of cells (those whose window fits at the slowest velocity) along
    flat-topped hyperbolas over 41 velocities, the inside-the-range bests
    that pass the gates voting by a weighted median in log v; sums in the
    stage's order. (velocity, votes)."""
    lo, hi = p["velocity_min"], p["velocity_max"]
    g = _kirchhoff_geometry(p, env, vol.shape, ps, cell, lo)
    nz_in, ny, nx = vol.shape
    b, c2, ap2 = float(g["b"]), float(g["c2"]), float(g["ap2"])
    fc = env.get("centre_frequency_hz", 0.0) or 1e9
    hw = min(max(int(math.floor(0.25 / fc / ps + 0.5)), 1), 32)
    z0, z1 = max(int(math.ceil(b)) + 2 * hw, 0), nz_in - 1 - hw
    if z1 >= z0:
        mag = np.abs(vol[z0:z1 + 1])
        mag = np.where(np.isnan(mag), F32(0), mag)  # C never picks a NaN
        peak = np.where(swept, mag.max(axis=0), F32(0))
        at = mag.argmax(axis=0) + z0
    else:
        peak = np.zeros((ny, nx), F32)
        at = np.zeros((ny, nx), np.int64)
    peak = peak.ravel().astype(F32)
    at = at.ravel()
    yy, xx = np.mgrid[0:ny, 0:nx]
    vols = vol.astype(np.float64)
    amax = 2.0 / (lo * 1e9) / ps
    votes, weights = [], []
    for _ in range(24):
        best = int(np.argmax(peak))
        if not peak[best] > 0:
            break
        cy, cx = divmod(best, nx)
        fa = float(at[best])
        y0, y1 = max(cy - g["ry"], 0), min(cy + g["ry"], ny - 1)
        x0, x1 = max(cx - g["rx"], 0), min(cx + g["rx"], nx - 1)
        ys, xs = yy[y0:y1 + 1, x0:x1 + 1], xx[y0:y1 + 1, x0:x1 + 1]
        d2 = c2 * ((xs - cx) ** 2 + (ys - cy) ** 2).astype(np.float64)
        near = d2 <= 0.25 * ap2
        peak.reshape(ny, nx)[ys[near], xs[near]] = 0
        peak[best] = 0
        t0 = fa - b
        # the cells every trial sums: swept, in the aperture, their window
        # inside the traces at the slowest velocity (row by row)
        use = (d2 <= ap2) & swept[y0:y1 + 1, x0:x1 + 1]
        use &= b + np.sqrt(t0 * t0 + amax * amax * d2) + hw <= nz_in - 1
        r = np.sqrt(d2[use])
        cols = vols[:, ys[use], xs[use]]
        sc, used = [], 0
        for i in range(41):
            v = lo * (hi / lo) ** (i / 40.0)
            a = 2.0 / (v * 1e9) / ps
            s_best = -1.0
            for fl in range(5):
                rr = np.maximum(r - 0.02 * fl, 0.0)
                f = b + np.sqrt(t0 * t0 + a * a * rr * rr)
                ok = (f - hw >= 0.0) & (f + hw <= nz_in - 1)
                used = int(ok.sum())
                if used < 8:
                    continue
                fo = f[ok] - hw
                i0 = fo.astype(np.int64)
                fr = fo - i0
                k = i0[None, :] + np.arange(2 * hw + 1)[:, None]
                k1 = np.minimum(k + 1, nz_in - 1)
                cj = np.nonzero(ok)[0][None, :]
                val = cols[k, cj] * (1.0 - fr) + cols[k1, cj] * fr
                q = _seq(val.T * val.T)
                if not q > 0:
                    continue
                srow = np.cumsum(val, axis=1)[:, -1]
                sem = _seq(srow * srow) / (used * q)
                s_best = sem if sem > s_best else s_best
            sc.append(s_best)
            if s_best < 0:
                break
        if len(sc) < 41:
            continue
        bi = int(np.argmax(sc))
        if bi in (0, 40) or sc[bi] < 0.1 or sc[bi] * used < 8.0:
            continue
        mean = 0.0
        for x in sc:
            mean += x
        mean /= 41
        left, c, right = sc[bi - 1], sc[bi], sc[bi + 1]
        den = left - 2 * c + right
        votes.append(bi + (0.5 * (left - right) / den if den < 0 else 0.0))
        weights.append(c - mean)
    if not votes:
        return 0.0, 0
    total = 0.0
    for w in weights:
        total += w
    order = sorted(range(len(votes)), key=lambda i: votes[i])
    acc, x = 0.0, votes[order[-1]]
    for i in order:
        acc += weights[i]
        if acc >= 0.5 * total:
            x = votes[i]
            break
    return lo * (hi / lo) ** (x / 40.0), len(votes)


def migrate_kirchhoff(inp, p, env, geometry):
    """The Kirchhoff image of the swept cells, and where the velocity is 0
    the stage's estimate first: the diffractions' semblance
    (_semblance_velocity) unless estimate is 1 or no hyperbola votes, else
    focusing: nine velocities log-spaced over [velocity_min,
    velocity_max], each imaged at every second cell, the most sparse
    (varimax over the planes every trial images) refined by a parabola in
    log v."""
    vol, hits = inp
    swept = hits > 0
    cell, ps = geometry["cell_m"][0], geometry["plane_s"][0]
    v = p["velocity_m_per_ns"]
    if v == 0 and p.get("estimate", 0) == 0:
        v, _ = _semblance_velocity(vol, swept, p, env, ps, cell)
    if v == 0:
        lo, hi = p["velocity_min"], p["velocity_max"]
        trials = [lo * (hi / lo) ** (i / 8.0) for i in range(9)]
        score = []
        for vt in trials:
            g = _kirchhoff_geometry(p, env, vol.shape, ps, cell, vt)
            img = _kirchhoff_image(vol, swept, g, 2)
            common = min(2.0 * p["depth_max_m"] / (hi * 1e9) / ps,
                         float(g["nz_in"] - 1) - float(g["b"]))
            nk = 0
            while (nk < g["nz"] and
                   (nk + 0.5) * float(g["dz"]) * float(g["a"]) <= common):
                nk += 1
            q = img[:nk].astype(np.float64).ravel() ** 2
            # summed in the stage's order: a near tie between two trials
            # (flat noise) must fall the same way
            s2 = np.cumsum(q)[-1] if q.size else 0.0
            s4 = np.cumsum(q * q)[-1] if q.size else 0.0
            score.append(q.size * s4 / (s2 * s2) if s2 > 0 else 0.0)
        best = int(np.argmax(score))
        at = float(best)
        if 0 < best < 8:
            left, c, right = score[best - 1], score[best], score[best + 1]
            den = left - 2.0 * c + right
            if den < 0:
                at += 0.5 * (left - right) / den
        v = lo * (hi / lo) ** (at / 8.0)
    g = _kirchhoff_geometry(p, env, vol.shape, ps, cell, v)
    return [_kirchhoff_image(vol, swept, g, 1)]


def migrate_stolt(inp, p, env):
    """Stolt migration as a numpy user would write it: np.fft.fft2 of the
    zero-padded traces below the surface, each output (kx, w_tau) read at
    w = sign(w_tau) sqrt(w_tau^2 + (v kx / 2)^2) by linear interpolation
    between frequency bins, scaled by w_tau / w, np.fft.ifft2; the traces
    at their mean spacing along the path, as the stage takes them."""
    s, m, xy = inp
    n, ns = s.shape
    dt = env["dt_s"]
    first = (p["surface_ns"] * 1e-9 + env["time_zero_s"]) / dt
    s0 = 0 if first <= 0 else ns if first >= ns else math.ceil(first - 1e-9)
    out = s.copy()
    if s0 >= ns or n == 0:
        return [out]
    nxp, ntp = fft_size(2 * n), fft_size(2 * (ns - s0))
    steps = np.hypot(np.diff(xy[:, 0].astype(np.float64)),
                     np.diff(xy[:, 1].astype(np.float64)))
    dx = steps.sum() / (n - 1) if n > 1 and steps.sum() > 0 else 0.01
    a = np.zeros((nxp, ntp))
    a[:n, :ns - s0] = s[:, s0:].astype(np.float64) * m[:, s0:]
    spec = np.fft.fft2(a)
    u = p["velocity_m_per_ns"] * 1e9 / 2.0
    kx = 2 * np.pi * np.fft.fftfreq(nxp, dx)[:, None]
    kq = np.fft.fftfreq(ntp, 1.0 / ntp)[None, :]  # integer bin of w_tau
    wt = 2 * np.pi * kq / (ntp * dt)
    w = np.where(kq < 0, -1.0, 1.0) * np.sqrt(wt * wt + (u * kx) ** 2)
    b = w * ntp * dt / (2 * np.pi)
    keep = (np.abs(b) < ntp // 2 - 1) & ~((kq == 0) & (kx != 0))
    lo = np.floor(b)
    fr = b - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(w != 0, wt / w, 1.0)
    b0 = lo.astype(np.int64) % ntp
    b1 = (b0 + 1) % ntp
    rows = np.arange(nxp)[:, None]
    # the stage's weights are single precision
    w0 = ((1 - fr) * scale).astype(F32)
    w1 = (fr * scale).astype(F32)
    img = np.where(keep, w0 * spec[rows, b0] + w1 * spec[rows, b1], 0)
    out[:, s0:] = np.fft.ifft2(img).real[:n, :ns - s0].astype(F32)
    return [out]


def dipole_filter_with(corr_of):
    def peer(inp, p, env, geometry):
        return dipole_filter(inp, p, env, geometry, corr_of)
    return peer


def _ndi_corr(a, kern):
    return ndi.correlate(a, kern, mode="constant", cval=0.0)


def _fft_corr(a, kern):
    # the kernels here are symmetric: correlation is convolution
    return scipy.signal.fftconvolve(a, kern, mode="same")


def dipole_filter(inp, p, env, geometry, corr=_ndi_corr):
    """The centred matched filter as correlations of the hit mask and the
    masked map with the kernel, its square and ones over the window:
    sum (k - kbar) v / sqrt(sum (k - kbar)^2), kbar the kernel's mean over
    the swept cells of the window."""
    v, hits = inp
    cell = geometry["cell_m"][0]
    w = int(math.ceil(p["radius_m"] / cell - 1e-9))
    s = (p["height_m"] ** 2 + p["coil_radius_m"] ** 2) / cell ** 2
    dy, dx = np.mgrid[-w:w + 1, -w:w + 1]
    k = (s / (dx * dx + dy * dy + s)) ** 3
    h = (hits > 0).astype(np.float64)
    hv = h * v.astype(np.float64)
    n = corr(h, np.ones_like(k))
    sk, skk = corr(h, k), corr(h, k * k)
    skv, sv = corr(hv, k), corr(hv, np.ones_like(k))
    with np.errstate(divide="ignore", invalid="ignore"):
        kbar = sk / n
        scc = skk - sk * kbar
        scv = skv - kbar * sv
        out = np.where((h > 0) & (scc > 1e-2 * skk), scv / np.sqrt(scc), 0.0)
    return [out.astype(F32)]


# name -> {variant: function}; the first variant is the faithful one
PEERS = {
    "dewow": {"uniform_filter1d": dewow},
    "background_removal": {"uniform_filter1d": background_removal},
    "emi_detrend": {"uniform_filter1d": emi_detrend},
    "ground_align": {"take_along_axis": ground_align,
                     "slices per shift": ground_align_grouped},
    "envelope": {"convolve1d FIR": envelope_fir,
                 "signal.hilbert FFT": envelope_hilbert},
    "window_energy": {"einsum": window_energy},
    "time_bins": {"reshape-sum": time_bins},
    "grid": {"binned sparse": grid_with(pairs_binned),
             "cKDTree sparse": grid_with(pairs_kdtree)},
    "grid_volume": {"binned sparse": grid_volume_with(pairs_binned),
                    "cKDTree sparse": grid_volume_with(pairs_kdtree)},
    "trace_stack": {"cKDTree sparse": trace_stack},
    "depth_slice": {"sum of planes": depth_slice},
    "zscore": {"masked mean/std": zscore},
    "fuse": {"maximum": fuse},
    "cfar": {"summed-area tables": cfar},
    "depth_cfar": {"summed-area tables per plane": depth_cfar},
    "emi_decay": {"vectorised": emi_decay},
    "emi_tau": {"arrays over the gates": emi_tau},
    "bounce_fit": {"normal equations, no pivoting": bounce_fit},
    "gain": {"cumulative sums": gain},
    "volume_energy": {"einsum": volume_energy},
    "migrate_stolt": {"fft2": migrate_stolt},
    "migrate_kirchhoff": {"loop over offsets": migrate_kirchhoff},
    "bandpass": {"rfft": bandpass},
    "lms_residual": {"einsum, batched solve": lms_residual},
    "local_rx": {"summed-area tables, batched solve": local_rx},
    "dipole_filter": {"ndimage.correlate": dipole_filter_with(_ndi_corr),
                      "signal.fftconvolve": dipole_filter_with(_fft_corr)},
}

# peers that also need their inputs' geometry: cell sizes (maps), plane
# lengths in seconds (time-binned volumes) and in metres (depth volumes)
GEOMETRY = {"cfar", "depth_cfar", "volume_energy", "dipole_filter",
            "local_rx", "migrate_kirchhoff"}


def time_peer(fn, inp, p, env, reps, min_reps, budget):
    fn(inp, p, env)  # warm up (caches, page faults), as the bench does
    times = []
    start = time.perf_counter()
    out = None
    while len(times) < reps:
        t0 = time.perf_counter()
        out = fn(inp, p, env)
        t1 = time.perf_counter()
        times.append(t1 - t0)
        # the bench's rule (bench_util.c bu_time)
        if t1 - start > budget and (len(times) >= min_reps or t1 - start > 4 * budget):
            break
    return 1000.0 * float(np.median(times)), len(times), out


def rel_diff(out, ref):
    out = np.asarray(out, dtype=np.float64).reshape(ref.shape)
    ref = ref.astype(np.float64)
    peak = np.max(np.abs(ref)) if ref.size else 0.0
    diff = np.max(np.abs(out - ref)) if ref.size else 0.0
    return float(diff / peak) if peak > 0 else float(diff)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    manifest = sys.argv[1]
    folder = os.path.dirname(os.path.abspath(manifest))
    with open(manifest) as f:
        man = json.load(f)
    env = man["env"]
    cache = {}

    def load(key):
        if key not in cache:
            cache[key] = np.load(os.path.join(folder, key + ".npy"))
        return cache[key]

    answer = {}
    for st in man["stages"]:
        name = st["name"]
        variants = PEERS.get(name)
        if not variants:
            answer[name] = {"error": "no numpy peer for this stage"}
            continue
        inp = [load(k) for k in st["in"]]
        refs = [load(k) for k in st["ref"]]
        entry = {"variants": {}}
        for vname, fn in variants.items():
            if name in GEOMETRY:
                geometry = {"cell_m": st["in_cell_m"],
                            "plane_s": st["in_plane_s"],
                            "plane_m": st["in_plane_m"]}
                fn = (lambda f, g: lambda i, q, e: f(i, q, e, g))(fn, geometry)
            try:
                ms, n, out = time_peer(fn, inp, st["params"], env, man["reps"],
                                       man["min_reps"], man["budget_s"])
            except Exception as e:  # report, do not stop the other stages
                entry["variants"][vname] = {"error": repr(e)}
                continue
            diffs = [rel_diff(o, r) for o, r in zip(out, refs)]
            entry["variants"][vname] = {"ms": ms, "reps": n,
                                        "max_rel_diff": max(diffs),
                                        "max_rel_diff_per_output": diffs}
        timed = {k: v for k, v in entry["variants"].items() if "ms" in v}
        if timed:
            best = min(timed, key=lambda k: timed[k]["ms"])
            entry.update(peer=best, ms=timed[best]["ms"], reps=timed[best]["reps"],
                         max_rel_diff=timed[best]["max_rel_diff"])
        if name == "envelope":
            entry["note"] = ("signal.hilbert is the FFT envelope, not the "
                             "stage's FIR: its diff is the FIR's approximation")
        answer[name] = entry
        for k in st["ref"]:  # the references are used once
            cache.pop(k, None)
    versions = {"python": sys.version.split()[0], "numpy": np.__version__,
                "scipy": scipy.__version__}
    versions["text"] = "numpy %s, scipy %s (python %s, one thread)" % (
        versions["numpy"], versions["scipy"], versions["python"])
    json.dump({"versions": versions, "stages": answer}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
