/*
 * test_files.h - the file helpers every test program shares: a temporary
 * folder, a file written, a whole file read back, a folder tree removed. cmocka
 * assertions inside, so call these from the test's own thread only.
 */
#ifndef GILSIM_TESTS_TEST_FILES_H
#define GILSIM_TESTS_TEST_FILES_H

#include <stddef.h>

/* A new folder /tmp/NAME-XXXXXX (mkdtemp), asserted; free() the name. */
char *tf_make_dir(const char *name);
/* Write `text` to path (created or truncated), asserted. */
void tf_write(const char *path, const char *text);
/* The whole file, malloc'd and NUL-terminated, its length in *len (if len
 * is not NULL); NULL if it cannot be opened. */
char *tf_slurp(const char *path, size_t *len);
/* The same for a file that must exist and must not be empty. */
char *tf_read(const char *path, size_t *len);
/* Remove a file or a folder and everything in it (no shell), and assert
 * that it is gone. A path that does not exist is fine. */
void tf_remove_tree(const char *path);

#endif /* GILSIM_TESTS_TEST_FILES_H */
