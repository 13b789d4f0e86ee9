/* minescan devices: the OpenCL platforms and devices, and auto's pick. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "minescan/error.h"
#include "opencl/cl_runtime.h"
#include "runner/calibrate.h"

/* Measure auto's OpenCL device against the C path and store the answer. */
static int calibrate(const ms_cl_device_info *dev)
{
    printf("calibrating %s against the C path: the default recipe on a "
           "16 MB synthetic lane, twice each...\n", dev->device_name);
    fflush(stdout);
    ms_calibration c;
    int rc = ms_calibrate(dev, &c);
    if (!rc)
        rc = ms_calibration_save(dev, &c);
    if (rc) {
        fprintf(stderr, "minescan devices: calibration failed: %s\n",
                ms_error_message());
        return ms_exit_code(rc);
    }
    printf("%-28s %10s %10s\n", "stage#line", "cpu_ms", "opencl_ms");
    for (size_t i = 0; i < c.n_stages; i++)
        printf("%-28s %10.2f %10.2f%s\n", c.stages[i].name, c.stages[i].cpu_ms,
               c.stages[i].opencl_ms,
               c.stages[i].opencl_ms > c.stages[i].cpu_ms ? "  (C faster)" : "");
    char path[4096];
    ms_calibration_path(dev, path, sizeof path);
    printf("%s\nstored in %s\n",
           c.opencl_faster ? "OpenCL is faster on every stage: auto will use it"
                           : "the C path is faster on some stage: auto will "
                             "use the C path",
           path);
    return 0;
}

int ms_cmd_devices(int argc, char **argv)
{
    int want_calibrate = 0;
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("Usage: minescan devices [--calibrate]\n\nLists the OpenCL "
               "platforms and devices and says what --device auto uses: a "
               "GPU;\nan OpenCL device that is not a GPU (PoCL on the CPU) "
               "only where a calibration\nmeasured it faster than the C path "
               "on every stage of the default recipe;\nelse the C reference "
               "path.\n\n  --calibrate   measure that device against the C "
               "path now and store the answer\n");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "--calibrate"))
        want_calibrate = 1;
    else if (argc > 1) {
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
    int rc = 0;
    if (want_calibrate && pick >= 0)
        rc = calibrate(&list[pick]);
    ms_runner *r = NULL;
    if (!rc && ms_runner_create(MS_DEVICE_AUTO, &r) == 0) {
        if (!strcmp(ms_runner_kind(r), "opencl"))
            printf("auto picks [%d]: %s\n", pick, list[pick].device_name);
        else
            printf("auto picks the C reference path (cpu)%s%s%s\n",
                   ms_runner_choice(r)[0] || ms_runner_note(r)[0] ? ": " : "",
                   ms_runner_choice(r), ms_runner_note(r));
        ms_runner_free(r);
    }
    printf("cpu: the C reference path, always available\n");
    free(list);
    return rc;
}
