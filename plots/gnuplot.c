/*
 * gnuplot.c - the gnuplot runner of plots/: find a template (the .gp files
 * of plots/), write the data that plot.c produces to temporary files beside
 * the output, run gnuplot on them once per picture format, and put the
 * pictures in place (plot__render). The pictures themselves are charts.c's.
 *
 * gnuplot is started with posix_spawnp, never through a shell: every
 * variable the template reads is one `-e NAME='VALUE'` argument, where a
 * string value is single-quoted with its single quotes doubled (gnuplot's
 * own escape inside '...', where a backslash means nothing) and control
 * characters replaced by spaces, so neither a title nor a path can end the
 * assignment or start another command. gnuplot's stdin and stdout are
 * /dev/null; its stderr comes back through a pipe, is ignored when it
 * succeeds (it warns about empty data files, which an empty window gives)
 * and quoted in the error line when it fails.
 *
 * Both formats are made as NAME.png.tmp.PID and NAME.svg.tmp.PID and
 * renamed only when both exist and are not empty, so a reader sees both
 * pictures or neither; the data files are removed in every case. The
 * template is looked up before anything is created, so a missing template
 * leaves nothing behind.
 */
#include "plot.h"
#include "plot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

extern char **environ; /* for posix_spawnp: gnuplot gets our environment */

#ifndef GILSIM_SOURCE_PLOTS_DIR
#define GILSIM_SOURCE_PLOTS_DIR "plots"
#endif

static int
readable_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, R_OK) == 0;
}

int
plot_find_template(const char *name, const char *gp_dir, char *path, size_t len,
                   char *err, size_t errlen)
{
    const char *env;
    char exe[PATH_LEN];
    char installed[PATH_LEN];
    int w;

    if (name == NULL || path == NULL || len == 0) {
        (void)snprintf(err, errlen, "no template name");
        return -EINVAL;
    }
    /* Only this thread reads the environment while plots are made. */
    env = getenv("GILSIM_PLOTS_DIR"); // NOLINT(concurrency-mt-unsafe)
    if (gp_dir == NULL || gp_dir[0] == '\0') {
        gp_dir = env != NULL && env[0] != '\0' ? env : NULL;
    } else {
        env = NULL;
    }
    if (gp_dir != NULL) {
        w = snprintf(path, len, "%s/%s", gp_dir, name);
        if (w >= 0 && (size_t)w < len && readable_file(path)) {
            return 0;
        }
        (void)snprintf(err, errlen,
                       "gnuplot template %s not found in %s%.600s%s", name,
                       env != NULL ? "$GILSIM_PLOTS_DIR (" : "", gp_dir,
                       env != NULL ? ")" : "");
        return -ENOENT;
    }
    base_exe_dir(exe, sizeof(exe));
    installed[0] = '\0';
    if (exe[0] != '\0') {
        (void)snprintf(installed, sizeof(installed),
                       "%.4000s/../share/gilsim/plots", exe);
        w = snprintf(path, len, "%s/%s", installed, name);
        if (w >= 0 && (size_t)w < len && readable_file(path)) {
            return 0;
        }
    }
    w = snprintf(path, len, "%s/%s", GILSIM_SOURCE_PLOTS_DIR, name);
    if (w >= 0 && (size_t)w < len && readable_file(path)) {
        return 0;
    }
    (void)snprintf(err, errlen,
                   "gnuplot template %s not found in %.500s%s%.500s (set "
                   "GILSIM_PLOTS_DIR to the folder that holds it)",
                   name, installed, installed[0] != '\0' ? " or " : "",
                   GILSIM_SOURCE_PLOTS_DIR);
    path[0] = '\0';
    return -ENOENT;
}

/* "name='value'" (string) or "name=value" (number), malloc'd. */
static char *
assignment(const struct gp_var *v)
{
    size_t n = strlen(v->name) + 4;
    const char *p;
    char *s, *q;

    for (p = v->value; *p != '\0'; p++) {
        n += *p == '\'' ? 2 : 1;
    }
    s = malloc(n);
    if (s == NULL) {
        return NULL;
    }
    q = s;
    memcpy(q, v->name, strlen(v->name));
    q += strlen(v->name);
    *q++ = '=';
    if (v->quoted) {
        *q++ = '\'';
    }
    for (p = v->value; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '\'' && v->quoted) {
            *q++ = '\'';
        }
        *q++ = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    if (v->quoted) {
        *q++ = '\'';
    }
    *q = '\0';
    return s;
}

