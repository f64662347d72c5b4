/*
 * host.c - what machine this is: its name, its online cores and its CPU
 * model, for the sweep's recorded settings (sweep_config.c) and for each
 * run's summary.json, so that cells of a planned sweep that ran on other
 * machines say where they ran.
 *
 * The name is gethostname's; the cores sysconf(_SC_NPROCESSORS_ONLN); the
 * CPU model the first "model name" line of /proc/cpuinfo (x86 and most
 * others), "unknown" where there is none.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base.h"

void
base_host_name(char *buf, size_t len)
{
    if (len == 0) {
        return;
    }
    if (gethostname(buf, len) != 0) {
        (void)snprintf(buf, len, "unknown");
    }
    buf[len - 1] = '\0';
}

int
base_host_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (int)n : 1;
}

void
base_cpu_model(char *buf, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];

    (void)snprintf(buf, len, "unknown");
    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');

            if (colon != NULL) {
                colon += strspn(colon + 1, " \t") + 1;
                colon[strcspn(colon, "\n")] = '\0';
                (void)snprintf(buf, len, "%s", colon);
            }
            break;
        }
    }
    (void)fclose(f);
}
