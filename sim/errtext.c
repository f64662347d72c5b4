/*
 * errtext.c - the text of an error number, for the one-line messages of
 * sim/: strerror_r (the XSI one, thread-safe; _POSIX_C_SOURCE gives it),
 * or "error N" when it has no text for the number.
 */
#include <string.h>

#include "sim_internal.h"

void
sim_errtext(int err, char *buf, size_t len)
{
    if (strerror_r(err, buf, len) != 0) {
        (void)snprintf(buf, len, "error %d", err);
    }
}
