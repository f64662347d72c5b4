/*
 * bench_server.c - figures for the loopback latency server (workloads/
 * server.c), each measured in one run of this program:
 *
 *   (a) concurrent connections held: N keep-alive connections (default
 *       10000), each sending one `GET /top250?start=K` to a server with
 *       latency 1 s and a 128 B body. Figures: the replies that completed,
 *       the time from the last request sent to the last reply over the
 *       latency (~1.0 when the one server thread held every request at
 *       once), and the server's connections_max (~N).
 *   (b) requests per second on one core: server latency 0; M connections
 *       (default 64), each doing back-to-back keep-alive requests for D
 *       seconds (default 3), driven by ONE client thread with poll().
 *       Figures: requests/s, and the CPU time of server and client over
 *       the wall time; then the same with a 64 KiB body, in MB/s, three
 *       ways: the server's body cache off, on with every page new, and
 *       on with 25 pages over and over (all hits); each against the goal
 *       of 1 GB/s on one core (issue 19), by wall and by server CPU time.
 *
 * The server runs in a child process (fork() before any thread exists;
 * the child starts the server, reports its port over a pipe and answers
 * "snapshot" and "quit" commands on another). So the client and the
 * server each have their own descriptor table (RLIMIT_NOFILE of N + 100
 * each, not 2N + 100 in one), and getrusage(RUSAGE_SELF) in each process
 * gives the CPU time of each side apart: the child's is the server
 * thread's (its main thread only blocks in read() on the command pipe).
 * Nothing is pinned; on a 2-core machine each side can have a core.
 *
 * The client is written here on plain nonblocking sockets (as in
 * tests/test_server.c), one thread, poll(), 127.0.0.1 only. Every loop
 * has a deadline; nothing sleeps. (a) keeps at most CONNECT_WINDOW
 * connect()s in progress, so the SYNs stay within the listen backlog; a
 * connection sends its request as soon as it is up and keeps its socket
 * open until every reply has come, so the server holds them all. (b)
 * opens its M connections and makes one warm-up request on each
 * (untimed); the timed window runs from the first request to the last
 * reply, no new request being made after D seconds. Each run is made
 * once: the figures are rates over seconds, not a best of several.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base.h"
#include "wl.h"

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

#define FD_HEADROOM 100 /* descriptors beyond the connections, per process */
/* Sockets of (a) whose connect() has not completed yet, at most: keeps
 * the SYNs within the server's listen backlog (somaxconn). */
#define CONNECT_WINDOW 1000
#define HEAD_CAP       1024   /* response line + headers, bytes */
#define RECV_CHUNK     262144 /* one recv() at most */
/* Deadlines no honest run reaches. */
#define OPEN_BUDGET_NS  (60 * S) /* (a): all N connections open */
#define REPLY_BUDGET_NS (30 * S) /* beyond the latency, for replies */
#define PIPE_TIMEOUT_MS 30000    /* the server child answers a command */

#define LATENCY_A_NS (1 * S)
#define BODY_SMALL   128
#define BODY_LARGE   65536

/* What the command line chose. */
struct opts {
    long connections; /* (a) */
    long clients;     /* (b) */
    double seconds;   /* (b), each body size */
    const char *only; /* sections to run, e.g. "ab" */
};

/* The server in its child process, seen from the parent. */
struct server_proc {
    pid_t pid;
    int cmd; /* parent -> child: 'S' snapshot, 'Q' quit */
    int rep; /* child -> parent */
    int port;
};

/* What the child sends back for 'S'. */
struct snapshot {
    struct wl_server_stats st;
    int64_t cpu_ns; /* the child's user + system time */
};

/* The state of one client connection. */
enum conn_state {
    CS_CONNECTING = 0, /* connect() in progress: wait for POLLOUT */
    CS_SENDING = 1,    /* request partly sent: POLLOUT */
    CS_WAITING = 2,    /* request sent, reply partly read: POLLIN */
    CS_IDLE = 3,       /* reply complete, socket kept open */
    CS_FAILED = 4,     /* error; socket closed */
};

struct conn {
    int fd;
    enum conn_state state;
    char req[96];
    size_t req_len;
    size_t sent;
    /* The reply being read. */
    char head[HEAD_CAP];
    size_t head_len;
    int head_done;
    int status;
    uint64_t body_left;
    /* Times (CLOCK_MONOTONIC ns). */
    int64_t t_open; /* socket created */
    int64_t t_sent; /* last byte of the request sent */
    int64_t t_done; /* reply complete */
};

static double
ms(int64_t ns)
{
    return (double)ns / (double)MS;
}

