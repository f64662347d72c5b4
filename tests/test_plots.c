/*
 * test_plots.c - cmocka tests of plots/: the data that the gnuplot
 * templates draw, and the pictures gnuplot makes of them.
 *
 * A two-thread trace is built by hand with sim_trace_record() and made-up
 * stamps, and the data steps (plot_write_timeline_data, _marker_data,
 * _lane_data, _comparison_data) write into an open_memstream() buffer that
 * is compared with the exact expected text: whole trace, a window, and
 * sub-pixel segments and markers thinned out. A trace of a million events
 * must come down to at most one segment per pixel and lane.
 *
 * The renderers run the real gnuplot (each such test is skipped, saying
 * so, when gnuplot is not on PATH) into a fresh mkdtemp folder: the PNG
 * must carry the PNG signature and an IHDR of the documented size, the SVG
 * must look like well-formed XML (a tiny tag balancer, below), and the
 * folder must hold exactly the two pictures afterwards. With
 * GILSIM_PLOTS_DIR naming an empty folder, or with no gnuplot on PATH,
 * the renderers must fail with a line naming what is missing and leave
 * the folder empty.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"
#include "plot.h"
#include "test_files.h"

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
 * w: idle 100 ns, waiting to 5 ms (a drop request at 2 ms), running
 * 5-6 ms.
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
    ev(b, 2 * MS, SIM_EV_GIL_DROP_REQUEST, 0);
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

/* Issue 20: a lane whose times come near INT64_MAX (the reader allows up
 * to 2^62; the arithmetic must not wrap past that either) is still cut
 * into pixels and ends: the last pixel is saturated, not wrapped. */
