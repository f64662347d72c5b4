/*
 * fuzz_input.c - the input as a string or as an anonymous file
 * (memfd_create: nothing touches the disk, and the harness closes it).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_input.h"

char *
fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s != NULL) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

int
fuzz_file(const uint8_t *data, size_t size, char *path, size_t len)
{
    int fd = memfd_create("gilsim-fuzz", MFD_CLOEXEC);
    size_t off = 0;

    if (fd < 0) {
        return -1;
    }
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);

        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    (void)snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}
