/*
 * wl_internal.h - private to workloads/; everyone else includes wl.h.
 *
 * The step kinds' runners, one per file, which step.c's wl_step_run()
 * dispatches to. Each is called with s and env already checked non-NULL
 * and follows wl_step_run()'s contract for its kind.
 *
 * Also the inside of struct wl_io, which io.c creates and frees and
 * fetch.c and write.c use, and the cpu helper that fetch and write steps
 * run their Python-side work with.
 */
#ifndef GILSIM_WL_INTERNAL_H
#define GILSIM_WL_INTERNAL_H

#include "wl.h"

#include <curl/curl.h>

/* A native step (cpu.c): the GIL released, duration_ns of the calibrated
 * spin on this core, the GIL taken back; *arg_out the ns it ran. */
enum wl_outcome wl__native_step_run(const struct wl_step *s,
                                    const struct wl_env *env, int64_t *arg_out);

/* cpu.c: run s->instructions (plus s->instr_per_byte per byte of the last
 * fetched body, or until env->until is set) in chunks of env->check_every. */
enum wl_outcome wl__cpu_step_run(const struct wl_step *s,
                                 const struct wl_env *env, int64_t *arg_out);

/* cpu.c: run `n` instructions under the GIL with a check every
 * env->check_every of them, as a cpu step would: the Python-side work of
 * fetch and write steps. WL_OK, WL_ABORTED (env->stop) or WL_FAILED (bad
 * env or n < 0). *done (may be NULL) receives the instructions run. */
enum wl_outcome wl__cpu_instructions(const struct wl_env *env, int64_t n,
                                     int64_t *done);

/* fetch.c: fetch the step's page into env->io's body. */
enum wl_outcome wl__fetch_step_run(const struct wl_step *s,
                                   const struct wl_env *env, int64_t *arg_out);

/* fetch.c: libcurl's CURLOPT_WRITEFUNCTION and CURLOPT_XFERINFOFUNCTION,
 * installed once by wl_io_new; their data is the transfer's state, set
 * by wl__fetch_step_run for each transfer. */
size_t wl__fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *data);
int wl__fetch_xferinfo_cb(void *data, curl_off_t dltotal, curl_off_t dlnow,
                          curl_off_t ultotal, curl_off_t ulnow);

/* fetch.c: libcurl's CURLOPT_DEBUGFUNCTION, RESOLVER_START, SOCKOPT and
 * PREREQFUNCTION, installed by wl_io_new (not on multi.c's handles):
 * the GIL is released for a name lookup, a connect and the send, and
 * retaken once the request was sent, as CPython does around
 * getaddrinfo(), connect() and sendall(). */
int wl__fetch_debug_cb(CURL *c, curl_infotype type, char *ptr, size_t size,
                       void *data);
int wl__fetch_resolver_start_cb(void *resolver_state, void *reserved,
                                void *data);
int wl__fetch_sockopt_cb(void *data, curl_socket_t fd, curlsocktype purpose);
int wl__fetch_prereq_cb(void *data, char *primary_ip, char *local_ip,
                        int primary_port, int local_port);

/* fetch.c: what a finished transfer of handle `c` that ended with `rc`
 * amounts to (an HTTP status >= 400 is WL_HTTP_ERROR). */
enum wl_outcome wl__fetch_outcome(CURL *c, CURLcode rc);
/* failure.c: the failure code of a finished transfer: rc, or the HTTP
 * status when rc is CURLE_OK. */
int64_t wl__fetch_code(CURL *c, CURLcode rc);

/* io.c: set the options every fetch shares on `c` (timeouts from cfg,
 * 8 KiB receive buffer, no redirects, error text into errbuf, fetch.c's
 * callbacks). 0, or -ENOMEM if libcurl refused one. */
int wl__io_setup_easy(CURL *c, const struct wl_io_config *cfg, char *errbuf);

/* io.c: mkdir -p `path`. 0 or -errno (-ENOTDIR: a file is in the way). */
int wl__make_dirs(const char *path);

/* read.c: read s->io_bytes of OUT/WL_READ_FILE. */
enum wl_outcome wl__read_step_run(const struct wl_step *s,
                                  const struct wl_env *env, int64_t *arg_out);

/* write.c: write env->io's body to OUT/top250-{page}.html. */
enum wl_outcome wl__write_step_run(const struct wl_step *s,
                                   const struct wl_env *env, int64_t *arg_out);

/* io.c: copy `tpl` to out[0..cap) with every "{page}" replaced by `page`
 * in decimal. The length written (without the NUL), or -1 if it does not
 * fit. */
long wl__io_expand(const char *tpl, int64_t page, char *out, size_t cap);
/* The URL of fetch step s: `tpl` expanded at its page, and its own
 * latency and size as latency_us= and size= query parameters. The length,
 * or -1 if it does not fit in cap (WL__URL_EXTRA more than the template
 * expanded is always enough). */
#define WL__URL_EXTRA 64
long wl__io_step_url(const char *tpl, const struct wl_step *s, char *out,
                     size_t cap);

/*
 * One thread's I/O state (see wl.h). Owned by that thread: nothing in it
 * is locked, and libcurl's easy handle must not be used by two threads at
 * once anyway. `body` is preallocated by wl_io_new and grows (doubling,
 * capped at cfg.max_body) while a fetch appends to it; body_len is reset
 * at the start of every fetch and body_ok says whether the last fetch
 * succeeded.
 */
struct wl_io {
    struct wl_io_config cfg; /* copied at wl_io_new */
    CURL *curl;              /* one easy handle: keep-alive across fetches */
    char errbuf[CURL_ERROR_SIZE]; /* CURLOPT_ERRORBUFFER of the last fetch */
    char *url;                    /* the expanded URL of the current fetch */
    size_t url_cap;               /* bytes at url */
    char *body;                   /* the last fetch's body */
    size_t body_len;              /* bytes of it received */
    size_t body_cap;              /* bytes allocated at body */
    int body_ok;                  /* 1: the last fetch succeeded */
};

#endif /* GILSIM_WL_INTERNAL_H */
