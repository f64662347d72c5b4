/*
 * stop.c - Ctrl-C and SIGTERM during a run or a sweep.
 *
 * sim_stop_install() points SIGINT and SIGTERM at a handler that records
 * the signal and sets one stop flag, which the steps read between chunks
 * (wl_env.stop): the threads finish their chunk, and what ran is still
 * written. SA_RESETHAND makes a second Ctrl-C end gilsim at once.
 * sim_stop_restore() puts the old handlers back. A job a sweep forked
 * (sweep_run.c) takes sim_stop_install_job()'s, without SA_RESETHAND:
 * the terminal's Ctrl-C and the one its sweep passes on may both reach
 * it, and the second must not end it before it wrote what it did. The
 * flag and the signal
 * are process-wide, as signals are; sim_stop_reset() clears them before a
 * run.
 */
#include <string.h>

#include "run.h"

static atomic_int stop_flag;
static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
    stop_signal = sig;
    atomic_store(&stop_flag, 1);
}

void
sim_stop_reset(void)
{
    atomic_store(&stop_flag, 0);
    stop_signal = 0;
}

atomic_int *
sim_stop_flag(void)
{
    return &stop_flag;
}

int
sim_stop_requested(void)
{
    return atomic_load(&stop_flag) != 0;
}

int
sim_stop_signal(void)
{
    return (int)stop_signal;
}

void
sim_stop_install(struct sim_stop *s)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = (int)SA_RESETHAND; /* glibc's is unsigned 0x80000000 */
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, &s->old_int);
    (void)sigaction(SIGTERM, &sa, &s->old_term);
}

void
sim_stop_install_job(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
}

void
sim_stop_restore(const struct sim_stop *s)
{
    (void)sigaction(SIGINT, &s->old_int, NULL);
    (void)sigaction(SIGTERM, &s->old_term, NULL);
}
