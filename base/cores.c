/*
 * cores.c - how many cores this process may use: the online cores, less
 * those its CPU affinity leaves out (taskset, a cpuset, Slurm's binding),
 * less those a cgroup's CPU quota does not pay for (docker --cpus,
 * Kubernetes limits, systemd's CPUQuota). A container on a 64-core host
 * limited to 2 CPUs gets 2, not 64.
 *
 * The quota: each line of /proc/self/cgroup names the process's cgroup in
 * a hierarchy; for cgroup v2 ("0::/path") the limit is cpu.max ("QUOTA
 * PERIOD" or "max PERIOD") under /sys/fs/cgroup, for v1 ("N:...cpu...:
 * /path") cpu.cfs_quota_us over cpu.cfs_period_us under the cpu
 * controller's mount. A limit of a parent cgroup binds its children, so
 * every level from the process's own up to the root is read and the
 * tightest taken; a level that is not there (inside a container, the path
 * is the host's and the mount shows only the container's part) is
 * skipped. The quota's cores are rounded up: 1.5 CPUs keep two threads
 * busy part of the time. The count is worked out once a process: every
 * parse of the options asks for it (a plan parses each cell's command
 * again), and the cgroup files are a dozen opens.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

/* QUOTA over PERIOD in whole cores, rounded up; 0 for no limit or text
 * that is not a limit. */
static int
quota_cores(long long quota, long long period)
{
    long long n;

    if (quota <= 0 || period <= 0) {
        return 0;
    }
    n = (quota + period - 1) / period;
    return n > 1000000 ? 1000000 : (int)n;
}

/* The limit of one v2 cgroup folder: its cpu.max. */
static int
v2_limit(const char *dir)
{
    char path[4096];
    char word[32];
    long long period = 0;
    FILE *f;
    int n = 0;

    if (snprintf(path, sizeof(path), "%s/cpu.max", dir) >= (int)sizeof(path)) {
        return 0;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%31s %lld", word, &period) == 2 &&
        strcmp(word, "max") != 0) {
        n = quota_cores(strtoll(word, NULL, 10), period);
    }
    (void)fclose(f);
    return n;
}

static long long
read_number(const char *dir, const char *name)
{
    char path[4096];
    long long v = 0;
    FILE *f;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
        return 0;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    if (fscanf(f, "%lld", &v) != 1) {
        v = 0;
    }
    (void)fclose(f);
    return v;
}

/* The limit of one v1 cgroup folder of the cpu controller. */
static int
v1_limit(const char *dir)
{
    return quota_cores(read_number(dir, "cpu.cfs_quota_us"),
                       read_number(dir, "cpu.cfs_period_us"));
}

/* The tightest limit from mount/rel up to mount itself (0: none). */
static int
walk_up(const char *mount, const char *rel, int (*limit)(const char *))
{
    char dir[4096];
    int best = 0;

    if (snprintf(dir, sizeof(dir), "%s%s%s", mount, rel[0] == '/' ? "" : "/",
                 rel) >= (int)sizeof(dir)) {
        return 0;
    }
    for (;;) {
        char *slash;
        int n = limit(dir);

        if (n > 0 && (best == 0 || n < best)) {
            best = n;
        }
        slash = strrchr(dir, '/');
        if (slash == NULL || (size_t)(slash - dir) < strlen(mount)) {
            break;
        }
        *slash = '\0';
    }
    return best;
}

/* Whether a v1 line's controller list ("cpu,cpuacct") names cpu. */
static int
names_cpu(const char *list, size_t len)
{
    while (len > 0) {
        size_t w = 0;

        while (w < len && list[w] != ',') {
            w++;
        }
        if (w == 3 && memcmp(list, "cpu", 3) == 0) {
            return 1;
        }
        list += w < len ? w + 1 : w;
        len -= w < len ? w + 1 : w;
    }
    return 0;
}

int
base_cgroup_cpu_limit(const char *sys_root, const char *proc_cgroup)
{
    char line[4096];
    FILE *f = fopen(proc_cgroup, "r");
    int best = 0;

    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        char mount[4096];
        int n = 0;

        if (c2 == NULL) {
            continue;
        }
        c2[1 + strcspn(c2 + 1, "\n")] = '\0';
        if (c2 == c1 + 1) { /* v2: "0::/path" */
            n = walk_up(sys_root, c2 + 1, v2_limit);
        } else if (names_cpu(c1 + 1, (size_t)(c2 - c1 - 1))) {
            /* v1: the controller's mount is named by its list */
            if (snprintf(mount, sizeof(mount), "%s/%.*s", sys_root,
                         (int)(c2 - c1 - 1), c1 + 1) < (int)sizeof(mount)) {
                n = walk_up(mount, c2 + 1, v1_limit);
            }
            if (n == 0 && snprintf(mount, sizeof(mount), "%s/cpu", sys_root) <
                              (int)sizeof(mount)) {
                n = walk_up(mount, c2 + 1, v1_limit);
            }
        }
        if (n > 0 && (best == 0 || n < best)) {
            best = n;
        }
    }
    (void)fclose(f);
    return best;
}

int
base_usable_cores(void)
{
    /* 0 until worked out; two threads that both work it out store the
     * same number. */
    static atomic_int known;
    int n = atomic_load(&known);
    cpu_set_t set;
    int quota;

    if (n > 0) {
        return n;
    }
    n = base_host_cores();
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int a = CPU_COUNT(&set);

        if (a > 0 && a < n) {
            n = a;
        }
    }
    quota = base_cgroup_cpu_limit("/sys/fs/cgroup", "/proc/self/cgroup");
    if (quota > 0 && quota < n) {
        n = quota;
    }
    atomic_store(&known, n);
    return n;
}
