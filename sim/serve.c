/*
 * serve.c - `gilsim serve`: the loopback latency server alone, in the
 * foreground, for experiments with real Python clients (bench/fidelity)
 * or curl.
 *
 * SIGINT and SIGTERM are blocked before the server's thread starts, so
 * that thread inherits the mask and never takes them; the main thread then
 * waits for either with sigwait(), stops the server and prints what it
 * served. The address goes to stdout as the first line, so a script can
 * read the port when --port=0 picked a free one.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "run.h"

int
sim_serve_main(const struct sim_options *o, FILE *out, FILE *err)
{
    struct wl_server_stats st;
    struct wl_server *srv = NULL;
    sigset_t set, old;
    int sig = 0;
    int status;

    (void)sigemptyset(&set);
    (void)sigaddset(&set, SIGINT);
    (void)sigaddset(&set, SIGTERM);
    (void)pthread_sigmask(SIG_BLOCK, &set, &old);
    status = sim_run_server_start(o, &srv, err);
    if (status != SIM_EXIT_OK) {
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
        return status;
    }
    fprintf(out, "http://%s:%d/top250?start={page}\n", o->bind,
            wl_server_port(srv));
    fprintf(out,
            "gilsim serve: latency %.6g ms, jitter %.6g ms, body %lld B, "
            "fail rate %.6g, seed %llu; Ctrl-C stops\n",
            (double)sim_opt_latency_ns(o) / 1e6, (double)o->jitter_ns / 1e6,
            (long long)sim_opt_body_size(o), o->fail_rate,
            (unsigned long long)o->seed);
    {
        struct wl_server_stats now;

        wl_server_get_stats(srv, &now);
        fprintf(out,
                "gilsim serve: at most %llu connections at once (half the "
                "descriptor limit); a connection that owes a request is "
                "closed after 30 s, or sooner when the cap is reached and "
                "another waits; up to %llu MiB of page bodies are kept for "
                "reuse\n",
                (unsigned long long)now.max_connections,
                (unsigned long long)(now.body_cache_cap >> 20));
    }
    fflush(out);
    while (sigwait(&set, &sig) != 0) {
    }
    wl_server_get_stats(srv, &st);
    wl_server_stop(srv);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(out,
            "gilsim serve: stopped by signal %d after %llu requests (%llu ok; "
            "injected: %llu 500, %llu closed, %llu stalled) on %llu "
            "connections, at most %llu at once; %llu idle ones closed to "
            "make room, %llu for not sending a request within 30 s; "
            "%llu bodies made, %llu replies from kept ones, %llu dropped "
            "for room\n",
            sig, (unsigned long long)st.requests,
            (unsigned long long)st.replies_ok,
            (unsigned long long)st.injected_500,
            (unsigned long long)st.injected_close,
            (unsigned long long)st.injected_stall,
            (unsigned long long)st.connections,
            (unsigned long long)st.connections_max,
            (unsigned long long)st.connections_evicted,
            (unsigned long long)st.connections_timed_out,
            (unsigned long long)st.body_cache_misses,
            (unsigned long long)st.body_cache_hits,
            (unsigned long long)st.body_cache_evictions);
    return SIM_EXIT_OK;
}
