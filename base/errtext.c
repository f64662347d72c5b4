/* errtext.c - the text of an error number for one-line messages:
 * strerror_r (the XSI one, thread-safe; _POSIX_C_SOURCE gives it), or
 * "error N" when there is no text for the number. */
#include <stdio.h>
#include <string.h>

#include "base.h"

void
base_errtext(int err, char *buf, size_t len)
{
    if (strerror_r(err, buf, len) != 0) {
        (void)snprintf(buf, len, "error %d", err);
    }
}
