/*
 * test_plots.c - cmocka tests of plots/: the timeline data that the
 * gnuplot templates draw.
 *
 * A two-thread trace is built by hand with sim_trace_record() and made-up
 * stamps, and plot_write_timeline_data() writes into an open_memstream()
 * buffer that is compared with the exact expected text: whole trace,
 * a window, and sub-pixel segments absorbed by their neighbours.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plot.h"

#define MS     INT64_C(1000000) /* ns */
#define ORIGIN 7000             /* ns; every stamp below is offset by it */

static void
ev(struct sim_trace_buf *b, int64_t t_ns, enum sim_ev kind, int detail)
{
    sim_trace_record(b, ORIGIN + t_ns, kind, detail, 0, -1, 0);
}

/*
 * main: idle 0-1 ms, running 1-3 ms, waiting 500 ns, running to 5 ms,
 * io 5-8 ms, running 8-9 ms.
 * w: idle 100 ns, waiting to 5 ms, running 5-6 ms.
 */
static struct sim_trace *
known_trace(void)
{
    struct sim_trace_config cfg = {2, 64, 0, ORIGIN};
    struct sim_trace *t = NULL;
    struct sim_trace_buf *a = NULL, *b = NULL;

    assert_int_equal(sim_trace_new(&cfg, &t), 0);
    assert_int_equal(sim_trace_add_thread(t, "main", 0, 0, &a), 0);
    assert_int_equal(sim_trace_add_thread(t, "w\t2", 0, 0, &b), 0);
    ev(a, 0, SIM_EV_THREAD_START, 0);
    ev(a, 1 * MS, SIM_EV_GIL_TAKE, 0);
    ev(a, 3 * MS, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
    ev(a, 3 * MS + 500, SIM_EV_GIL_TAKE, 0);
    ev(a, 5 * MS, SIM_EV_GIL_DROP, SIM_DROP_IO);
    ev(a, 8 * MS, SIM_EV_GIL_TAKE, 0);
    ev(a, 9 * MS, SIM_EV_THREAD_END, 0);
    ev(b, 0, SIM_EV_THREAD_START, 0);
    ev(b, 100, SIM_EV_GIL_WAIT, 0);
    ev(b, 5 * MS, SIM_EV_GIL_TAKE, 0);
    ev(b, 6 * MS, SIM_EV_THREAD_END, 0);
    return t;
}

/* The timeline of known_trace() for a window and min_ns, as a string the
 * caller frees. */
static char *
timeline(int64_t from_ns, int64_t to_ns, int64_t min_ns)
{
    struct sim_trace *t = known_trace();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(plot_write_timeline_data(t, from_ns, to_ns, min_ns, f), 0);
    assert_int_equal(fclose(f), 0);
    sim_trace_free(t);
    return buf;
}

static void
timeline_writes_one_line_per_segment(void **state)
{
    char *buf = timeline(0, 0, 0);

    (void)state;
    assert_string_equal(buf, "0\t0.000000\t1.000000\tidle\tmain\n"
                             "0\t1.000000\t3.000000\trunning\tmain\n"
                             "0\t3.000000\t3.000500\twaiting\tmain\n"
                             "0\t3.000500\t5.000000\trunning\tmain\n"
                             "0\t5.000000\t8.000000\tio\tmain\n"
                             "0\t8.000000\t9.000000\trunning\tmain\n"
                             "1\t0.000000\t0.000100\tidle\tw 2\n"
                             "1\t0.000100\t5.000000\twaiting\tw 2\n"
                             "1\t5.000000\t6.000000\trunning\tw 2\n");
    free(buf);
}

static void
timeline_absorbs_short_segments_without_gaps(void **state)
{
    char *buf = timeline(0, 0, 1000);

    (void)state;
    /* The 500 ns wait joins the running around it; the 100 ns idle at the
     * start of w takes on the waiting that follows it. */
    assert_string_equal(buf, "0\t0.000000\t1.000000\tidle\tmain\n"
                             "0\t1.000000\t5.000000\trunning\tmain\n"
                             "0\t5.000000\t8.000000\tio\tmain\n"
                             "0\t8.000000\t9.000000\trunning\tmain\n"
                             "1\t0.000000\t5.000000\twaiting\tw 2\n"
                             "1\t5.000000\t6.000000\trunning\tw 2\n");
    free(buf);
}

static void
timeline_clips_segments_to_the_window(void **state)
{
    char *buf = timeline(2 * MS, 6 * MS, 0);

    (void)state;
    assert_string_equal(buf, "0\t2.000000\t3.000000\trunning\tmain\n"
                             "0\t3.000000\t3.000500\twaiting\tmain\n"
                             "0\t3.000500\t5.000000\trunning\tmain\n"
                             "0\t5.000000\t6.000000\tio\tmain\n"
                             "1\t2.000000\t5.000000\twaiting\tw 2\n"
                             "1\t5.000000\t6.000000\trunning\tw 2\n");
    free(buf);
}

static void
timeline_window_past_the_end_is_empty(void **state)
{
    char *buf = timeline(10 * MS, 0, 0);

    (void)state;
    assert_string_equal(buf, "");
    free(buf);
}

static void
timeline_rejects_missing_arguments(void **state)
{
    (void)state;
    assert_int_equal(plot_write_timeline_data(NULL, 0, 0, 0, stdout), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timeline_writes_one_line_per_segment),
        cmocka_unit_test(timeline_absorbs_short_segments_without_gaps),
        cmocka_unit_test(timeline_clips_segments_to_the_window),
        cmocka_unit_test(timeline_window_past_the_end_is_empty),
        cmocka_unit_test(timeline_rejects_missing_arguments),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
