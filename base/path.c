/*
 * path.c - find a program the way a shell would: the first regular,
 * executable file of that name in the folders of $PATH (the current
 * folder for an empty entry), /usr/local/bin:/usr/bin:/bin when PATH is
 * unset. For `gilsim calibrate --python=NAME` and `gilsim record`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"

static int
is_exec_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

int
base_search_path(const char *name, char *out, size_t len)
{
    /* Read once, before any thread of gilsim starts. */
    const char *path = getenv("PATH"); // NOLINT(concurrency-mt-unsafe)
    const char *p;

    if (path == NULL || path[0] == '\0') {
        path = "/usr/local/bin:/usr/bin:/bin";
    }
    for (p = path;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon != NULL ? (size_t)(colon - p) : strlen(p);
        int w;

        if (n == 0) {
            w = snprintf(out, len, "./%s", name);
        } else {
            w = snprintf(out, len, "%.*s/%s", (int)n, p, name);
        }
        if (w > 0 && (size_t)w < len && is_exec_file(out)) {
            return 0;
        }
        if (colon == NULL) {
            break;
        }
        p = colon + 1;
    }
    out[0] = '\0';
    return -ENOENT;
}
