/*
 * child.c - run a program with a time limit and keep what it prints
 * (`gilsim calibrate` runs the Python interpreter this way).
 *
 * The program is started with posix_spawn (never a shell), stdin from
 * /dev/null and stdout and stderr through two close-on-exec pipes, read
 * with poll until both end or the limit passes; the child is then waited
 * for, still within the limit, and killed with SIGKILL at it. stdout is
 * kept up to SIM_CHILD_OUT_MAX bytes, stderr's start up to its buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base.h"
#include "calibrate.h"

extern char **environ;

void
sim_child_out_clear(struct sim_child_out *co)
{
    free(co->out);
    memset(co, 0, sizeof(*co));
}

static int
cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);

    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) != 0) {
        return -errno;
    }
    return 0;
}

static void
append(char *dst, size_t *len, size_t cap, const char *src, size_t n)
{
    if (*len + 1 >= cap) {
        return;
    }
    if (n > cap - 1 - *len) {
        n = cap - 1 - *len;
    }
    memcpy(dst + *len, src, n);
    *len += n;
    dst[*len] = '\0';
}

/* Read the child's stdout and stderr until both end or the deadline. */
static void
drain(int fd_out, int fd_err, int64_t deadline, struct sim_child_out *co)
{
    struct pollfd fds[2];
    int open = 2;

    fds[0].fd = fd_out;
    fds[1].fd = fd_err;
    fds[0].events = fds[1].events = POLLIN;
    while (open > 0) {
        int64_t left = (deadline - base_now_ns()) / 1000000;
        int k;
        int n;

        if (left <= 0) {
            co->timed_out = 1;
            return;
        }
        n = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno != EINTR) {
            return;
        }
        for (k = 0; k < 2 && n > 0; k++) {
            char buf[4096];
            ssize_t r;

            if (fds[k].fd < 0 || fds[k].revents == 0) {
                continue;
            }
            r = read(fds[k].fd, buf, sizeof(buf));
            if (r > 0 && k == 0) {
                append(co->out, &co->out_len, SIM_CHILD_OUT_MAX + 1, buf,
                       (size_t)r);
            } else if (r > 0) {
                append(co->err, &co->err_len, sizeof(co->err), buf, (size_t)r);
            } else if (r == 0 || errno != EINTR) {
                fds[k].fd = -1;
                open--;
            }
        }
    }
}

int
sim_child_run(char *const argv[], int timeout_ms, struct sim_child_out *co)
{
    posix_spawn_file_actions_t fa;
    int po[2] = {-1, -1};
    int pe[2] = {-1, -1};
    int64_t deadline;
    pid_t pid;
    pid_t w;
    int ws = 0;
    int rc;

    memset(co, 0, sizeof(*co));
    co->out = malloc(SIM_CHILD_OUT_MAX + 1);
    if (co->out == NULL) {
        return -ENOMEM;
    }
    co->out[0] = '\0';
    if (pipe(po) != 0 || pipe(pe) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = cloexec(po[0]);
    rc = rc != 0 ? rc : cloexec(po[1]);
    rc = rc != 0 ? rc : cloexec(pe[0]);
    rc = rc != 0 ? rc : cloexec(pe[1]);
    if (rc != 0) {
        goto fail;
    }
    rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) {
        rc = -rc;
        goto fail;
    }
    /* dup2 clears FD_CLOEXEC on 1 and 2; the pipes' own ends close. */
    rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    rc = rc != 0 ? rc : posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    rc = rc != 0 ? rc : posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    if (rc == 0) {
        rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    }
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        rc = -rc;
        goto fail;
    }
    close(po[1]);
    close(pe[1]);
    po[1] = pe[1] = -1;
    deadline = base_now_ns() + (int64_t)timeout_ms * 1000000;
    drain(po[0], pe[0], deadline, co);
    /* Both pipes ended (or time is up): wait for the exit, still within
     * the time limit, then kill. */
    for (;;) {
        if (co->timed_out) {
            (void)kill(pid, SIGKILL);
        }
        w = waitpid(pid, &ws, co->timed_out ? 0 : WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) {
            break;
        }
        if (w == 0 && base_now_ns() >= deadline) {
            co->timed_out = 1;
        } else if (w == 0) {
            (void)poll(NULL, 0, 2);
        }
    }
    if (WIFEXITED(ws)) {
        co->status = WEXITSTATUS(ws);
    } else if (WIFSIGNALED(ws)) {
        co->status = 128 + WTERMSIG(ws);
    }
    close(po[0]);
    close(pe[0]);
    return 0;
fail:
    if (po[0] >= 0) {
        close(po[0]);
        close(po[1]);
    }
    if (pe[0] >= 0) {
        close(pe[0]);
        close(pe[1]);
    }
    sim_child_out_clear(co);
    return rc;
}
