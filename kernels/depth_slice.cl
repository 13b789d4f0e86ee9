/* depth_slice: see pipeline/stages/depth_slice.c. */
__kernel void depth_slice(__global const float *vol, __global float *out,
                          int n, int lo, int hi)
{
    int c = get_global_id(0);
    if (c >= n)
        return;
    float sum = 0.0f;
    for (int z = lo; z <= hi; z++)
        sum += vol[(size_t)z * n + c];
    out[c] = sum / (float)(hi - lo + 1);
}
