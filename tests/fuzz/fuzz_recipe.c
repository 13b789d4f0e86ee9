/* libFuzzer target: the recipe parser and validator on arbitrary text,
 * and an override applied to what parsed. See fuzz_recording.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    /* The last line, when it looks like one, is also tried as a --set. */
    char *last = strrchr(text, '\n');
    ms_recipe r;
    memset(&r, 0, sizeof r);
    if (ms_recipe_parse(text, "fuzz", &r) == 0) {
        ms_recipe_validate(&r);
        if (last && strchr(last + 1, '='))
            ms_recipe_override(&r, last + 1);
    }
    ms_recipe_free(&r);
    free(text);
    return 0;
}
