/* errtext.c - the text of an error number for one-line messages:
 * gilsim's own (BASE_ENOTREG, BASE_ETOOBIG), strerror_r (the XSI one,
 * thread-safe; _POSIX_C_SOURCE gives it), or "error N" when there is no
 * text for the number. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base.h"

void
base_errtext(int err, char *buf, size_t len)
{
    if (err == BASE_ENOTREG) {
        (void)snprintf(buf, len, "not a regular file");
        return;
    }
    if (err == BASE_ETOOBIG) {
        (void)snprintf(buf, len, "larger than gilsim reads for this file");
        return;
    }
    if (strerror_r(err, buf, len) != 0) {
        (void)snprintf(buf, len, "error %d", err);
    }
}

void
base_errf(char *buf, size_t len, int err, const char *fmt, ...)
{
    char etext[128];
    va_list ap;
    int n;

    if (len == 0) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf[0] = '\0';
        n = 0;
    }
    if ((size_t)n >= len) {
        return; /* no room left for the reason */
    }
    base_errtext(err < 0 ? -err : err, etext, sizeof(etext));
    (void)snprintf(buf + n, len - (size_t)n, ": %s", etext);
}
