/* base.h - the small base layer every module of gilsim may use.
 *
 * What used to be copied from file to file: the monotonic clock, the
 * splitmix64 stream that every seeded draw comes from, sorting int64
 * samples, the text of an error number, and writing a file so that no
 * reader sees half of it. base/ depends on libc only
 * and includes nothing of gilsim's; gil/ keeps to pthreads and does not
 * use it. Everything here is thread-safe and allocates nothing.
 */
#ifndef GILSIM_BASE_H
#define GILSIM_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BASE_WARN_UNUSED __attribute__((warn_unused_result))

/* CLOCK_MONOTONIC in nanoseconds: comparable across the threads and the
 * processes of one machine, which is what traces need. */
int64_t base_now_ns(void);

/* splitmix64 (Steele, Lea and Flood 2014): advance *state by the golden
 * gamma and return the mixed value, one step of the stream. */
uint64_t base_splitmix64(uint64_t *state);
/* The same mix as a pure function of x: base_mix64(x) is the value
 * base_splitmix64 returns for a state of x before the step. */
uint64_t base_mix64(uint64_t x);

/* Sort v[0..n) in ascending order. */
void base_sort_i64(int64_t *v, size_t n);

/* The mean of v[0..n) and its sample standard deviation (n - 1 in the
 * denominator; 0 when n < 2). Both 0 when n is 0. */
void base_mean_sd_i64(const int64_t *v, size_t n, double *mean, double *sd);

/* The text of error number `err` (positive) into buf: strerror_r, or
 * "error N" when the C library has none. */
void base_errtext(int err, char *buf, size_t len);
/* One error sentence into buf: the printf-style message, ": ", and the
 * text of error number `err` (positive or negative). */
void base_errf(char *buf, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Write dir/name through dir/name.tmp.PID: fn(ctx, f) writes the
 * contents (0, or -errno), then the file is flushed, fsync'd and renamed
 * into place. 0, or -errno with `err` saying which file could not be
 * written and why; the temporary file is removed on failure. */
int base_write_atomic(const char *dir, const char *name,
                      int (*fn)(const void *ctx, FILE *f), const void *ctx,
                      char *err, size_t errlen) BASE_WARN_UNUSED;
/* fsync a directory, so that the renames in it are durable. */
void base_sync_dir(const char *dir);
/* Read a whole regular file of at most `max` bytes into a malloc'd,
 * NUL-terminated buffer; *len excludes the NUL. 0 or -errno:
 * -BASE_ENOTREG for a device, FIFO or folder (never blocks on one),
 * -BASE_ETOOBIG past max. */
int base_read_file(const char *path, size_t max, char **out,
                   size_t *len) BASE_WARN_UNUSED;
/* gilsim's own error numbers, above errno's, that base_errtext names. */
#define BASE_ENOTREG 4097 /* not a regular file */
#define BASE_ETOOBIG 4098 /* larger than its reader takes */
/* What readers take, by purpose: a calibration or a sweep's settings;
 * a summary.json, a workload file, a picture. */
#define BASE_MAX_SMALL ((size_t)1 << 20)
#define BASE_MAX_LARGE ((size_t)64 << 20)
/* fopen(path, "r") of a regular file only (opened without blocking, so a
 * FIFO cannot hang it); NULL with errno set (BASE_ENOTREG for a device,
 * FIFO or folder). */
FILE *base_fopen_regular(const char *path);
/* rm -r path: every file and folder under it, links removed and never
 * followed; what cannot be removed stays. */
void base_remove_tree(const char *path);
/* The folder of the running executable (/proc/self/exe), or "" if it is
 * unknown: where an installed gilsim finds its share/ files. */
void base_exe_dir(char *buf, size_t len);
/* The first executable file `name` in $PATH, into out (path.c). 0, or
 * -ENOENT with out "". */
int base_search_path(const char *name, char *out, size_t len);
/* This machine (host.c): its name (gethostname, "unknown" if none), its
 * online cores (at least 1) and its CPU model ("model name" of
 * /proc/cpuinfo, "unknown" if none). */
void base_host_name(char *buf, size_t len);
int base_host_cores(void);
/* The cores this process may use (cores.c): the online ones, less those
 * its CPU affinity leaves out and those a cgroup's CPU quota does not pay
 * for (rounded up); at least 1. base_cgroup_cpu_limit: that quota alone,
 * read from proc_cgroup (/proc/self/cgroup) and the hierarchies under
 * sys_root (/sys/fs/cgroup), in whole cores; 0 when there is none. */
int base_usable_cores(void);
int base_cgroup_cpu_limit(const char *sys_root, const char *proc_cgroup);
void base_cpu_model(char *buf, size_t len);
/* Words (text.c). A duration in its largest exact unit: 5ms, 500us,
 * 1s, 1234ns. s as one word for sh, into buf: as it is when every
 * character is one sh takes bare, else in single quotes (a ' as '\'');
 * its length, or -E2BIG with buf "" when it does not fit. */
void base_duration_text(int64_t ns, char *buf, size_t len);
int base_shell_word(char *buf, size_t len, const char *s) BASE_WARN_UNUSED;

#endif /* GILSIM_BASE_H */