static _Noreturn void
die(const char *what, int err)
{
    fprintf(stderr, "bench_server: %s failed: %s\n", what,
            strerror(err < 0 ? -err : err));
    exit(1);
}

static int64_t
cpu_self_ns(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0) {
        die("getrusage", errno);
    }
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * S +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* ---- the server's child process ---- */

/* 0, or -1 on EOF or error. */
static int
read_full(int fd, void *buf, size_t n)
{
    char *p = buf;

    while (n > 0) {
        ssize_t r = read(fd, p, n);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int
write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The child: start the server, send {rc, port}, serve commands until
 * 'Q' or the parent's end of the pipe closes. Never returns. */
static _Noreturn void
server_child(const struct wl_server_config *cfg, int cmd, int rep)
{
    struct wl_server *s = NULL;
    int hello[2];
    char c;

    hello[0] = wl_server_start(cfg, &s);
    hello[1] = hello[0] == 0 ? wl_server_port(s) : 0;
    if (write_full(rep, hello, sizeof(hello)) != 0 || hello[0] != 0) {
        wl_server_stop(s);
        _exit(1);
    }
    while (read_full(cmd, &c, 1) == 0 && c == 'S') {
        struct snapshot snap;

        memset(&snap, 0, sizeof(snap));
        wl_server_get_stats(s, &snap.st);
        snap.cpu_ns = cpu_self_ns();
        if (write_full(rep, &snap, sizeof(snap)) != 0) {
            break;
        }
    }
    wl_server_stop(s);
    _exit(0);
}

/* Wait (bounded) until the child has something to say, then read it. */
static void
server_read(struct server_proc *sp, void *buf, size_t n)
{
    struct pollfd pfd = {sp->rep, POLLIN, 0};
    int rc;

    do {
        rc = poll(&pfd, 1, PIPE_TIMEOUT_MS);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) {
        fprintf(stderr,
                "bench_server: the server process did not answer "
                "within %d ms\n",
                PIPE_TIMEOUT_MS);
        exit(1);
    }
    if (rc < 0 || read_full(sp->rep, buf, n) != 0) {
        fprintf(stderr, "bench_server: the server process ended early\n");
        exit(1);
    }
}

static void
server_spawn(const struct wl_server_config *cfg, struct server_proc *sp)
{
    int to_child[2];
    int from_child[2];
    int hello[2];

    if (pipe(to_child) != 0 || pipe(from_child) != 0) {
        die("pipe", errno);
    }
    fflush(stdout); /* or the child's exit could print it twice */
    fflush(stderr);
    sp->pid = fork();
    if (sp->pid < 0) {
        die("fork", errno);
    }
    if (sp->pid == 0) {
        close(to_child[1]);
        close(from_child[0]);
        server_child(cfg, to_child[0], from_child[1]);
    }
    close(to_child[0]);
    close(from_child[1]);
    sp->cmd = to_child[1];
    sp->rep = from_child[0];
    server_read(sp, hello, sizeof(hello));
    if (hello[0] != 0) {
        die("wl_server_start", hello[0]);
    }
    sp->port = hello[1];
}

static void
server_snapshot(struct server_proc *sp, struct snapshot *out)
{
    if (write_full(sp->cmd, "S", 1) != 0) {
        die("write to the server process", errno);
    }
    server_read(sp, out, sizeof(*out));
}

static void
server_end(struct server_proc *sp)
{
    int status;

    if (write_full(sp->cmd, "Q", 1) != 0) {
        die("write to the server process", errno);
    }
    close(sp->cmd);
    close(sp->rep);
    /* wl_server_stop closes every connection and joins the thread:
     * bounded, and the child exits right after. */
    if (waitpid(sp->pid, &status, 0) < 0) {
        die("waitpid", errno);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_server: the server process ended badly\n");
        exit(1);
    }
}

static struct wl_server_config
server_config(int64_t latency_ns, uint64_t body_size)
{
    struct wl_server_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.bind, sizeof(cfg.bind), "127.0.0.1");
    cfg.latency_ns = latency_ns;
    cfg.body_size = body_size;
    cfg.seed = 2024;
    return cfg;
}

/* ---- the client's connections ---- */

/* A nonblocking socket connecting to 127.0.0.1:port; -errno on failure.
 * *connected is 1 when connect() completed at once. */
static int
conn_open(int port, int *connected)
{
    struct sockaddr_in sa;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        return -errno;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int err = errno;

        close(fd);
        return -err;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        *connected = 1;
        return fd;
    }
    if (errno != EINPROGRESS) {
        int err = errno;

        close(fd);
        return -err;
    }
    *connected = 0;
    return fd;
}

