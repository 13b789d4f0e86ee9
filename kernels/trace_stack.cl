/* trace_stack: see pipeline/stages/trace_stack.c. Both kernels add the
 * neighbours' present samples in the reference's order (bin rows, then
 * sorted positions), so the sets and the sums are the reference's; both
 * take the traces in bin order, as it does. */

/* The distance test must round as the C reference does: a trace exactly
 * one radius away (regular spacing) is in or out on both paths alike, not
 * moved by a fused multiply-add. */
#pragma OPENCL FP_CONTRACT OFF

static int cell_of(float v, float cell, int n)
{
    float f = floor(v / cell);
    return !(f >= 0.0f) ? 0 : f >= (float)n ? n - 1 : (int)f;
}

/* Where trace i searches: its position (far off the lane, where the host
 * binned it, if not finite: then it is itself alone), its bin and the bin
 * rows within reach. */
typedef struct query {
    float x, y;
    int i, placed, ix, iy, by0, by1;
} query;

static query query_of(__global const float *xy, int i, float cell, int nx,
                      int ny, int reach)
{
    query q;
    float x = xy[2 * (size_t)i], y = xy[2 * (size_t)i + 1];
    q.i = i;
    q.placed = isfinite(x) && isfinite(y);
    q.x = isfinite(x) ? x : 1e30f;
    q.y = isfinite(y) ? y : 1e30f;
    q.ix = cell_of(q.x, cell, nx);
    q.iy = cell_of(q.y, cell, ny);
    q.by0 = max(q.iy - reach, 0);
    q.by1 = min(q.iy + reach, ny - 1);
    return q;
}

/* The sorted positions [*p0, *p1) that q searches in bin row by. */
static void row_span(const query *q, __global const int *ext,
                     __global const int *start, int nx, int by, int *p0,
                     int *p1)
{
    int e = ext[abs(by - q->iy)];
    *p0 = *p1 = 0;
    if (e >= 0) {
        *p0 = start[by * nx + max(q->ix - e, 0)];
        *p1 = start[by * nx + min(q->ix + e, nx - 1) + 1];
    }
}

/* Whether trace j, at sorted position p, stacks into q's trace. */
static int stacks(const query *q, __global const float *sxy, int p, int j,
                  float r2)
{
    float dx = sxy[2 * (size_t)p] - q->x, dy = sxy[2 * (size_t)p + 1] - q->y;
    return j == q->i || (q->placed && dx * dx + dy * dy <= r2);
}

/* CPUs: a work-item takes a run of traces and, per trace, searches the
 * neighbours once and adds each one's whole trace into the output row
 * (the counts in the mask row), as the C reference does; the per-sample
 * kernel below would search once per sample. */
__kernel void trace_stack_runs(__global const float *restrict s,
                               __global const float *restrict m,
                               __global const float *restrict xy,
                               __global const int *restrict order,
                               __global const int *restrict start,
                               __global const float *restrict sxy,
                               __global const int *restrict ext, int reach,
                               __global float *restrict out,
                               __global float *restrict out_valid, int n,
                               int ns, int nx, int ny, float cell, float r2)
{
    int run = (n + get_global_size(0) - 1) / get_global_size(0);
    int i0 = get_global_id(0) * run, i1 = min(i0 + run, n);
    for (int q = i0; q < i1; q++) {
        int i = order[q]; /* bin order, as the C reference: cache reuse */
        __global float *acc = out + (size_t)i * ns;
        __global float *cnt = out_valid + (size_t)i * ns;
        for (int k = 0; k < ns; k++)
            acc[k] = cnt[k] = 0.0f;
        query qi = query_of(xy, i, cell, nx, ny, reach);
        for (int by = qi.by0; by <= qi.by1; by++) {
            int p0, p1;
            row_span(&qi, ext, start, nx, by, &p0, &p1);
            for (int p = p0; p < p1; p++) {
                int j = order[p];
                if (!stacks(&qi, sxy, p, j, r2))
                    continue;
                __global const float *sj = s + (size_t)j * ns;
                __global const float *mj = m + (size_t)j * ns;
                for (int k = 0; k < ns; k++) {
                    int present = mj[k] > 0.0f;
                    acc[k] += present ? sj[k] : 0.0f;
                    cnt[k] += present ? 1.0f : 0.0f;
                }
            }
        }
        for (int k = 0; k < ns; k++) {
            acc[k] = cnt[k] > 0.0f ? acc[k] / cnt[k] : 0.0f;
            cnt[k] = cnt[k] > 0.0f ? 1.0f : 0.0f;
        }
    }
}

/* GPUs: one work-item per sample of a trace, neighbouring samples side by
 * side (coalesced reads); each searches the neighbours itself. */
__kernel void trace_stack(__global const float *restrict s,
                          __global const float *restrict m,
                          __global const float *restrict xy,
                          __global const int *restrict order,
                          __global const int *restrict start,
                          __global const float *restrict sxy,
                          __global const int *restrict ext, int reach,
                          __global float *restrict out,
                          __global float *restrict out_valid, int n, int ns,
                          int nx, int ny, float cell, float r2)
{
    int k = get_global_id(0), q = get_global_id(1);
    if (k >= ns || q >= n) /* the launch rounds both up */
        return;
    int i = order[q]; /* bin order: neighbouring work-groups share reads */
    query qi = query_of(xy, i, cell, nx, ny, reach);
    float acc = 0.0f, cnt = 0.0f;
    for (int by = qi.by0; by <= qi.by1; by++) {
        int p0, p1;
        row_span(&qi, ext, start, nx, by, &p0, &p1);
        for (int p = p0; p < p1; p++) {
            int j = order[p];
            if (!stacks(&qi, sxy, p, j, r2))
                continue;
            size_t at = (size_t)j * ns + k;
            int present = m[at] > 0.0f;
            acc += present ? s[at] : 0.0f;
            cnt += present ? 1.0f : 0.0f;
        }
    }
    size_t here = (size_t)i * ns + k;
    out[here] = cnt > 0.0f ? acc / cnt : 0.0f;
    out_valid[here] = cnt > 0.0f ? 1.0f : 0.0f;
}