/* From gnuplot's stderr, the line that says what went wrong: the last one
 * naming a script line that is not a warning, else the last non-empty
 * line that is not a warning, else the last non-empty one. */
static void
pick_error_line(const char *text, char *out, size_t len)
{
    const char *best = NULL, *nonwarn = NULL, *any = NULL;
    size_t best_n = 0, nonwarn_n = 0, any_n = 0;
    const char *p = text;

    while (*p != '\0') {
        const char *end = strchr(p, '\n');
        const char *b = p;
        size_t n;

        if (end == NULL) {
            end = p + strlen(p);
        }
        while (b < end && (*b == ' ' || *b == '\t' || *b == '\r')) {
            b++;
        }
        n = (size_t)(end - b);
        while (n > 0 && (b[n - 1] == ' ' || b[n - 1] == '\r')) {
            n--;
        }
        if (n > 0 && !(n == 1 && b[0] == '^')) {
            char line[512];
            int warn;

            (void)snprintf(line, sizeof(line), "%.*s", (int)n, b);
            warn = strstr(line, "warning:") != NULL;
            any = b;
            any_n = n;
            if (!warn) {
                nonwarn = b;
                nonwarn_n = n;
                if (strstr(line, " line ") != NULL) {
                    best = b;
                    best_n = n;
                }
            }
        }
        p = *end == '\0' ? end : end + 1;
    }
    if (best == NULL) {
        best = nonwarn != NULL ? nonwarn : any;
        best_n = nonwarn != NULL ? nonwarn_n : any_n;
    }
    if (best == NULL) {
        (void)snprintf(out, len, "no message");
        return;
    }
    (void)snprintf(out, len, "%.*s%s",
                   (int)(best_n > ERR_QUOTE ? ERR_QUOTE : best_n), best,
                   best_n > ERR_QUOTE ? "..." : "");
}

/* How long one gnuplot may take: GILSIM_GNUPLOT_TIMEOUT seconds (a whole
 * number, 1 to 3600), else 60 s. Read while no other thread reads the
 * environment. */
static int64_t
gnuplot_timeout_ns(void)
{
    const char *v = getenv("GILSIM_GNUPLOT_TIMEOUT"); // NOLINT
    char *end = NULL;
    long s = v != NULL ? strtol(v, &end, 10) : 0;

    if (v == NULL || end == v || *end != '\0' || s < 1 || s > 3600) {
        s = 60;
    }
    return (int64_t)s * 1000000000;
}

/* Start `argv` (gnuplot) with stdin and stdout on /dev/null and stderr
 * on a pipe, whose read end goes to *fd. 0, or -errno with err. */
static int
spawn_gnuplot(char **argv, pid_t *pid, int *fd, char *err, size_t errlen)
{
    posix_spawn_file_actions_t fa;
    int pfd[2];
    int rc;

    if (pipe(pfd) != 0) {
        rc = -errno;
        base_errf(err, errlen, -rc, "cannot make a pipe for gnuplot");
        return rc;
    }
    (void)fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) {
        (void)close(pfd[0]);
        (void)close(pfd[1]);
        (void)snprintf(err, errlen, "out of memory");
        return -rc;
    }
    if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) !=
            0 ||
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) !=
            0 ||
        posix_spawn_file_actions_adddup2(&fa, pfd[1], 2) != 0 ||
        posix_spawn_file_actions_addclose(&fa, pfd[1]) != 0) {
        rc = ENOMEM;
        (void)snprintf(err, errlen, "out of memory");
    } else {
        rc = posix_spawnp(pid, "gnuplot", &fa, NULL, argv, environ);
        if (rc == ENOENT) {
            (void)snprintf(err, errlen,
                           "gnuplot not found on PATH (install gnuplot, "
                           "e.g. the gnuplot-nox package)");
        } else if (rc != 0) {
            base_errf(err, errlen, rc, "cannot start gnuplot");
        }
    }
    (void)posix_spawn_file_actions_destroy(&fa);
    (void)close(pfd[1]);
    if (rc != 0) {
        (void)close(pfd[0]);
        return -rc;
    }
    *fd = pfd[0];
    return 0;
}

/* gnuplot's stderr from fd into msg (at most ERR_KEEP - 1 bytes kept,
 * NUL-terminated) until it closes; 1 if the deadline came first. */
