/* minescan devices: the OpenCL platforms and devices, and auto's pick. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "opencl/cl_runtime.h"

int ms_cmd_devices(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage: minescan devices\n\nLists the OpenCL platforms and "
               "devices and says which one --device auto picks\n(a GPU, else "
               "the first OpenCL device, else the C reference path).\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "minescan devices: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    ms_cl_device_info *list;
    size_t n = ms_cl_list_devices(&list);
    int pick = ms_cl_pick_device(list, n);
    if (n == 0)
        printf("No OpenCL device found.\n");
    for (size_t i = 0; i < n; i++)
        printf("%c [%zu] platform \"%s\": %s \"%s\" (%s)\n",
               (int)i == pick ? '*' : ' ', i, list[i].platform_name,
               list[i].is_gpu ? "GPU" : "device", list[i].device_name,
               list[i].version);
    if (pick >= 0)
        printf("auto picks [%d]: %s\n", pick, list[pick].device_name);
    else
        printf("auto picks the C reference path (cpu)\n");
    printf("cpu: the C reference path, always available\n");
    free(list);
    return 0;
}
