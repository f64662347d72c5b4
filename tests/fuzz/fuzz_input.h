/*
 * fuzz_input.h - what the libFuzzer harnesses of tests/fuzz share: the
 * input as a NUL-terminated string, or as a file (a memfd's path) for
 * the readers that take a path.
 */
#ifndef GILSIM_FUZZ_INPUT_H
#define GILSIM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a malloc'd string (cut at its first NUL). */
char *fuzz_string(const uint8_t *data, size_t size);
/* data in an anonymous file: its path (/proc/self/fd/N) in path, the
 * descriptor returned (close it after), or -1. */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t len);

#endif