static int
read_until_closed(int fd, int64_t deadline, char *msg)
{
    size_t used = 0;
    int timed_out = 0;

    for (;;) {
        char chunk[1024];
        struct pollfd pe = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - base_now_ns();
        ssize_t n;
        int pr;

        if (left <= 0) {
            timed_out = 1;
            break;
        }
        pr = poll(&pe, 1, (int)(left / 1000000 + 1));
        if (pr == 0) {
            timed_out = 1;
            break;
        }
        if (pr < 0) {
            continue; /* EINTR: the deadline is checked again */
        }
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (used < ERR_KEEP - 1) {
            size_t take = (size_t)n < ERR_KEEP - 1 - used ? (size_t)n
                                                          : ERR_KEEP - 1 - used;

            memcpy(msg + used, chunk, take);
            used += take;
        }
    }
    msg[used] = '\0';
    return timed_out;
}

/* Wait for pid's *status, never past the deadline (a gnuplot stopped
 * with SIGSTOP, or stuck, is killed; so is one already timed out). 0, or
 * -errno with err (-ETIMEDOUT: it was killed). */
static int
reap_gnuplot(pid_t pid, int64_t deadline, int timed_out,
             const char *template_name, int *status, char *err, size_t errlen)
{
    for (;;) {
        pid_t r = timed_out ? 0 : waitpid(pid, status, WNOHANG);

        if (r == pid) {
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            int rc = -errno;

            base_errf(err, errlen, -rc, "cannot wait for gnuplot");
            return rc;
        }
        if (timed_out || base_now_ns() >= deadline) {
            (void)kill(pid, SIGKILL);
            while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
            }
            (void)snprintf(err, errlen,
                           "gnuplot did not finish %s within %lld s and was "
                           "killed (GILSIM_GNUPLOT_TIMEOUT sets the limit)",
                           template_name,
                           (long long)(gnuplot_timeout_ns() / 1000000000));
            return -ETIMEDOUT;
        }
        {
            /* Its stderr is closed: it is ending. */
            struct timespec ts = {0, 5000000};

            (void)nanosleep(&ts, NULL);
        }
    }
}

/* Run `gnuplot -e ... template` and wait, at most gnuplot_timeout_ns().
 * 0, or -errno with err set (-ETIMEDOUT: it was killed). */
