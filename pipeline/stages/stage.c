/* The stage framework's shared half: parameters by name, the lifecycle of
 * one invocation (private state, scratch) and its memory footprint. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minescan/error.h"
#include "stages/stage.h"

#define MS_MAX_SCRATCH 8

struct ms_scratch {
    void *host[MS_MAX_SCRATCH];
    cl_mem dev[MS_MAX_SCRATCH];
    unsigned n_host, n_dev;
};

void ms_stage_defaults(const ms_stage_decl *decl, ms_params *p)
{
    memset(p, 0, sizeof *p);
    for (unsigned i = 0; i < decl->n_params; i++)
        ms_param_set(&decl->params[i], p, decl->params[i].def);
}

int ms_stage_param_index(const ms_stage_decl *decl, const char *name)
{
    for (unsigned i = 0; i < decl->n_params; i++)
        if (strcmp(decl->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

double ms_param_get(const ms_param_decl *pd, const ms_params *p)
{
    const unsigned char *at = p->bytes + pd->offset;
    if (pd->type == MS_PARAM_INT) {
        int v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    double v;
    memcpy(&v, at, sizeof v);
    return v;
}

void ms_param_set(const ms_param_decl *pd, ms_params *p, double v)
{
    unsigned char *at = p->bytes + pd->offset;
    if (pd->type == MS_PARAM_INT) {
        int i = (int)v;
        memcpy(at, &i, sizeof i);
    } else {
        memcpy(at, &v, sizeof v);
    }
}

int ms_param_set_named(const ms_stage_decl *decl, ms_params *p,
                       const char *name, double v)
{
    int k = ms_stage_param_index(decl, name);
    if (k < 0)
        return ms_fail(MS_ERR_NOT_FOUND, "stage %s has no parameter '%s'",
                       decl->name, name);
    ms_param_set(&decl->params[k], p, v);
    return 0;
}

double ms_param_get_named(const ms_stage_decl *decl, const ms_params *p,
                          const char *name)
{
    int k = ms_stage_param_index(decl, name);
    return k < 0 ? NAN : ms_param_get(&decl->params[k], p);
}

int ms_stage_begin(ms_stage_ctx *ctx, ms_cl *cl)
{
    const ms_stage_decl *d = ctx->decl;
    ctx->priv = NULL;
    ctx->scratch = calloc(1, sizeof *ctx->scratch);
    if (d->priv_size && ctx->scratch)
        ctx->priv = calloc(1, d->priv_size);
    if (!ctx->scratch || (d->priv_size && !ctx->priv))
        return ms_fail(MS_ERR_NOMEM, "stage %s: out of memory", d->name);
    return d->init ? d->init(ctx, cl) : 0;
}

void ms_stage_end(ms_stage_ctx *ctx)
{
    /* uninit exactly when init was called (begin got that far), so that
     * it always finds its private state */
    const ms_stage_decl *d = ctx->decl;
    if (d && d->uninit && ctx->scratch && (!d->priv_size || ctx->priv))
        d->uninit(ctx);
    free(ctx->priv);
    ctx->priv = NULL;
    ms_scratch *s = ctx->scratch;
    if (!s)
        return;
    for (unsigned i = 0; i < s->n_host; i++)
        free(s->host[i]);
    for (unsigned i = 0; i < s->n_dev; i++)
        ms_cl_release(s->dev[i]);
    free(s);
    ctx->scratch = NULL;
}

int ms_stage_scratch_host(const ms_stage_ctx *ctx, size_t bytes, void **out)
{
    ms_scratch *s = ctx->scratch;
    *out = NULL;
    if (!s || s->n_host == MS_MAX_SCRATCH)
        return ms_fail(MS_ERR_INTERNAL, "stage %s: no scratch slot left",
                       ctx->decl->name);
    *out = malloc(bytes ? bytes : 1);
    if (!*out)
        return ms_fail(MS_ERR_NOMEM, "stage %s: out of memory for %zu bytes "
                       "of scratch", ctx->decl->name, bytes);
    s->host[s->n_host++] = *out;
    return 0;
}

int ms_stage_scratch_device(const ms_stage_ctx *ctx, ms_cl *cl, size_t bytes,
                            cl_mem *out)
{
    ms_scratch *s = ctx->scratch;
    *out = NULL;
    if (!s || s->n_dev == MS_MAX_SCRATCH)
        return ms_fail(MS_ERR_INTERNAL, "stage %s: no scratch slot left",
                       ctx->decl->name);
    int rc = ms_cl_alloc(cl, bytes, out);
    if (!rc)
        s->dev[s->n_dev++] = *out;
    return rc;
}

size_t ms_stage_footprint(const ms_stage_ctx *ctx)
{
    size_t bytes = 0;
    for (unsigned i = 0; i < ctx->decl->n_in; i++)
        bytes += ms_shape_count(ctx->in[i]) * sizeof(float);
    for (unsigned o = 0; o < ctx->decl->n_out; o++)
        bytes += ms_shape_count(ctx->out[o]) * sizeof(float);
    if (ctx->decl->work_bytes)
        bytes += ctx->decl->work_bytes(ctx);
    return bytes;
}

void ms_stage_estimate(const ms_stage_ctx *ctx, const char *key, double v)
{
    ms_estimates *e = ctx->estimates;
    if (!e)
        return;
    unsigned i = 0;
    while (i < e->n && strcmp(e->key[i], key) != 0)
        i++;
    if (i == MS_MAX_ESTIMATES)
        return;
    if (i == e->n) {
        snprintf(e->key[i], sizeof e->key[i], "%s", key);
        e->n++;
    }
    e->value[i] = v;
}