static void
conn_fail(struct conn *c)
{
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->state = CS_FAILED;
}

/* Send what is left of the request; the state becomes CS_WAITING when
 * all of it is out. 0, or -1 when the connection failed. */
static int
conn_send_some(struct conn *c)
{
    while (c->sent < c->req_len) {
        ssize_t w =
            send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);

        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            c->state = CS_SENDING;
            return 0;
        }
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            conn_fail(c);
            return -1;
        }
        c->sent += (size_t)w;
    }
    c->t_sent = base_now_ns();
    c->state = CS_WAITING;
    return 0;
}

/* Begin a request for `page` on an open connection. */
static int
conn_request(struct conn *c, long long page)
{
    int n = snprintf(c->req, sizeof(c->req),
                     "GET /top250?start=%lld HTTP/1.1\r\n"
                     "Host: 127.0.0.1\r\n\r\n",
                     page);

    c->req_len = (size_t)n;
    c->sent = 0;
    c->head_len = 0;
    c->head_done = 0;
    c->status = 0;
    c->body_left = 0;
    return conn_send_some(c);
}

/* Parse the response head in c->head (NUL-terminated): status and
 * Content-Length. 0, or -1 when either is missing. */
static int
parse_head(struct conn *c)
{
    const char *line;
    int have_length = 0;

    if (sscanf(c->head, "HTTP/1.1 %d", &c->status) != 1) {
        return -1;
    }
    line = strstr(c->head, "\r\n");
    while (line != NULL && line[2] != '\r') {
        line += 2;
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            c->body_left = strtoull(line + 15, NULL, 10);
            have_length = 1;
        }
        line = strstr(line, "\r\n");
    }
    return have_length ? 0 : -1;
}

/* Take n bytes of the reply; *body counts body bytes taken. 1 when the
 * reply is complete, 0 when more is due, -1 on a malformed reply (or
 * bytes past its end: one request is in flight at a time). */
static int
conn_feed(struct conn *c, const char *data, size_t n, uint64_t *body)
{
    while (n > 0) {
        if (!c->head_done) {
            size_t old = c->head_len;
            size_t take = HEAD_CAP - 1 - c->head_len;
            size_t from = old >= 3 ? old - 3 : 0;
            char *end;

            if (take == 0) {
                return -1;
            }
            if (take > n) {
                take = n;
            }
            memcpy(c->head + old, data, take);
            c->head_len += take;
            c->head[c->head_len] = '\0';
            end = strstr(c->head + from, "\r\n\r\n");
            if (end == NULL) {
                data += take;
                n -= take;
                continue;
            }
            c->head_len = (size_t)(end - c->head) + 4;
            c->head[c->head_len] = '\0';
            data += c->head_len - old;
            n -= c->head_len - old;
            c->head_done = 1;
            if (parse_head(c) != 0) {
                return -1;
            }
        } else {
            size_t take = n < c->body_left ? n : (size_t)c->body_left;

            c->body_left -= take;
            *body += take;
            data += take;
            n -= take;
        }
        if (c->head_done && c->body_left == 0) {
            return n == 0 ? 1 : -1;
        }
    }
    return c->head_done && c->body_left == 0 ? 1 : 0;
}

/* Read what the socket has. 1 when the reply completed, 0 when more is
 * due, -1 when the connection failed (EOF, reset, malformed reply). */
static int
conn_read(struct conn *c, char *buf, uint64_t *body)
{
    for (;;) {
        ssize_t r = recv(c->fd, buf, RECV_CHUNK, 0);
        int rc;

        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            conn_fail(c);
            return -1;
        }
        rc = conn_feed(c, buf, (size_t)r, body);
        if (rc < 0) {
            conn_fail(c);
            return -1;
        }
        if (rc == 1) {
            c->t_done = base_now_ns();
            c->state = CS_IDLE;
            return 1;
        }
    }
}

static void
conns_close(struct conn *cs, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (cs[i].fd >= 0) {
            close(cs[i].fd);
            cs[i].fd = -1;
        }
    }
}

/* ---- descriptors ---- */

/* Raise RLIMIT_NOFILE to want (each process, the child inherits it);
 * returns the limit now set, which may be lower (the hard limit). */
static long
raise_nofile(long want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        die("getrlimit", errno);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)want) {
        rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)want
                          ? rl.rlim_max
                          : (rlim_t)want;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            die("setrlimit", errno);
        }
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)want) {
        return want;
    }
    return (long)rl.rlim_cur;
}

/* ---- (a) concurrent connections held ---- */

