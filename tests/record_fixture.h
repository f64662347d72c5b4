/*
 * record_fixture.h - what the tests of gilsim record share: probe files
 * written from text (record_fixture.c), and the stamps they are written
 * with.
 */
#ifndef GILSIM_RECORD_FIXTURE_H
#define GILSIM_RECORD_FIXTURE_H

#include <stdint.h>

#define MS INT64_C(1000000)
#define US INT64_C(1000)

/* The format line and process 100's line, at 1 s. */
#define HEAD                                                                   \
    "gilsim-probe\t1\nP\t100\t1\t1000000000\t3.11.7\t/usr/bin/python3\n"

/* A wall stamp ms after the process's start, and a CPU stamp of ms. */
#define AT(ms)  ((long long)(1000000000 + (ms)*1000000.0))
#define CPU(ms) ((long long)((ms)*1000000.0))

/* A new folder with one probe file (probe-100.tsv) of this text; the
 * caller removes it (tf_remove_tree) and frees the name. */
char *raw_dir_with(const char *text);

struct rec;
struct sim_trace_summary;
/* rec_write_measured of r into out, for `python3 app` run by `command`,
 * without plots; it must succeed (a cmocka failure if not). */
void write_measured(const char *out, struct rec *r, const char *app,
                    const char *command, struct sim_trace_summary *s);

struct sim_trace;
/* The measured trace of a recording's run folder (folder/measured/
 * trace.tsv), read back; it must read. */
struct sim_trace *measured_trace(const char *folder);

#endif /* GILSIM_RECORD_FIXTURE_H */
