/*
 * starter.c - gilsim workload new FILE: a commented starter workload file
 * to edit, written through a temporary file and a rename, never over a
 * file that exists. It uses every common step kind, a lock, a constant
 * and each distribution; a test reads it back as a workload.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base.h"
#include "wfile.h"

/* A starter file: the common step kinds, a lock, a repeat, a constant and
 * each distribution, with comments that say what each part is. It reads
 * (a test checks). */
static const char starter[] =
    "{\n"
    "  \"format\": \"gilsim-workload\", \"version\": 1,\n"
    "  \"comment\": [\n"
    "    \"A gilsim workload file (docs/workloads.md). Run it with\",\n"
    "    \"gilsim run --workload=THIS_FILE; see a task with gilsim "
    "workload\",\n"
    "    \"check THIS_FILE. Keys called comment are for you; any other\",\n"
    "    \"unknown key is refused, so a typo is never a silent default.\"],\n"
    "  \"name\": \"my-service\",\n"
    "  \"tasks\": 100,\n"
    "  \"kinds\": [\n"
    "    {\"name\": \"request\", \"weight\": 4,\n"
    "     \"comment\": [\"Each task is one kind, drawn by weight (4 of 5 "
    "here).\",\n"
    "                 \"Steps run in order: fetch a page of the run's "
    "server\",\n"
    "                 \"(or --url) with the GIL released, decode it as text "
    "at\",\n"
    "                 \"the client's cost per byte, parse it in Python (a\",\n"
    "                 \"log-normal time, p50 and p99), update a cache under "
    "a\",\n"
    "                 \"shared threading.Lock, write the page out.\"],\n"
    "     \"steps\": [{\"fetch\": {}},\n"
    "               {\"decode\": {}},\n"
    "               {\"cpu\": {\"us\": {\"lognormal\": {\"p50\": 400, \"p99\": "
    "3000}}}},\n"
    "               {\"lock\": {\"name\": \"cache\",\n"
    "                         \"steps\": [{\"cpu\": {\"us\": 50}}]}},\n"
    "               {\"write\": {}}]},\n"
    "    {\"name\": \"report\", \"weight\": 1,\n"
    "     \"comment\": [\"Python work given in ms (uniform between two\",\n"
    "                 \"values), or in instructions of --instr-ns; native "
    "is\",\n"
    "                 \"C code that releases the GIL (zlib, hashlib) but "
    "keeps\",\n"
    "                 \"a core busy; a sleep releases the GIL. Values: a "
    "number,\",\n"
    "                 \"or uniform, exponential (mean), lognormal (p50, "
    "p99)\",\n"
    "                 \"or samples (a list). repeat runs its steps N "
    "times.\"],\n"
    "     \"steps\": [{\"cpu\": {\"ms\": {\"uniform\": [2, 8]}}},\n"
    "               {\"repeat\": {\"times\": 3,\n"
    "                           \"steps\": [{\"native\": {\"ms\": 1}},\n"
    "                                     {\"cpu\": {\"instructions\": "
    "50000}}]}},\n"
    "               {\"sleep\": {\"ms\": {\"exponential\": 5}}}]}]}\n";

static int
put_starter(const void *ctx, FILE *f)
{
    (void)ctx;
    return fputs(starter, f) >= 0 ? 0 : -EIO;
}

int
sim_workload_file_new(const char *path, char *err, size_t errlen)
{
    char dir[4096], name[1024];
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (lstat(path, &st) == 0) {
        (void)snprintf(err, errlen,
                       "%.900s: already there (expected a new file's name)",
                       path);
        return -EEXIST;
    }
    if (slash == NULL) {
        (void)snprintf(dir, sizeof(dir), ".");
        (void)snprintf(name, sizeof(name), "%.1000s", path);
    } else {
        (void)snprintf(dir, sizeof(dir), "%.*s",
                       slash == path ? 1 : (int)(slash - path), path);
        (void)snprintf(name, sizeof(name), "%.1000s", slash + 1);
    }
    if (name[0] == '\0') {
        (void)snprintf(err, errlen, "%.900s: a folder (expected a file name)",
                       path);
        return -EISDIR;
    }
    return base_write_atomic(dir, name, put_starter, NULL, err, errlen);
}
