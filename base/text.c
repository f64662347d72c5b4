/*
 * text.c - words written for people and for sh: a duration in its
 * largest exact unit, and a string as one sh word.
 *
 * A sweep plan writes both: the switch interval in a job's id and in its
 * --switch-interval flag, and each argument of jobs.txt and the
 * launchers, which sh reads back. One writer of each keeps them the same.
 */
#include <errno.h>
#include <string.h>

#include "base.h"

/* The characters sh takes as they are in a word. */
#define SHELL_SAFE                                                             \
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"           \
    "-_=.,/:+@%"

void
base_duration_text(int64_t ns, char *buf, size_t len)
{
    if (ns % 1000000000 == 0) {
        (void)snprintf(buf, len, "%llds", (long long)(ns / 1000000000));
    } else if (ns % 1000000 == 0) {
        (void)snprintf(buf, len, "%lldms", (long long)(ns / 1000000));
    } else if (ns % 1000 == 0) {
        (void)snprintf(buf, len, "%lldus", (long long)(ns / 1000));
    } else {
        (void)snprintf(buf, len, "%lldns", (long long)ns);
    }
}

int
base_shell_word(char *buf, size_t len, const char *s)
{
    size_t k = 0, n = strlen(s);
    int quote = n == 0 || strspn(s, SHELL_SAFE) != n;

    if (len == 0) {
        return -E2BIG;
    }
    if (quote) {
        buf[k++] = '\'';
    }
    for (; *s != '\0'; s++) {
        if (k + 6 >= len) {
            buf[0] = '\0';
            return -E2BIG;
        }
        if (*s == '\'') {
            memcpy(buf + k, "'\\''", 4);
            k += 4;
        } else {
            buf[k++] = *s;
        }
    }
    if (k + 2 >= len) {
        buf[0] = '\0';
        return -E2BIG;
    }
    if (quote) {
        buf[k++] = '\'';
    }
    buf[k] = '\0';
    return (int)k;
}
