/*
 * fuzz_server.c - the embedded server's request path on any bytes: one
 * server for the whole run (latency 0, 1 KiB pages, a fifth failing),
 * each input sent on a connection of its own, the write side shut, what
 * comes read until the server closes or 100 ms pass. The server must
 * survive every input and still answer a good request afterwards
 * (checked every 256 inputs).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "wl.h"

static struct wl_server *server;

static int
connect_server(void)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -1;
    }
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)wl_server_port(server));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Send, shut the write side (with half_close: the server then takes the
 * client as gone, as nginx does, and may drop its reply), read what comes
 * for up to 100 ms (1 s for a whole request); the bytes read, or -1. */
static long
exchange(const uint8_t *data, size_t size, char *reply, size_t cap,
         int half_close)
{
    struct pollfd p;
    size_t off = 0;
    long got = 0;
    int fd = connect_server();

    if (fd < 0) {
        return -1;
    }
    while (off < size) {
        ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);

        if (n <= 0) {
            break;
        }
        off += (size_t)n;
    }
    if (half_close) {
        (void)shutdown(fd, SHUT_WR);
    }
    p.fd = fd;
    p.events = POLLIN;
    while (poll(&p, 1, half_close ? 100 : 1000) > 0) {
        ssize_t n = recv(fd, reply + got, cap - (size_t)got - 1, 0);

        if (n <= 0) {
            break;
        }
        got += n;
        if ((size_t)got + 1 >= cap) {
            got = 0; /* keep reading, into the same room */
        }
    }
    reply[got] = '\0';
    close(fd);
    return got;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char good[] = "GET /top250?start=1 HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n\r\n";
    static unsigned long inputs;
    static char reply[1 << 16];

    if (server == NULL) {
        struct wl_server_config cfg;

        memset(&cfg, 0, sizeof(cfg));
        (void)strcpy(cfg.bind, "127.0.0.1");
        cfg.body_size = 1024;
        cfg.fail_rate = 0.2;
        cfg.stall_ns = 50000000;
        cfg.seed = 1;
        if (wl_server_start(&cfg, &server) != 0) {
            abort();
        }
    }
    (void)exchange(data, size, reply, sizeof(reply), 1);
    if (++inputs % 256 == 0 &&
        (exchange((const uint8_t *)good, sizeof(good) - 1, reply, sizeof(reply),
                  0) <= 0 ||
         strncmp(reply, "HTTP/1.1 ", 9) != 0)) {
        abort(); /* the server stopped answering */
    }
    return 0;
}
