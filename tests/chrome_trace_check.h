/*
 * chrome_trace_check.h - a strict checker of the Chrome Trace Event files
 * gilsim writes (MODEL/trace.json), for the tests: what Perfetto and
 * chrome://tracing need, checked harder than they check it. cmocka
 * assertions inside, so call it from the test's own thread only.
 */
#ifndef GILSIM_TESTS_CHROME_TRACE_CHECK_H
#define GILSIM_TESTS_CHROME_TRACE_CHECK_H

#include <stddef.h>

/* What a checked file held. */
struct chrome_trace_counts {
    size_t events;   /* every event, metadata included */
    size_t spans;    /* "X" events */
    size_t tracks;   /* (pid, tid) pairs, named or with events */
    double last_us;  /* the latest end (ts + dur) of any event */
    size_t flows;    /* "s"/"f" pairs */
    size_t counters; /* "C" events */
};

/*
 * Check the file at `path` and fail the test with the event's index and
 * what is wrong if any of these does not hold: the file is one JSON object
 * whose "traceEvents" is a non-empty array; every event has a known "ph",
 * integer "pid" and "tid" >= 0 and a non-empty "name"; every event but
 * metadata has a finite "ts" >= 0, and every "X" a finite "dur" >= 0;
 * metadata names a process or thread with a string "args.name"; every
 * track has a thread_name and every process a process_name; on each
 * track, "X" spans nest (one ends before the next starts, or holds it
 * whole). A counter ("C") has "pid", "ts" >= 0 and an "args" object of
 * finite numbers, and no "tid". A flow start ("s") and end ("f", with
 * "bp":"e") have an integer "id" and a "cat"; each id has exactly one
 * start and one end, of the same cat and name, the end not before the
 * start, and each lies inside an "X" span of its track (where Perfetto
 * binds it). `out` may be NULL.
 */
void chrome_trace_check(const char *path, struct chrome_trace_counts *out);

#endif /* GILSIM_TESTS_CHROME_TRACE_CHECK_H */