/* What (a) counts. */
struct held {
    long opened;     /* sockets created */
    long connected;  /* connect() completed */
    long complete;   /* 200 replies with the whole body */
    long not_opened; /* left unopened at OPEN_BUDGET_NS */
    long failed;     /* unopened, refused, reset, malformed, non-200, late */
    int open_errno;  /* the first socket()/connect() error, 0 if none */
    int64_t t_first_open;
    int64_t t_last_sent;
    int64_t t_last_done;
    int64_t connect_max_ns; /* slowest connect() */
};

static void
held_run(struct conn *cs, long n, int port, struct held *h)
{
    struct pollfd *pfds = calloc((size_t)n, sizeof(*pfds));
    long *idx = calloc((size_t)n, sizeof(*idx));
    char *buf = malloc(RECV_CHUNK);
    int64_t open_deadline;
    int64_t deadline;
    long connecting = 0;
    long finished = 0;
    long i;

    if (pfds == NULL || idx == NULL || buf == NULL) {
        die("malloc", ENOMEM);
    }
    memset(h, 0, sizeof(*h));
    h->t_first_open = base_now_ns();
    open_deadline = h->t_first_open + OPEN_BUDGET_NS;
    deadline = open_deadline + LATENCY_A_NS + REPLY_BUDGET_NS;
    while (finished < n) {
        int64_t now = base_now_ns();
        long np = 0;
        int64_t wait_ns;
        int rc;

        if (now >= deadline) {
            break;
        }
        /* Open more, within the window. */
        while (h->opened < n && connecting < CONNECT_WINDOW &&
               now < open_deadline) {
            struct conn *c = &cs[h->opened];
            int connected = 0;
            int fd = conn_open(port, &connected);

            h->opened++;
            c->t_open = base_now_ns();
            if (fd < 0) {
                if (h->open_errno == 0) {
                    h->open_errno = -fd;
                }
                c->fd = -1;
                c->state = CS_FAILED;
                finished++;
                continue;
            }
            c->fd = fd;
            c->state = CS_CONNECTING;
            connecting++;
            if (connected) {
                connecting--;
                h->connected++;
                if (conn_request(c, h->opened - 1) != 0) {
                    finished++;
                }
            }
        }
        if (h->opened < n && now >= open_deadline && h->not_opened == 0) {
            /* Give up on the rest (counted as failed below). */
            h->not_opened = n - h->opened;
            finished += h->not_opened;
        }
        for (i = 0; i < h->opened; i++) {
            struct conn *c = &cs[i];

            if (c->state == CS_IDLE || c->state == CS_FAILED) {
                continue;
            }
            pfds[np].fd = c->fd;
            pfds[np].events = c->state == CS_WAITING ? POLLIN : POLLOUT;
            pfds[np].revents = 0;
            idx[np++] = i;
        }
        if (np == 0) {
            continue;
        }
        wait_ns = deadline - now;
        rc = poll(pfds, (nfds_t)np, (int)((wait_ns + MS - 1) / MS));
        if (rc < 0 && errno != EINTR) {
            die("poll", errno);
        }
        for (i = 0; rc > 0 && i < np; i++) {
            struct conn *c = &cs[idx[i]];
            uint64_t body = 0;

            if (pfds[i].revents == 0) {
                continue;
            }
            if (c->state == CS_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof(err);

                connecting--;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err != 0) {
                    if (h->open_errno == 0) {
                        h->open_errno = err;
                    }
                    conn_fail(c);
                    finished++;
                    continue;
                }
                h->connected++;
                if (base_now_ns() - c->t_open > h->connect_max_ns) {
                    h->connect_max_ns = base_now_ns() - c->t_open;
                }
                if (conn_request(c, idx[i]) != 0) {
                    finished++;
                }
                continue;
            }
            if (c->state == CS_SENDING) {
                if (conn_send_some(c) != 0) {
                    finished++;
                }
                continue;
            }
            if (conn_read(c, buf, &body) != 0) {
                finished++;
            }
        }
    }
    for (i = 0; i < n; i++) {
        struct conn *c = &cs[i];

        if (c->state == CS_IDLE && c->status == 200) {
            h->complete++;
            if (c->t_done > h->t_last_done) {
                h->t_last_done = c->t_done;
            }
        } else {
            h->failed++;
        }
        if (c->t_sent > h->t_last_sent) {
            h->t_last_sent = c->t_sent;
        }
    }
    free(pfds);
    free(idx);
    free(buf);
}