static void
timeline_near_int64_max_ends(void **state)
{
    struct sim_trace_config cfg = {1, 16, 0, 0};
    struct sim_trace *t = NULL;
    struct sim_trace_buf *a = NULL;
    const int64_t top = INT64_MAX - 10;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    assert_int_equal(sim_trace_new(&cfg, &t), 0);
    assert_int_equal(sim_trace_add_thread(t, "main", 0, 0, &a), 0);
    sim_trace_record(a, top, SIM_EV_THREAD_START, 0, 0, -1, 0);
    sim_trace_record(a, top + 3, SIM_EV_GIL_TAKE, 0, 0, -1, 0);
    sim_trace_record(a, top + 9, SIM_EV_THREAD_END, 0, 0, -1, 0);
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(plot_write_timeline_data(t, top - 5, 0, 4, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(buf, "running"));
    free(buf);
    sim_trace_free(t);
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

/* What a data step writes for a trace, as a string the caller frees. */
static char *
run_step(const struct sim_trace *t, int which, int64_t from_ns, int64_t to_ns,
         int64_t min_ns)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    if (which == 0) {
        assert_int_equal(plot_write_marker_data(t, from_ns, to_ns, min_ns, f),
                         0);
    } else {
        assert_int_equal(plot_write_lane_data(t, f), 0);
    }
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void
markers_mark_drop_requests_and_forced_switches(void **state)
{
    struct sim_trace *t = known_trace();
    char *buf = run_step(t, 0, 0, 0, 0);

    (void)state;
    /* The forced drop is on the holder's lane, the request on the
     * waiter's. */
    assert_string_equal(buf, "0\t3.000000\tforced_switch\n"
                             "1\t2.000000\tdrop_request\n");
    free(buf);
    sim_trace_free(t);
}

static void
markers_are_clipped_to_the_window(void **state)
{
    struct sim_trace *t = known_trace();
    char *buf = run_step(t, 0, 2500000, 6 * MS, 0);

    (void)state;
    assert_string_equal(buf, "0\t3.000000\tforced_switch\n");
    free(buf);
    buf = run_step(t, 0, 0, 2 * MS, 0); /* the end is excluded */
    assert_string_equal(buf, "");
    free(buf);
    sim_trace_free(t);
}

static void
mixed_pixels_take_the_state_that_filled_most_of_them(void **state)
{
    struct sim_trace_config cfg = {1, 512, 0, ORIGIN};
    struct sim_trace *t = NULL;
    struct sim_trace_buf *a = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;
    int64_t k;

    (void)state;
    assert_int_equal(sim_trace_new(&cfg, &t), 0);
    assert_int_equal(sim_trace_add_thread(t, "a", 0, 0, &a), 0);
    /* Waits 10 us, runs 40 us, 100 times: every 1 ms pixel is 80%
     * running, though each pixel starts with a wait. */
    ev(a, 0, SIM_EV_THREAD_START, 0);
    ev(a, 0, SIM_EV_GIL_WAIT, 0);
    for (k = 0; k < 100; k++) {
        ev(a, k * 50000 + 10000, SIM_EV_GIL_TAKE, 0);
        if (k < 99) {
            ev(a, k * 50000 + 50000, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
        }
    }
    ev(a, 5 * MS, SIM_EV_THREAD_END, 0);
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(plot_write_timeline_data(t, 0, 0, 1 * MS, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, "0\t0.000000\t5.000000\trunning\ta\n");
    free(buf);
    sim_trace_free(t);
}

static void
markers_closer_than_a_pixel_are_thinned(void **state)
{
    struct sim_trace_config cfg = {1, 64, 0, ORIGIN};
    struct sim_trace *t = NULL;
    struct sim_trace_buf *a = NULL;
    char *buf;

    (void)state;
    assert_int_equal(sim_trace_new(&cfg, &t), 0);
    assert_int_equal(sim_trace_add_thread(t, "a", 0, 0, &a), 0);
    ev(a, 0, SIM_EV_THREAD_START, 0);
    ev(a, 1 * MS, SIM_EV_GIL_DROP_REQUEST, 0);
    ev(a, 1 * MS + 500, SIM_EV_GIL_DROP_REQUEST, 0);
    ev(a, 1 * MS + 700, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
    ev(a, 1 * MS + 900, SIM_EV_GIL_TAKE, 0);
    ev(a, 1 * MS + 1000, SIM_EV_GIL_DROP_REQUEST, 0);
    ev(a, 2 * MS, SIM_EV_THREAD_END, 0);
    buf = run_step(t, 0, 0, 0, 1000);
    /* Each kind is thinned on its own. */
    assert_string_equal(buf, "0\t1.000000\tdrop_request\n"
                             "0\t1.000700\tforced_switch\n"
                             "0\t1.001000\tdrop_request\n");
    free(buf);
    sim_trace_free(t);
}

static void
lanes_name_every_thread(void **state)
{
    struct sim_trace *t = known_trace();
    char *buf = run_step(t, 1, 0, 0, 0);

    (void)state;
    assert_string_equal(buf, "0\tmain\n1\tw 2\n");
    free(buf);
    sim_trace_free(t);
}

static void
comparison_data_has_a_line_per_run(void **state)
{
    struct sim_trace_summary runs[2];
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    memset(runs, 0, sizeof(runs));
    (void)snprintf(runs[0].model, sizeof(runs[0].model), "serial");
    runs[0].repeat = 1;
    runs[0].wall_ns = 1500000000;
    runs[0].wall_ns_min = 1500000000;
    runs[0].wall_ns_max = 1500000000;
    runs[0].stats.hold_ns = 3;
    runs[0].stats.idle_ns = 1;
    (void)snprintf(runs[1].model, sizeof(runs[1].model), "threads");
    runs[1].repeat = 3;
    runs[1].wall_ns = 2000000001;
    runs[1].wall_ns_min = 1999999999;
    runs[1].wall_ns_max = 2500000000;
    runs[1].stats.hold_ns = 1;
    runs[1].stats.wait_ns = 2;
    runs[1].stats.io_ns = 1;
    f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(plot_write_comparison_data(runs, 2, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf,
                        "model\twall_s\twall_min_s\twall_max_s\trepeat\t"
                        "running_pct\twaiting_pct\tio_pct\tidle_pct\n"
                        "serial\t1.500000000\t1.500000000\t1.500000000\t1\t"
                        "75.000\t0.000\t0.000\t25.000\n"
                        "threads\t2.000000001\t1.999999999\t2.500000000\t3\t"
                        "25.000\t50.000\t25.000\t0.000\n");
    free(buf);
}

/*
 * Two threads taking turns every 2 us for 1 s: 1M events, 500k segments
 * per lane, far narrower than a pixel of the whole run.
 */
static struct sim_trace *
million_event_trace(void)
{
    struct sim_trace_config cfg = {2, 600000, 0, ORIGIN};
    struct sim_trace *t = NULL;
    struct sim_trace_buf *b[2] = {NULL, NULL};
    int64_t k;

    assert_int_equal(sim_trace_new(&cfg, &t), 0);
    assert_int_equal(sim_trace_add_thread(t, "thread-1", 0, 0, &b[0]), 0);
    assert_int_equal(sim_trace_add_thread(t, "thread-2", 0, 0, &b[1]), 0);
    ev(b[0], 0, SIM_EV_THREAD_START, 0);
    ev(b[1], 0, SIM_EV_THREAD_START, 0);
    for (k = 0; k < 250000; k++) {
        int64_t t0 = k * 4000;

        ev(b[0], t0, SIM_EV_GIL_TAKE, 0);
        ev(b[1], t0, SIM_EV_GIL_WAIT, 0);
        ev(b[0], t0 + 2000, SIM_EV_GIL_DROP, SIM_DROP_FORCED);
        ev(b[1], t0 + 2000, SIM_EV_GIL_TAKE, 0);
    }
    ev(b[0], 1000 * MS, SIM_EV_THREAD_END, 0);
    ev(b[1], 1000 * MS, SIM_EV_THREAD_END, 0);
    return t;
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

static void
million_event_trace_gives_at_most_a_box_per_pixel(void **state)
{
    struct sim_trace *t = million_event_trace();
    int64_t min_ns = 1000 * MS / PLOT_WIDTH;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    (void)state;
    assert_non_null(f);
    assert_int_equal(plot_write_timeline_data(t, 0, 0, min_ns, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_true(count_lines(buf) >= 2);
    assert_true(count_lines(buf) <= 2 * PLOT_WIDTH);
    free(buf);
    buf = run_step(t, 0, 0, 0, min_ns);
    assert_true(count_lines(buf) <= 2 * PLOT_WIDTH);
    free(buf);
    sim_trace_free(t);
}

/* ---- rendering with the real gnuplot ------------------------------------ */

static int
gnuplot_on_path(void)
{
    const char *path = getenv("PATH");
    char dir[4096];
    char file[4200];
    const char *p, *end;

    if (path == NULL) {
        return 0;
    }
    for (p = path; *p != '\0'; p = *end == '\0' ? end : end + 1) {
        size_t n;

        end = strchr(p, ':');
        if (end == NULL) {
            end = p + strlen(p);
        }
        n = (size_t)(end - p);
        if (n == 0 || n >= sizeof(dir)) {
            continue;
        }
        memcpy(dir, p, n);
        dir[n] = '\0';
        (void)snprintf(file, sizeof(file), "%s/gnuplot", dir);
        if (access(file, X_OK) == 0) {
            return 1;
        }
    }
    return 0;
}

#define NEED_GNUPLOT()                                                         \
    do {                                                                       \
        if (!gnuplot_on_path()) {                                              \
            print_message("gnuplot is not on PATH: skipping a test that "      \
                          "renders with it\n");                                \
            skip();                                                            \
        }                                                                      \
    } while (0)

/* The names in dir, sorted and joined by spaces, as a string to free. */
static char *
dir_listing(const char *dir)
{
    struct dirent **names = NULL;
    char *out;
    size_t used = 0;
    int n, i;

    n = scandir(dir, &names, NULL, alphasort);
    assert_true(n >= 0);
    out = calloc(1, 8192);
    assert_non_null(out);
    for (i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") != 0 &&
            strcmp(names[i]->d_name, "..") != 0 && used < 8000) {
            used += (size_t)snprintf(out + used, 8192 - used, "%s%s",
                                     used > 0 ? " " : "", names[i]->d_name);
        }
        free(names[i]);
    }
    free(names);
    return out;
}

static void
remove_dir(char *dir)
{
    struct dirent **names = NULL;
    char path[4200];
    int n, i;

    n = scandir(dir, &names, NULL, alphasort);
    for (i = 0; i < n; i++) {
        if (strcmp(names[i]->d_name, ".") != 0 &&
            strcmp(names[i]->d_name, "..") != 0) {
            (void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
            (void)unlink(path);
        }
        free(names[i]);
    }
    free(names);
    (void)rmdir(dir);
    free(dir);
}

static uint32_t
be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void
assert_png(const char *path, uint32_t width, uint32_t height)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    size_t len;
    unsigned char *p = (unsigned char *)tf_read(path, &len);

    assert_true(len > 33);
    assert_memory_equal(p, sig, 8);
    assert_int_equal(be32(p + 8), 13); /* IHDR's length */
    assert_memory_equal(p + 12, "IHDR", 4);
    assert_int_equal(be32(p + 16), width);
    assert_int_equal(be32(p + 20), height);
    free(p);
}

/*
 * 1 if s looks like well-formed XML: it starts with <?xml or <svg, and
 * every start tag is closed by a matching end tag in order (comments,
 * declarations, processing instructions and CDATA skipped; quoted
 * attribute values may hold '>').
 */
static int
xml_balanced(const char *s)
{
    char stack[64][64];
    int depth = 0;
    int root_closed = 0;
    const char *p = s;

    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
        p++;
    }
    if (strncmp(p, "<?xml", 5) != 0 && strncmp(p, "<svg", 4) != 0) {
        return 0;
    }
    while ((p = strchr(p, '<')) != NULL) {
        const char *q;
        char name[64];
        size_t n = 0;
        int closing = 0;
        char quote = 0;

        if (strncmp(p, "<!--", 4) == 0) {
            q = strstr(p, "-->");
            if (q == NULL) {
                return 0;
            }
            p = q + 3;
            continue;
        }
        if (strncmp(p, "<![CDATA[", 9) == 0) {
            q = strstr(p, "]]>");
            if (q == NULL) {
                return 0;
            }
            p = q + 3;
            continue;
        }
        if (p[1] == '?' || p[1] == '!') {
            q = strchr(p, '>');
            if (q == NULL) {
                return 0;
            }
            p = q + 1;
            continue;
        }
        p++;
        if (*p == '/') {
            closing = 1;
            p++;
        }
        while (*p != '\0' && *p != '>' && *p != '/' && *p != ' ' &&
               *p != '\n' && *p != '\t' && *p != '\r') {
            if (n + 1 < sizeof(name)) {
                name[n++] = *p;
            }
            p++;
        }
        name[n] = '\0';
        if (n == 0) {
            return 0;
        }
        /* To the end of the tag, past quoted values. */
        for (q = p; *q != '\0'; q++) {
            if (quote != 0) {
                if (*q == quote) {
                    quote = 0;
                }
            } else if (*q == '"' || *q == '\'') {
                quote = *q;
            } else if (*q == '>') {
                break;
            }
        }
        if (*q != '>') {
            return 0;
        }
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name) != 0) {
                return 0;
            }
            depth--;
            if (depth == 0) {
                root_closed = 1;
            }
        } else if (q[-1] != '/') {
            if (depth == 64 || root_closed) {
                return 0;
            }
            (void)snprintf(stack[depth++], sizeof(stack[0]), "%s", name);
        }
        p = q + 1;
    }
    return depth == 0 && root_closed;
}

static void
assert_svg(const char *path)
{
    size_t len;
    unsigned char *p = (unsigned char *)tf_read(path, &len);

    assert_non_null(strstr((const char *)p, "</svg>"));
    if (!xml_balanced((const char *)p)) {
        fail_msg("%s is not well-formed XML", path);
    }
    free(p);
}

static void
xml_checker_catches_unbalanced_tags(void)
{
    assert_true(xml_balanced("<?xml version=\"1.0\"?><svg a='>'><g/>"
                             "<!-- <x> --><text>a &lt; b</text></svg>"));
    assert_false(xml_balanced("<svg><g></svg>"));
    assert_false(xml_balanced("<svg><g></g>"));
    assert_false(xml_balanced("hello <svg></svg>"));
}

static void
timeline_renders_png_of_the_documented_size_and_svg(void **state)
{
    struct sim_trace *t;
    char *dir;
    char base[4200], path[4300];
    char err[512] = "";
    char *list;

    (void)state;
    xml_checker_catches_unbalanced_tags();
    NEED_GNUPLOT();
    t = known_trace();
    dir = tf_make_dir("gilsim-test-plots");
    (void)snprintf(base, sizeof(base), "%s/timeline", dir);
    /* A quote, a semicolon and a newline must neither break the -e
     * assignment nor start another gnuplot command. */
    if (plot_timeline(t, "it's \"quoted\"; print 1\nx_y^2", 0, 0, base, NULL,
                      err, sizeof(err)) != 0) {
        fail_msg("plot_timeline: %s", err);
    }
    (void)snprintf(path, sizeof(path), "%s.png", base);
    assert_png(path, PLOT_WIDTH, PLOT_TIMELINE_HEIGHT(2));
    (void)snprintf(path, sizeof(path), "%s.svg", base);
    assert_svg(path);
    list = dir_listing(dir);
    assert_string_equal(list, "timeline.png timeline.svg");
    free(list);
    /* A window past the end of the run draws empty lanes. */
    if (plot_timeline(t, "empty", 20 * MS, 30 * MS, base, NULL, err,
                      sizeof(err)) != 0) {
        fail_msg("plot_timeline, empty window: %s", err);
    }
    (void)snprintf(path, sizeof(path), "%s.png", base);
    assert_png(path, PLOT_WIDTH, PLOT_TIMELINE_HEIGHT(2));
    remove_dir(dir);
    sim_trace_free(t);
}

static void
timeline_of_a_million_events_renders(void **state)
{
    struct sim_trace *t;
    char *dir;
    char base[4200], path[4300];
    char err[512] = "";

    (void)state;
    NEED_GNUPLOT();
    t = million_event_trace();
    dir = tf_make_dir("gilsim-test-plots");
    (void)snprintf(base, sizeof(base), "%s/timeline", dir);
    if (plot_timeline(t, "1M events", 0, 0, base, NULL, err, sizeof(err)) !=
        0) {
        fail_msg("plot_timeline: %s", err);
    }
    (void)snprintf(path, sizeof(path), "%s.png", base);
    assert_png(path, PLOT_WIDTH, PLOT_TIMELINE_HEIGHT(2));
    (void)snprintf(path, sizeof(path), "%s.svg", base);
    assert_svg(path);
    remove_dir(dir);
    sim_trace_free(t);
}

static void
comparison_renders_png_and_svg(void **state)
{
    struct sim_trace_summary runs[3];
    char *dir;
    char base[4200], path[4300];
    char err[512] = "";
    char *list;
    int i;

    (void)state;
    NEED_GNUPLOT();
    memset(runs, 0, sizeof(runs));
    for (i = 0; i < 3; i++) {
        (void)snprintf(runs[i].model, sizeof(runs[i].model), "%s",
                       i == 0   ? "serial"
                       : i == 1 ? "threads"
                                : "nogil");
        runs[i].repeat = i == 1 ? 3 : 1;
        runs[i].wall_ns = (i + 1) * 100 * MS;
        runs[i].wall_ns_min = runs[i].wall_ns - (i == 1 ? 10 * MS : 0);
        runs[i].wall_ns_max = runs[i].wall_ns + (i == 1 ? 30 * MS : 0);
        runs[i].stats.hold_ns = 50 * MS;
        runs[i].stats.wait_ns = i * 40 * MS;
        runs[i].stats.io_ns = 10 * MS;
        runs[i].stats.idle_ns = 5 * MS;
    }
    dir = tf_make_dir("gilsim-test-plots");
    (void)snprintf(base, sizeof(base), "%s/comparison", dir);
    if (plot_comparison(runs, 3, "gilsim: cpu, it's 3 models", base, NULL, err,
                        sizeof(err)) != 0) {
        fail_msg("plot_comparison: %s", err);
    }
    (void)snprintf(path, sizeof(path), "%s.png", base);
    assert_png(path, PLOT_WIDTH, PLOT_COMPARISON_HEIGHT);
    (void)snprintf(path, sizeof(path), "%s.svg", base);
    assert_svg(path);
    list = dir_listing(dir);
    assert_string_equal(list, "comparison.png comparison.svg");
    free(list);
    remove_dir(dir);
}

static void
missing_template_fails_cleanly_and_names_it(void **state)
{
    struct sim_trace *t = known_trace();
    struct sim_trace_summary run;
    char *dir = tf_make_dir("gilsim-test-plots");
    char *empty = tf_make_dir("gilsim-test-plots");
    char base[4200];
    char err[512] = "";
    char *list;

    (void)state;
    assert_int_equal(setenv("GILSIM_PLOTS_DIR", empty, 1), 0);
    (void)snprintf(base, sizeof(base), "%s/timeline", dir);
    assert_int_equal(plot_timeline(t, "x", 0, 0, base, NULL, err, sizeof(err)),
                     -ENOENT);
    assert_non_null(strstr(err, "timeline.gp"));
    assert_non_null(strstr(err, empty));
    assert_null(strchr(err, '\n'));
    memset(&run, 0, sizeof(run));
    (void)snprintf(run.model, sizeof(run.model), "serial");
    (void)snprintf(base, sizeof(base), "%s/comparison", dir);
    assert_int_equal(
        plot_comparison(&run, 1, "x", base, NULL, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "comparison.gp"));
    assert_int_equal(unsetenv("GILSIM_PLOTS_DIR"), 0);
    list = dir_listing(dir);
    assert_string_equal(list, "");
    free(list);
    remove_dir(empty);
    remove_dir(dir);
    sim_trace_free(t);
}

/* Issue 20: a gnuplot that never finishes (this one stops itself with
 * SIGSTOP, its stderr left open) is killed at the deadline
 * (GILSIM_GNUPLOT_TIMEOUT, 1 s here): one line saying so, and no picture
 * or temporary file left behind. */
static void
a_stuck_gnuplot_is_killed_at_the_deadline(void **state)
{
    struct sim_trace *t = known_trace();
    char *dir = tf_make_dir("gilsim-test-plots");
    char *bin = tf_make_dir("gilsim-test-plots");
    char *old = getenv("PATH") != NULL ? strdup(getenv("PATH")) : NULL;
    char base[4200], fake[4200];
    char err[512] = "";
    char *list;
    FILE *f;
    int64_t t0, took;
    int rc;

    (void)state;
    (void)snprintf(fake, sizeof(fake), "%s/gnuplot", bin);
    f = fopen(fake, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nkill -STOP $$\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(fake, 0700), 0);
    assert_int_equal(setenv("PATH", bin, 1), 0);
    assert_int_equal(setenv("GILSIM_GNUPLOT_TIMEOUT", "1", 1), 0);
    (void)snprintf(base, sizeof(base), "%s/timeline", dir);
    t0 = base_now_ns();
    rc = plot_timeline(t, "x", 0, 0, base, NULL, err, sizeof(err));
    took = base_now_ns() - t0;
    assert_int_equal(unsetenv("GILSIM_GNUPLOT_TIMEOUT"), 0);
    if (old != NULL) {
        assert_int_equal(setenv("PATH", old, 1), 0);
    } else {
        assert_int_equal(unsetenv("PATH"), 0);
    }
    free(old);
    assert_int_equal(rc, -ETIMEDOUT);
    assert_non_null(strstr(err, "did not finish"));
    assert_true(took < INT64_C(5000000000));
    list = dir_listing(dir);
    assert_string_equal(list, "");
    free(list);
    (void)unlink(fake);
    remove_dir(bin);
    remove_dir(dir);
    sim_trace_free(t);
}

static void
missing_gnuplot_fails_cleanly_and_says_so(void **state)
{
    struct sim_trace *t = known_trace();
    char *dir = tf_make_dir("gilsim-test-plots");
    char *bin = tf_make_dir("gilsim-test-plots");
    char *old = getenv("PATH") != NULL ? strdup(getenv("PATH")) : NULL;
    char base[4200];
    char err[512] = "";
    char *list;
    int rc;

    (void)state;
    assert_int_equal(setenv("PATH", bin, 1), 0);
    (void)snprintf(base, sizeof(base), "%s/timeline", dir);
    rc = plot_timeline(t, "x", 0, 0, base, NULL, err, sizeof(err));
    if (old != NULL) {
        assert_int_equal(setenv("PATH", old, 1), 0);
    } else {
        assert_int_equal(unsetenv("PATH"), 0);
    }
    free(old);
    assert_int_equal(rc, -ENOENT);
    assert_non_null(strstr(err, "gnuplot not found"));
    list = dir_listing(dir);
    assert_string_equal(list, "");
    free(list);
    remove_dir(bin);
    remove_dir(dir);
    sim_trace_free(t);
}

static void
comparison_rejects_no_runs(void **state)
{
    struct sim_trace_summary run;
    char err[128] = "";

    (void)state;
    memset(&run, 0, sizeof(run));
    assert_int_equal(
        plot_comparison(&run, 0, "x", "/tmp/nowhere/c", NULL, err, sizeof(err)),
        -EINVAL);
    assert_int_equal(plot_write_comparison_data(NULL, 1, stdout), -EINVAL);
}

/* The per-state counts of a many-thread timeline: time-weighted means
 * per bin, adding up to the threads alive through the bin. */
static void
state_bins_count_threads_per_state_over_time(void **state)
{
    /* Three threads over [0, 100): a runs 0-100; b waits 0-25, then is in
     * I/O 25-100; c is idle 0-50 and ends there. */
    const struct sim_segment seg[] = {
        {0, 100, 0, SIM_STATE_RUNNING},
        {0, 25, 1, SIM_STATE_WAITING},
        {25, 100, 1, SIM_STATE_IO},
        {0, 50, 2, SIM_STATE_IDLE},
    };
    double v[10 * SIM_STATE_COUNT];
    size_t b;

    (void)state;
    assert_int_equal(plot_state_bins(seg, 4, 0, 100, 10, v), 0);
    for (b = 0; b < 10; b++) {
        const double *x = &v[b * SIM_STATE_COUNT];
        double sum = x[0] + x[1] + x[2] + x[3];

        /* c is alive (idle) in the first five bins only. */
        assert_true(fabs(sum - (b < 5 ? 3.0 : 2.0)) < 1e-9);
        assert_true(fabs(x[SIM_STATE_RUNNING] - 1.0) < 1e-9);
    }
    /* Bin 2 is [20, 30): b waits half of it and is in I/O the other. */
    assert_true(fabs(v[2 * SIM_STATE_COUNT + SIM_STATE_WAITING] - 0.5) < 1e-9);
    assert_true(fabs(v[2 * SIM_STATE_COUNT + SIM_STATE_IO] - 0.5) < 1e-9);
    /* A window that cuts segments counts only what is inside it. */
    assert_int_equal(plot_state_bins(seg, 4, 40, 60, 2, v), 0);
    assert_true(fabs(v[0 * SIM_STATE_COUNT + SIM_STATE_IDLE] - 1.0) < 1e-9);
    assert_true(fabs(v[1 * SIM_STATE_COUNT + SIM_STATE_IDLE]) < 1e-9);
    assert_int_equal(plot_state_bins(seg, 4, 10, 10, 2, v), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timeline_writes_one_line_per_segment),
        cmocka_unit_test(timeline_near_int64_max_ends),
        cmocka_unit_test(timeline_absorbs_short_segments_without_gaps),
        cmocka_unit_test(timeline_clips_segments_to_the_window),
        cmocka_unit_test(timeline_window_past_the_end_is_empty),
        cmocka_unit_test(timeline_rejects_missing_arguments),
        cmocka_unit_test(markers_mark_drop_requests_and_forced_switches),
        cmocka_unit_test(markers_are_clipped_to_the_window),
        cmocka_unit_test(mixed_pixels_take_the_state_that_filled_most_of_them),
        cmocka_unit_test(markers_closer_than_a_pixel_are_thinned),
        cmocka_unit_test(lanes_name_every_thread),
        cmocka_unit_test(comparison_data_has_a_line_per_run),
        cmocka_unit_test(million_event_trace_gives_at_most_a_box_per_pixel),
        cmocka_unit_test(timeline_renders_png_of_the_documented_size_and_svg),
        cmocka_unit_test(timeline_of_a_million_events_renders),
        cmocka_unit_test(comparison_renders_png_and_svg),
        cmocka_unit_test(missing_template_fails_cleanly_and_names_it),
        cmocka_unit_test(missing_gnuplot_fails_cleanly_and_says_so),
        cmocka_unit_test(a_stuck_gnuplot_is_killed_at_the_deadline),
        cmocka_unit_test(comparison_rejects_no_runs),
        cmocka_unit_test(state_bins_count_threads_per_state_over_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
