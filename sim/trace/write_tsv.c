/*
 * write_tsv.c - writes a trace as tab-separated values, one event a line,
 * for gnuplot and pandas.
 *
 * The header row names the columns:
 *
 *     t_ns thread process gil thread_name event detail outcome task arg
 *
 * Then come the events of all threads in time order, through the merge of
 * trace_internal.h, so events stamped at the same nanosecond appear by
 * thread index and each thread's own order is kept. t_ns is relative to the
 * trace's origin. detail is the drop reason's name on GIL_DROP, the step
 * kind's name on STEP_BEGIN and STEP_END, and "-" otherwise; outcome is
 * the outcome's name on STEP_END and TASK_END, and "-" otherwise. Thread
 * names have tabs, newlines and other control characters replaced by
 * spaces, so every line has exactly ten fields.
 */
#include "trace.h"

#include <errno.h>

#include "trace_internal.h"

void
sim_trace__clean_name(char *dst, size_t dstlen, const char *src)
{
    size_t i;

    if (dstlen == 0) {
        return;
    }
    for (i = 0; i + 1 < dstlen && src[i] != '\0'; i++) {
        unsigned char c = (unsigned char)src[i];

        if (c < 0x20 || c == 0x7f) {
            dst[i] = ' ';
        } else {
            dst[i] = src[i];
        }
    }
    dst[i] = '\0';
}

static const char *
detail_name(const struct sim_trace_event *e)
{
    switch (e->kind) {
    case SIM_EV_GIL_DROP:
        return sim_trace_drop_name((enum sim_drop)e->detail);
    case SIM_EV_STEP_BEGIN:
    case SIM_EV_STEP_END:
        return sim_trace_step_name((enum sim_step)e->detail);
    default:
        return "-";
    }
}

static const char *
outcome_name(const struct sim_trace_event *e)
{
    if (e->kind == SIM_EV_STEP_END || e->kind == SIM_EV_TASK_END) {
        return sim_trace_outcome_name((enum sim_outcome)e->outcome);
    }
    return "-";
}

int
sim_trace_write_tsv(const struct sim_trace *t, FILE *f)
{
    struct sim_trace__merge m;
    const struct sim_trace_event *e;
    int64_t origin;
    size_t th;
    int rc;

    if (t == NULL || f == NULL) {
        return -EINVAL;
    }
    origin = sim_trace_origin_ns(t);
    rc = sim_trace__merge_init(&m, t, SIM_TRACE__ALL_KINDS, 0);
    if (rc != 0) {
        return rc;
    }
    fputs("t_ns\tthread\tprocess\tgil\tthread_name\tevent\tdetail\toutcome"
          "\ttask\targ\n",
          f);
    while (sim_trace__merge_next(&m, &th, &e)) {
        const struct sim_trace_buf *b = sim_trace_thread(t, th);
        char name[sizeof(b->name)];

        sim_trace__clean_name(name, sizeof(name), b->name);
        fprintf(f, "%lld\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t%lld\n",
                (long long)(e->t_ns - origin), (int)b->id, (int)b->process,
                (int)b->gil, name, sim_trace_ev_name((enum sim_ev)e->kind),
                detail_name(e), outcome_name(e), (int)e->task,
                (long long)e->arg);
    }
    sim_trace__merge_free(&m);
    return ferror(f) ? -EIO : 0;
}