static void
section_held(const struct opts *o, long n)
{
    struct wl_server_config cfg = server_config(LATENCY_A_NS, BODY_SMALL);
    struct server_proc sp;
    struct snapshot s0;
    struct snapshot s1;
    struct held h;
    struct conn *cs = calloc((size_t)n, sizeof(*cs));
    int64_t *lat = calloc((size_t)n, sizeof(*lat));
    int64_t cpu0;
    int64_t cpu1;
    int64_t wall;
    long nl = 0;
    long i;

    if (cs == NULL || lat == NULL) {
        die("malloc", ENOMEM);
    }
    for (i = 0; i < n; i++) {
        cs[i].fd = -1;
    }
    /* The child's descriptors are all the server's (its default cap,
     * half of them, leaves room for a run's clients in one process). */
    cfg.max_connections = n;
    printf("\n(a) concurrent connections held: %ld keep-alive connections, "
           "one GET each, server latency %.0f ms, body %d B\n",
           n, ms(cfg.latency_ns), BODY_SMALL);
    if (n != o->connections) {
        printf("    (asked for %ld; RLIMIT_NOFILE allows %ld)\n",
               o->connections, n);
    }
    fflush(stdout);
    server_spawn(&cfg, &sp);
    server_snapshot(&sp, &s0);
    cpu0 = cpu_self_ns();
    held_run(cs, n, sp.port, &h);
    cpu1 = cpu_self_ns();
    /* Every client socket is still open: the server held them all. */
    server_snapshot(&sp, &s1);
    for (i = 0; i < n; i++) {
        if (cs[i].state == CS_IDLE && cs[i].status == 200) {
            lat[nl++] = cs[i].t_done - cs[i].t_sent;
        }
    }
    base_sort_i64(lat, (size_t)nl);
    wall = (h.t_last_done > 0 ? h.t_last_done : base_now_ns()) - h.t_first_open;

    printf("connections opened %ld, connected %ld, slowest connect %.1f ms\n",
           h.opened, h.connected, ms(h.connect_max_ns));
    if (h.not_opened > 0) {
        printf("    %ld never opened: the %.0f s budget for opening ran out\n",
               h.not_opened, (double)OPEN_BUDGET_NS / S);
    }
    if (h.open_errno != 0) {
        printf("    first socket/connect error: %s\n", strerror(h.open_errno));
    }
    if (h.connect_max_ns > 900 * MS) {
        printf("    (a connect over 0.9 s: a SYN was dropped and resent, "
               "listen backlog full)\n");
    }
    printf("replies complete (200, whole body) %ld of %ld, failed %ld\n",
           h.complete, n, h.failed);
    printf("first connect -> last request sent   %9.1f ms\n",
           ms(h.t_last_sent - h.t_first_open));
    if (h.complete > 0) {
        int64_t tail = h.t_last_done - h.t_last_sent;

        printf("last request sent -> last reply       %9.1f ms   / latency "
               "%.3f   (expect ~1: all held at once)\n",
               ms(tail), (double)tail / (double)cfg.latency_ns);
        printf("first connect -> last reply           %9.1f ms   / latency "
               "%.3f\n",
               ms(wall), (double)wall / (double)cfg.latency_ns);
        printf("per request, sent -> reply (ms): min %.1f  p50 %.1f  p99 "
               "%.1f  max %.1f\n",
               ms(lat[0]), ms(lat[nl / 2]), ms(lat[(nl * 99) / 100]),
               ms(lat[nl - 1]));
    }
    printf("server: requests %llu, replies_ok %llu, connections %llu, "
           "connections_max %llu (of %ld)\n",
           (unsigned long long)(s1.st.requests - s0.st.requests),
           (unsigned long long)(s1.st.replies_ok - s0.st.replies_ok),
           (unsigned long long)s1.st.connections,
           (unsigned long long)s1.st.connections_max, n);
    printf("cpu over first connect -> last reply: server %.0f ms (%.1f%%), "
           "client %.0f ms (%.1f%%)\n",
           ms(s1.cpu_ns - s0.cpu_ns),
           100.0 * (double)(s1.cpu_ns - s0.cpu_ns) / (double)wall,
           ms(cpu1 - cpu0), 100.0 * (double)(cpu1 - cpu0) / (double)wall);
    conns_close(cs, (size_t)n);
    server_end(&sp);
    free(cs);
    free(lat);
}

/* ---- (b) requests per second ---- */

/* What one (b) run measured. */
struct rate {
    uint64_t requests; /* complete 200 replies in the timed window */
    uint64_t body_bytes;
    long failed;
    int64_t wall_ns;
    int64_t client_cpu_ns;
    int64_t server_cpu_ns;
    uint64_t cache_hits; /* the server's body cache in the window */
    uint64_t cache_misses;
};

