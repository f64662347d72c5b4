/*
 * builtin.c - where the built-in workloads' files are: --workload=seed,
 * cpu and convoy name workload files shipped with gilsim, read through
 * the same code as a user's file (build.c).
 *
 * Looked up in $GILSIM_WORKLOADS_DIR if it is set (and only there), else
 * beside an installed binary (BINDIR/../share/gilsim/workloads), else in
 * the source tree's workloads/builtin, as the plot templates are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "wfile.h"

#ifndef GILSIM_SOURCE_WORKLOADS_DIR
#define GILSIM_SOURCE_WORKLOADS_DIR "workloads/builtin"
#endif

static int
readable(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, R_OK) == 0;
}

int
sim_workload_builtin_path(const char *name, char *path, size_t len, char *err,
                          size_t errlen)
{
    /* Read before any thread starts (the run has not begun). */
    const char *env = getenv("GILSIM_WORKLOADS_DIR"); // NOLINT
    char exe[4096];
    int w;

    if (env != NULL && env[0] != '\0') {
        w = snprintf(path, len, "%s/%s.json", env, name);
        if (w >= 0 && (size_t)w < len && readable(path)) {
            return 0;
        }
        (void)snprintf(err, errlen,
                       "the built-in workload %s: no %s.json in "
                       "$GILSIM_WORKLOADS_DIR (%.900s)",
                       name, name, env);
        return -ENOENT;
    }
    base_exe_dir(exe, sizeof(exe));
    if (exe[0] != '\0') {
        w = snprintf(path, len, "%s/../share/gilsim/workloads/%s.json", exe,
                     name);
        if (w >= 0 && (size_t)w < len && readable(path)) {
            return 0;
        }
    }
    w = snprintf(path, len, "%s/%s.json", GILSIM_SOURCE_WORKLOADS_DIR, name);
    if (w >= 0 && (size_t)w < len && readable(path)) {
        return 0;
    }
    (void)snprintf(err, errlen,
                   "the built-in workload %s: %s.json is neither in "
                   "%.900s/../share/gilsim/workloads nor in %s (set "
                   "GILSIM_WORKLOADS_DIR to the folder that holds it)",
                   name, name, exe, GILSIM_SOURCE_WORKLOADS_DIR);
    path[0] = '\0';
    return -ENOENT;
}