static int
run_gnuplot(const char *template_path, const char *template_name,
            const struct gp_var *vars, size_t nvars, char *err, size_t errlen)
{
    char *argv[2 + 2 * MAX_VARS + 2];
    char *assign[MAX_VARS];
    char *msg = NULL;
    int fd = -1;
    pid_t pid;
    int status = 0, timed_out;
    size_t i, k = 0;
    int rc = 0;
    int64_t deadline;

    memset(assign, 0, sizeof(assign));
    argv[k++] = "gnuplot";
    for (i = 0; i < nvars; i++) {
        assign[i] = assignment(&vars[i]);
        if (assign[i] == NULL) {
            rc = -ENOMEM;
            (void)snprintf(err, errlen, "out of memory");
            goto out;
        }
        argv[k++] = "-e";
        argv[k++] = assign[i];
    }
    argv[k++] = (char *)template_path;
    argv[k] = NULL;
    msg = malloc(ERR_KEEP);
    if (msg == NULL) {
        rc = -ENOMEM;
        (void)snprintf(err, errlen, "out of memory");
        goto out;
    }
    rc = spawn_gnuplot(argv, &pid, &fd, err, errlen);
    if (rc != 0) {
        goto out;
    }
    deadline = base_now_ns() + gnuplot_timeout_ns();
    timed_out = read_until_closed(fd, deadline, msg);
    rc = reap_gnuplot(pid, deadline, timed_out, template_name, &status, err,
                      errlen);
    if (rc != 0) {
        goto out;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        rc = 0;
    } else if (WIFEXITED(status)) {
        char line[ERR_QUOTE + 8];

        pick_error_line(msg, line, sizeof(line));
        (void)snprintf(err, errlen, "gnuplot failed on %s (exit %d): %s",
                       template_name, WEXITSTATUS(status), line);
        rc = -EPROTO;
    } else {
        (void)snprintf(err, errlen, "gnuplot was killed by signal %d",
                       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        rc = -EPROTO;
    }
out:
    if (fd >= 0) {
        (void)close(fd);
    }
    for (i = 0; i < nvars; i++) {
        free(assign[i]);
    }
    free(msg);
    return rc;
}

/* Write one data file as out_base.TAG.XXXXXX. 0 or -errno with err. */
static int
write_data(const char *out_base, struct gp_data *d, char *err, size_t errlen)
{
    FILE *f;
    int fd;
    int rc;
    int w;

    w = snprintf(d->path, sizeof(d->path), "%s.%s.XXXXXX", out_base, d->tag);
    if (w < 0 || (size_t)w >= sizeof(d->path)) {
        d->path[0] = '\0';
        (void)snprintf(err, errlen, "output path too long: %.200s...",
                       out_base);
        return -ENAMETOOLONG;
    }
    fd = mkstemp(d->path);
    if (fd < 0) {
        rc = -errno;
        base_errf(err, errlen, -rc, "cannot create %.800s", d->path);
        d->path[0] = '\0';
        return rc;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        rc = -errno;
        (void)close(fd);
    } else {
        rc = d->fill(d->ctx, f);
        if (fclose(f) != 0 && rc == 0) {
            rc = -errno;
        }
    }
    if (rc != 0) {
        base_errf(err, errlen, rc < 0 ? -rc : EIO, "cannot write %.800s",
                  d->path);
        (void)unlink(d->path);
        d->path[0] = '\0';
        return rc < 0 ? rc : -EIO;
    }
    return 0;
}

static int
nonempty_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Render job in both formats; see the file comment. */
int
plot__render(struct gp_job *job, char *err, size_t errlen)
{
    static const char *const term[2] = {"pngcairo", "svg"};
    static const char *const ext[2] = {"png", "svg"};
    char tmpl[PATH_LEN];
    char tmp[2][PATH_LEN];
    char final[2][PATH_LEN];
    struct gp_var vars[MAX_VARS];
    size_t nv;
    size_t i;
    int k;
    int rc;

    if (job->out_base == NULL || job->out_base[0] == '\0') {
        (void)snprintf(err, errlen, "no output path");
        return -EINVAL;
    }
    rc = plot_find_template(job->template_name, job->gp_dir, tmpl, sizeof(tmpl),
                            err, errlen);
    if (rc != 0) {
        return rc;
    }
    for (k = 0; k < 2; k++) {
        int w1 = snprintf(final[k], sizeof(final[k]), "%s.%s", job->out_base,
                          ext[k]);
        int w2 = snprintf(tmp[k], sizeof(tmp[k]), "%s.%s.tmp.%ld",
                          job->out_base, ext[k], (long)getpid());

        if (w1 < 0 || (size_t)w1 >= sizeof(final[k]) || w2 < 0 ||
            (size_t)w2 >= sizeof(tmp[k])) {
            (void)snprintf(err, errlen, "output path too long: %.200s...",
                           job->out_base);
            return -ENAMETOOLONG;
        }
    }
    for (i = 0; i < job->ndata; i++) {
        job->data[i].path[0] = '\0';
    }
    for (i = 0; i < job->ndata; i++) {
        rc = write_data(job->out_base, &job->data[i], err, errlen);
        if (rc != 0) {
            goto out;
        }
    }
    for (k = 0; k < 2; k++) {
        nv = 0;
        for (i = 0; i < job->nvars && nv < MAX_VARS; i++) {
            vars[nv++] = job->vars[i];
        }
        for (i = 0; i < job->ndata && nv < MAX_VARS; i++) {
            vars[nv].name = job->data[i].var;
            vars[nv].value = job->data[i].path;
            vars[nv].quoted = 1;
            nv++;
        }
        if (nv + 2 > MAX_VARS) {
            (void)snprintf(err, errlen, "too many template variables");
            rc = -E2BIG;
            goto out;
        }
        vars[nv].name = "term";
        vars[nv].value = term[k];
        vars[nv].quoted = 1;
        nv++;
        vars[nv].name = "output";
        vars[nv].value = tmp[k];
        vars[nv].quoted = 1;
        nv++;
        rc = run_gnuplot(tmpl, job->template_name, vars, nv, err, errlen);
        if (rc != 0) {
            goto out;
        }
        if (!nonempty_file(tmp[k])) {
            (void)snprintf(err, errlen,
                           "gnuplot wrote no %s picture (terminal %s)", ext[k],
                           term[k]);
            rc = -EPROTO;
            goto out;
        }
    }
    for (k = 0; k < 2; k++) {
        if (rename(tmp[k], final[k]) != 0) {
            rc = -errno;
            base_errf(err, errlen, -rc, "cannot write %.800s", final[k]);
            if (k == 1) {
                (void)unlink(final[0]);
            }
            goto out;
        }
    }
    rc = 0;
out:
    if (rc != 0) {
        (void)unlink(tmp[0]);
        (void)unlink(tmp[1]);
    }
    for (i = 0; i < job->ndata; i++) {
        if (job->data[i].path[0] != '\0') {
            (void)unlink(job->data[i].path);
        }
    }
    return rc;
}