/* What one (b) run asks of the server: the body size, its body cache
 * (WL_SERVER_BODY_CACHE_DEFAULT, or -1 for none) and which pages: each
 * request a new one (pages 0), or the pages 0..pages-1 over and over. */
struct rate_cfg {
    const char *label;
    uint64_t body_size;
    int64_t cache_bytes;
    long long pages;
};

/* The page of the next request. */
static long long
next_page(const struct rate_cfg *rc, long long *page)
{
    long long p = (*page)++;

    return rc->pages > 0 ? p % rc->pages : p;
}

/* Drive every open connection until `until` (no new requests after it)
 * and then until all are idle, or the deadline. Counts into r. */
static void
rate_loop(const struct rate_cfg *rcfg, struct conn *cs, long m,
          struct pollfd *pfds, long *idx, char *buf, int64_t until,
          int64_t deadline, long long *page, struct rate *r)
{
    for (;;) {
        int64_t now = base_now_ns();
        long np = 0;
        long i;
        int rc;

        if (now >= deadline) {
            break;
        }
        for (i = 0; i < m; i++) {
            if (cs[i].state == CS_SENDING || cs[i].state == CS_WAITING) {
                pfds[np].fd = cs[i].fd;
                pfds[np].events = cs[i].state == CS_WAITING ? POLLIN : POLLOUT;
                pfds[np].revents = 0;
                idx[np++] = i;
            }
        }
        if (np == 0) {
            break;
        }
        rc = poll(pfds, (nfds_t)np, (int)((deadline - now + MS - 1) / MS));
        if (rc < 0 && errno != EINTR) {
            die("poll", errno);
        }
        for (i = 0; rc > 0 && i < np; i++) {
            struct conn *c = &cs[idx[i]];
            uint64_t body = 0;

            if (pfds[i].revents == 0) {
                continue;
            }
            if (c->state == CS_SENDING) {
                if (conn_send_some(c) != 0) {
                    r->failed++;
                }
                continue;
            }
            switch (conn_read(c, buf, &body)) {
            case 1:
                if (c->status != 200) {
                    r->failed++;
                    conn_fail(c);
                    break;
                }
                r->requests++;
                r->body_bytes += body;
                if (c->t_done < until &&
                    conn_request(c, next_page(rcfg, page)) != 0) {
                    r->failed++;
                }
                break;
            case 0:
                r->body_bytes += body;
                break;
            default:
                r->failed++;
                break;
            }
        }
    }
}

static void
rate_run(const struct opts *o, const struct rate_cfg *rc, struct rate *r)
{
    struct wl_server_config cfg = server_config(0, rc->body_size);
    struct server_proc sp;
    struct snapshot s0;
    struct snapshot s1;
    long m = o->clients;
    struct conn *cs = calloc((size_t)m, sizeof(*cs));
    struct pollfd *pfds = calloc((size_t)m, sizeof(*pfds));
    long *idx = calloc((size_t)m, sizeof(*idx));
    char *buf = malloc(RECV_CHUNK);
    int64_t t0;
    int64_t t_end;
    int64_t cpu0;
    int64_t last = 0;
    long long page = 0;
    struct rate warm;
    long i;

    if (cs == NULL || pfds == NULL || idx == NULL || buf == NULL) {
        die("malloc", ENOMEM);
    }
    memset(r, 0, sizeof(*r));
    memset(&warm, 0, sizeof(warm));
    cfg.body_cache_bytes = rc->cache_bytes;
    server_spawn(&cfg, &sp);
    /* Connect all (untimed), one warm-up request each. */
    for (i = 0; i < m; i++) {
        int connected = 0;
        int fd = conn_open(sp.port, &connected);
        struct pollfd pfd;

        if (fd < 0) {
            die("connect", fd);
        }
        pfd.fd = fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (!connected && poll(&pfd, 1, PIPE_TIMEOUT_MS) != 1) {
            die("connect (poll)", ETIMEDOUT);
        }
        cs[i].fd = fd;
        if (conn_request(&cs[i], next_page(rc, &page)) != 0) {
            die("send", EPIPE);
        }
    }
    t0 = base_now_ns();
    rate_loop(rc, cs, m, pfds, idx, buf, t0, t0 + REPLY_BUDGET_NS, &page,
              &warm);
    if (warm.requests != (uint64_t)m) {
        fprintf(stderr, "bench_server: warm-up: %llu of %ld replies\n",
                (unsigned long long)warm.requests, m);
        exit(1);
    }

    /* The timed window: from the first request to the last reply. */
    server_snapshot(&sp, &s0);
    cpu0 = cpu_self_ns();
    t0 = base_now_ns();
    t_end = t0 + (int64_t)(o->seconds * (double)S);
    for (i = 0; i < m; i++) {
        if (conn_request(&cs[i], next_page(rc, &page)) != 0) {
            r->failed++;
        }
    }
    rate_loop(rc, cs, m, pfds, idx, buf, t_end, t_end + REPLY_BUDGET_NS, &page,
              r);
    for (i = 0; i < m; i++) {
        if (cs[i].state == CS_IDLE && cs[i].t_done > last) {
            last = cs[i].t_done;
        }
        if (cs[i].state == CS_SENDING || cs[i].state == CS_WAITING) {
            r->failed++; /* the deadline came first */
        }
    }
    r->client_cpu_ns = cpu_self_ns() - cpu0;
    r->wall_ns = (last > t0 ? last : base_now_ns()) - t0;
    server_snapshot(&sp, &s1);
    r->server_cpu_ns = s1.cpu_ns - s0.cpu_ns;
    r->cache_hits = s1.st.body_cache_hits - s0.st.body_cache_hits;
    r->cache_misses = s1.st.body_cache_misses - s0.st.body_cache_misses;
    conns_close(cs, (size_t)m);
    server_end(&sp);
    free(cs);
    free(pfds);
    free(idx);
    free(buf);
}

