/*
 * test_files.c - file helpers shared by the test programs (see
 * test_files.h). Linked into every test by tests/CMakeLists.txt.
 */
#include <dirent.h>
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

#include "test_files.h"

char *
tf_make_dir(const char *name)
{
    char path[256];
    char *d;

    (void)snprintf(path, sizeof(path), "/tmp/%s-XXXXXX", name);
    d = strdup(path);
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

char *
tf_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL) {
        return NULL;
    }
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    (void)fclose(f);
    if (len != NULL) {
        *len = (size_t)n;
    }
    return buf;
}

void
tf_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

char *
tf_read(const char *path, size_t *len)
{
    size_t n = 0;
    char *buf = tf_slurp(path, &n);

    assert_non_null(buf);
    assert_true(n > 0);
    if (len != NULL) {
        *len = n;
    }
    return buf;
}

static void
remove_all(const char *path)
{
    struct stat st;
    struct dirent *de;
    DIR *d;

    if (lstat(path, &st) != 0) {
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        (void)unlink(path);
        return;
    }
    d = opendir(path);
    if (d != NULL) {
        /* Only this thread uses the DIR, so readdir is safe. */
        while ((de = readdir(d)) != NULL) { // NOLINT(concurrency-mt-unsafe)
            char child[4200];

            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
                continue;
            }
            (void)snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
            remove_all(child);
        }
        (void)closedir(d);
    }
    (void)rmdir(path);
}

void
tf_remove_tree(const char *path)
{
    struct stat st;

    remove_all(path);
    assert_int_not_equal(lstat(path, &st), 0);
}
