/*
 * fuzz_tsv.c - the trace.tsv reader (gilsim plot's input) on any text;
 * what it accepts is then walked as gilsim plot walks it: the state and
 * step segments, and the timeline's data at a pixel of 1 us.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_input.h"
#include "plot.h"
#include "trace.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "r");
    struct sim_trace *t = NULL;
    char err[512];
    FILE *null;

    if (f == NULL) {
        return 0;
    }
    if (sim_trace_read_tsv_msg(f, &t, err, sizeof(err)) == 0 && t != NULL) {
        null = fopen("/dev/null", "w");
        if (null != NULL) {
            (void)plot_write_timeline_data(t, 0, 0, 1000, null);
            (void)plot_write_step_data(t, 0, 0, 1000, null);
            (void)plot_write_marker_data(t, 0, 0, 1000, null);
            (void)fclose(null);
        }
        sim_trace_free(t);
    }
    (void)fclose(f);
    return 0;
}