static void
print_rate(const struct rate_cfg *rc, const struct rate *r, long m)
{
    double wall_s = (double)r->wall_ns / (double)S;
    double rps = (double)r->requests / wall_s;
    double srv_s = (double)r->server_cpu_ns / (double)S;

    printf("%-22s %8llu %6.2f %8.0f %7.1f %9.1f %7.1f%% %7.1f%% %7.0f %6.1f%% "
           "%5ld\n",
           rc->label, (unsigned long long)r->requests, wall_s, rps,
           (double)r->body_bytes / wall_s / 1e6,
           (double)r->body_bytes / srv_s / 1e6,
           100.0 * (double)r->server_cpu_ns / (double)r->wall_ns,
           100.0 * (double)r->client_cpu_ns / (double)r->wall_ns,
           (double)m / rps * 1e6,
           r->cache_hits + r->cache_misses > 0
               ? 100.0 * (double)r->cache_hits /
                     (double)(r->cache_hits + r->cache_misses)
               : 0.0,
           r->failed);
}

/* The goal of issue 19 item 3: 64 KiB replies at 1 GB/s on one core. */
#define GOAL_MB_S 1000.0

static void
section_rate(const struct opts *o)
{
    static const struct rate_cfg runs[] = {
        {"128 B", BODY_SMALL, 0, 0},
        {"64 KiB, no cache", BODY_LARGE, -1, 0},
        {"64 KiB, new pages", BODY_LARGE, 0, 0},
        {"64 KiB, 25 pages", BODY_LARGE, 0, 25},
    };
    enum { N_RUNS = sizeof(runs) / sizeof(runs[0]) };
    struct rate r[N_RUNS];
    size_t i;

    printf("\n(b) requests per second on one core: %ld keep-alive "
           "connections, back-to-back GETs for %.1f s from one client thread "
           "(poll), server latency 0\n",
           o->clients, o->seconds);
    fflush(stdout);
    for (i = 0; i < N_RUNS; i++) {
        rate_run(o, &runs[i], &r[i]);
    }
    printf("%-22s %8s %6s %8s %7s %9s %8s %8s %7s %7s %5s\n", "body",
           "requests", "wall s", "req/s", "MB/s", "MB/srv-s", "srv cpu",
           "cli cpu", "mean us", "hits", "fail");
    for (i = 0; i < N_RUNS; i++) {
        print_rate(&runs[i], &r[i], o->clients);
    }
    printf("(cpu: each process's user+system time over the wall time, from "
           "getrusage; the server runs in a child process, one thread)\n"
           "(MB/s: body bytes, 1 MB = 1e6 B, over the wall time; MB/srv-s: "
           "over the server's CPU time; mean us: connections / req/s, "
           "Little's law; hits: the server's body cache, in the window)\n"
           "(no cache: every reply generates its body, as before the cache; "
           "new pages: every request a page not asked before, so every "
           "body is generated once and cached; 25 pages: the seed's pages "
           "over and over, every body from the cache)\n");
    printf("goal: 64 KiB replies at >= %.0f MB/s on one core\n", GOAL_MB_S);
    for (i = 1; i < N_RUNS; i++) {
        double wall_s = (double)r[i].wall_ns / (double)S;
        double srv_s = (double)r[i].server_cpu_ns / (double)S;

        printf("  %-20s %7.1f MB/s = %.2f x goal; per server CPU-second "
               "%7.1f MB/s = %.2f x goal; %.2f x no cache\n",
               runs[i].label, (double)r[i].body_bytes / wall_s / 1e6,
               (double)r[i].body_bytes / wall_s / 1e6 / GOAL_MB_S,
               (double)r[i].body_bytes / srv_s / 1e6,
               (double)r[i].body_bytes / srv_s / 1e6 / GOAL_MB_S,
               ((double)r[i].body_bytes / wall_s) /
                   ((double)r[1].body_bytes / ((double)r[1].wall_ns / S)));
    }
}

