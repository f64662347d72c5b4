/*
 * fuzz_json.c - the JSON readers on any file: summary.json (gilsim
 * plot), a calibration (--calibration) and a workload file
 * (--workload=FILE, built into tasks). Each reads it or refuses it with
 * one line; nothing else.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "fuzz_input.h"
#include "report.h"
#include "run.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sim_wf_params p = {.instr_ns = 4.1,
                              .decode_instr_per_byte = 1.5,
                              .seed = 1,
                              .pages = 5,
                              .threads = 3,
                              .count = 1000,
                              .ops = 4,
                              .cpu_threads = 1};
    struct sim_report_summary sum;
    struct sim_calibration cal;
    struct wl_workload *w = NULL;
    char path[64], err[1024];
    int fd = fuzz_file(data, size, path, sizeof(path));

    if (fd < 0) {
        return 0;
    }
    (void)sim_report_read_summary(path, &sum, err, sizeof(err));
    sim_report_summary_clear(&sum);
    memset(&cal, 0, sizeof(cal));
    (void)sim_calibration_read(path, &cal, err, sizeof(err));
    if (sim_workload_file_parse((const char *)data, size, "f.json", &p, &w, err,
                                sizeof(err)) == 0) {
        wl_workload_free(w);
    } else if (strchr(err, '\n') != NULL) {
        abort(); /* an error is one line */
    }
    (void)close(fd);
    return 0;
}
