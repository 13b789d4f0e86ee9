/* The OpenCL runtime: symbolic error names, embedded kernels that carry
 * #line, loading kernels from MINESCAN_KERNEL_DIR, and build errors that
 * point into the .cl file with the build log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "minescan/error.h"
#include "opencl/cl_runtime.h"
#include "opencl/kernel_sources.h"
#include "test_util.h"

static void error_names_are_symbolic(void **state)
{
    assert_string_equal(ms_cl_error_name(-5), "CL_OUT_OF_RESOURCES");
    assert_string_equal(ms_cl_error_name(CL_INVALID_WORK_GROUP_SIZE),
                        "CL_INVALID_WORK_GROUP_SIZE");
    assert_string_equal(ms_cl_error_name(-12345), "CL_UNKNOWN_ERROR");
    assert_int_equal(ms_cl_error_code("CL_MEM_OBJECT_ALLOCATION_FAILURE"), -4);
    assert_int_equal(ms_cl_error_code("NOT_AN_ERROR"), CL_SUCCESS);
}

static void embedded_kernels_point_to_their_files(void **state)
{
    size_t n = 0;
    for (const ms_kernel_source *k = ms_kernel_sources; k->name; k++, n++) {
        char want[128];
        snprintf(want, sizeof want, "#line 1 \"kernels/%s.cl\"\n", k->name);
        assert_memory_equal(k->source, want, strlen(want));
    }
    assert_true(n >= 8);
}

static ms_cl *open_device(void)
{
    ms_cl_device_info *list;
    size_t n = ms_cl_list_devices(&list);
    int pick = ms_cl_pick_device(list, n);
    assert_true(pick >= 0);
    ms_cl *cl;
    assert_int_equal(ms_cl_create(&list[pick], &cl), 0);
    free(list);
    return cl;
}

static void kernel_dir_overrides_and_errors_name_the_line(void **state)
{
    char dir[512], path[600];
    test_tmp_path(dir, sizeof dir, "kernels-broken");
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/fuse.cl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("/* line 1 */\n__kernel void fuse(__global float *a)\n{\n"
          "    a[0] = undeclared_thing;\n}\n", f);
    fclose(f);
    setenv("MINESCAN_KERNEL_DIR", dir, 1);
    ms_cl *cl = open_device();
    cl_program prog;
    int rc = ms_cl_program(cl, "fuse", &prog);
    unsetenv("MINESCAN_KERNEL_DIR");
    printf("# %s\n", ms_error_message());
    assert_int_equal(rc, MS_ERR_OPENCL);
    assert_int_equal(ms_cl_last_error(cl), CL_BUILD_PROGRAM_FAILURE);
    assert_non_null(strstr(ms_error_message(), "CL_BUILD_PROGRAM_FAILURE"));
    /* the build log names the file and line 4 */
    assert_non_null(strstr(ms_error_message(), "fuse.cl:4:"));
    ms_cl_destroy(cl);
}

static void missing_kernel_is_a_clear_error(void **state)
{
    ms_cl *cl = open_device();
    cl_program prog;
    assert_int_equal(ms_cl_program(cl, "no_such_stage", &prog),
                     MS_ERR_NOT_FOUND);
    assert_non_null(strstr(ms_error_message(), "kernels/no_such_stage.cl"));
    ms_cl_destroy(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_names_are_symbolic),
        cmocka_unit_test(embedded_kernels_point_to_their_files),
        cmocka_unit_test(kernel_dir_overrides_and_errors_name_the_line),
        cmocka_unit_test(missing_kernel_is_a_clear_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