/* ---- command line ---- */

static void
usage(FILE *f)
{
    fprintf(f, "usage: bench_server [--connections=N] [--clients=M] "
               "[--seconds=S] [--only=ab]\n"
               "  --connections  (a): connections held at once (10000)\n"
               "  --clients      (b): keep-alive connections (64)\n"
               "  --seconds      (b): seconds of each run (3)\n"
               "  --only         sections to run, any of a b (ab)\n");
}

/* "--name=value" or "--name value"; returns the value or NULL. */
static const char *
flag_value(int argc, char **argv, int *i, const char *name)
{
    size_t len = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, len) != 0) {
        return NULL;
    }
    if (a[len] == '=') {
        return a + len + 1;
    }
    if (a[len] == '\0' && *i + 1 < argc) {
        (*i)++;
        return argv[*i];
    }
    return NULL;
}

static double
parse_number(const char *flag, const char *v, double min, double max)
{
    char *end;
    double x;

    errno = 0;
    x = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(x >= min && x <= max)) {
        fprintf(stderr, "bench_server: bad %s '%s' (a number in %g..%g)\n",
                flag, v, min, max);
        exit(2);
    }
    return x;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
    const char *v;
    int i;

    o->connections = 10000;
    o->clients = 64;
    o->seconds = 3.0;
    o->only = "ab";
    for (i = 1; i < argc; i++) {
        v = flag_value(argc, argv, &i, "--connections");
        if (v != NULL) {
            o->connections = (long)parse_number("--connections", v, 1, 1e6);
            continue;
        }
        v = flag_value(argc, argv, &i, "--clients");
        if (v != NULL) {
            o->clients = (long)parse_number("--clients", v, 1, 10000);
            continue;
        }
        v = flag_value(argc, argv, &i, "--seconds");
        if (v != NULL) {
            o->seconds = parse_number("--seconds", v, 0.01, 3600);
            continue;
        }
        v = flag_value(argc, argv, &i, "--only");
        if (v != NULL) {
            o->only = v;
            continue;
        }
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        fprintf(stderr, "bench_server: unknown argument '%s'\n", argv[i]);
        usage(stderr);
        exit(2);
    }
}

int
main(int argc, char **argv)
{
    struct opts o;
    long want;
    long allowed;
    long n;
    int i;

    parse_args(argc, argv, &o);
    /* A peer that closes could raise SIGPIPE: sends use MSG_NOSIGNAL, and
     * the server thread blocks signals; this is belt and braces. */
    signal(SIGPIPE, SIG_IGN);
    want =
        (o.connections > o.clients ? o.connections : o.clients) + FD_HEADROOM;
    allowed = raise_nofile(want);
    n = o.connections;
    if (allowed < o.connections + FD_HEADROOM) {
        n = allowed - FD_HEADROOM;
    }
    printf("# command:");
    for (i = 0; i < argc; i++) {
        printf(" %s", argv[i]);
    }
    printf("\n# connections=%ld clients=%ld seconds=%.2f only=%s; "
           "RLIMIT_NOFILE %ld per process (wanted %ld)\n",
           o.connections, o.clients, o.seconds, o.only, allowed, want);
    if (allowed < want) {
        printf("# the hard limit of RLIMIT_NOFILE is below %ld: (a) uses "
               "%ld connections\n",
               want, n);
    }
    printf("# server: a child process (fork), one evhttp thread; client: "
           "this process, one thread; loopback 127.0.0.1\n");
    fflush(stdout);
    if (strchr(o.only, 'a') != NULL) {
        if (n < 1) {
            printf("\n(a) skipped: RLIMIT_NOFILE leaves no room\n");
        } else {
            section_held(&o, n);
        }
        fflush(stdout);
    }
    if (strchr(o.only, 'b') != NULL) {
        if (allowed < o.clients + FD_HEADROOM) {
            printf("\n(b) skipped: RLIMIT_NOFILE %ld < %ld clients + %d\n",
                   allowed, o.clients, FD_HEADROOM);
        } else {
            section_rate(&o);
        }
        fflush(stdout);
    }
    return 0;
}
