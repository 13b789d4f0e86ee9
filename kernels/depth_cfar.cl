/* depth_cfar: see pipeline/stages/depth_cfar.c. Each plane is scored by
 * cfar.cl's kernels into `s`; this folds it into the output as the
 * reference's combine() does: the first plane sets it, the others keep
 * the largest (mode 0) or add their share (mode 1). */
__kernel void depth_cfar_combine(__global const float *restrict s,
                                 __global float *restrict out, int n, int k,
                                 int mode, float weight)
{
    int i = get_global_id(0);
    if (i >= n)
        return;
    float v = mode ? s[i] * weight : s[i];
    out[i] = k == 0 ? v : mode ? out[i] + v : fmax(out[i], v);
}

/* A window past the last plane: every score 0. */
__kernel void depth_cfar_zero(__global float *restrict out, int n)
{
    int i = get_global_id(0);
    if (i < n)
        out[i] = 0.0f;
}
