/* Help text generated from the stage declarations and recipes. */
#include "cli/cli_common.h"

#include "runner/recipe.h"
#include "stages/stage.h"

void ms_cli_print_stages(FILE *f)
{
    fprintf(f, "Stages (recipe line: stage NAME key=value ... [in=a,b] "
               "[out=c,d]):\n");
    for (size_t i = 0; ms_stage_registry[i]; i++) {
        const ms_stage_decl *d = ms_stage_registry[i];
        fprintf(f, "  %s: %s\n", d->name, d->summary);
        fprintf(f, "      in=");
        for (unsigned k = 0; k < d->n_in; k++)
            fprintf(f, "%s%s", k ? "," : "", d->in_slots[k]);
        fprintf(f, "  out=");
        for (unsigned k = 0; k < d->n_out; k++)
            fprintf(f, "%s%s", k ? "," : "", d->out_slots[k]);
        fprintf(f, "\n");
        for (unsigned k = 0; k < d->n_params; k++) {
            const ms_param_decl *p = &d->params[k];
            fprintf(f, "      %-16s %s, default %g, range [%g, %g]%s%s: %s\n",
                    p->name, p->type == MS_PARAM_INT ? "integer" : "number",
                    p->def, p->min, p->max, *p->unit ? " " : "", p->unit,
                    p->help);
        }
    }
}

void ms_cli_print_recipes(FILE *f, int with_text)
{
    for (const ms_builtin_recipe *b = ms_builtin_recipes; b->name; b++) {
        fprintf(f, "%-10s %s\n", b->name, b->description);
        if (with_text)
            fprintf(f, "%s\n", b->text);
    }
}

void ms_cli_print_device_help(FILE *f)
{
    fprintf(f,
            "  --device auto|opencl|cpu  where stages run (default: "
            "$MINESCAN_DEVICE, else auto).\n"
            "                            auto prefers a GPU, then any OpenCL "
            "device, then the C path\n");
}
