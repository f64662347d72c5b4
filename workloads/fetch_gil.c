/*
 * fetch_gil.c - the fetch's choreography: when a fetch releases the GIL,
 * when it takes it back, and what Python work runs in between, written
 * once for every engine that fetches.
 *
 * CPython's requests.Session.get, traced call by call (docs/fidelity.md),
 * does this with the GIL:
 *
 *   1. wl_fetch_gil_request: Python builds the request under the GIL
 *      (request_instructions less after_send_instructions, plus the
 *      process's first-fetch cost the first time), cut in equal
 *      parts by quick_releases - 1 quick calls (os.stat of ~/.netrc and
 *      ~/_netrc, urllib3's poll(0)): each releases the GIL around a
 *      system call that returns at once and takes it back.
 *   2. wl_fetch_gil_block: a name lookup or a connect blocks without the
 *      GIL (getaddrinfo(), connect()).
 *   3. wl_fetch_gil_send: the send (sendall()) runs without the GIL; if
 *      a connect released it, it is taken back first, as
 *      create_connection() returns into Python before sendall().
 *      wl_fetch_gil_sent: sendall() returns; the GIL is taken back, the
 *      last quick call (settimeout's ioctl), after_send_instructions of
 *      http.client's getresponse, and the GIL is released for the recv.
 *   4. wl_fetch_gil_chunk: each chunk received takes the GIL back and
 *      runs chunk_instructions plus, for its bytes, the receive curve's
 *      cost at their offsets into the body (wl_recv_instructions);
 *      wl_fetch_gil_chunk_done releases it for
 *      the next recv, except after the chunk that completes the body:
 *      CPython's last recv() is followed by Python code, so it retakes
 *      the GIL once there, not twice.
 *   5. wl_fetch_gil_end: the transfer is over, whatever its outcome;
 *      the GIL is taken back if it is still released.
 *
 * Why the send and the recvs are released apart, with a retake between
 * them: requests' round trip is sendall(), settimeout(), recv_into(),
 * each its own Py_BEGIN/END_ALLOW_THREADS. A CPU thread woken by the
 * send's release can take the GIL before sendall() returns, and the
 * sender then waits for it like any other waiter; timing each call in
 * CPython's convoy (bench/fidelity/calltimes.py, docs/fidelity.md) shows
 * the retake after sendall() is where the I/O thread loses the GIL most
 * often. The work between the send and the recv matters too: without it
 * the forced dropper, just woken by the retake, finds the GIL free again
 * at once, and the reply then waits a second interval. A quick call frees
 * the GIL for a microsecond or two; a woken CPU thread rarely takes it
 * in that time, but when it does the fetch waits an interval or more.
 * So a transfer of k chunks takes the GIL back k + 1 times, plus once per
 * quick call, and beside a CPU-bound thread each of those may cost a
 * switch interval: the convoy effect (bpo-7946, GIL.md 4.3).
 *
 * An engine calls the phases at the moments its transfer reaches them:
 * fetch.c from libcurl's callbacks, the virtual engine between the spans
 * it simulates. The struct remembers whether the fetch holds the GIL, so
 * each phase releases or retakes it only when it must, and a failure at
 * any point ends with the GIL held after wl_fetch_gil_end.
 *
 * An event loop's fetch follows the same phases with no release or
 * acquire of its own (the loop's turn holds the GIL: NULL operations) and
 * no quick calls: the request's work before the transfer, each chunk's
 * work as it arrives.
 *
 * Includes wl.h only; the GIL and the work are the caller's operations.
 */
#include "wl.h"

/* ---- the receive curve --------------------------------------------------
 */

static const uint64_t band_start[WL_RECV_BANDS] = {0, 64 * 1024, 1024 * 1024,
                                                   4 * 1024 * 1024};

uint64_t
wl_recv_band_start(int i)
{
    return i >= 0 && i < WL_RECV_BANDS ? band_start[i] : UINT64_MAX;
}

double
wl_recv_instructions(const struct wl_recv_curve *c, uint64_t from, uint64_t n)
{
    uint64_t end = n > UINT64_MAX - from ? UINT64_MAX : from + n;
    double sum = 0.0;
    int i;

    for (i = 0; i < WL_RECV_BANDS; i++) {
        uint64_t lo = band_start[i];
        uint64_t hi = wl_recv_band_start(i + 1);
        uint64_t a = from > lo ? from : lo;
        uint64_t b = end < hi ? end : hi;
        double rate = c->per_byte[i];

        if (b > a && rate > 0.0) { /* NaN and negative rates charge 0 */
            sum += rate * (double)(b - a);
        }
    }
    return sum;
}

void
wl_recv_curve_flat(struct wl_recv_curve *c, double per_byte)
{
    int i;

    for (i = 0; i < WL_RECV_BANDS; i++) {
        c->per_byte[i] = per_byte;
    }
}

void
wl_fetch_gil_init(struct wl_fetch_gil *d, const struct wl_fetch_ops *ops,
                  const struct wl_fetch_costs *costs)
{
    d->ops = ops;
    d->costs = *costs;
    d->received = 0;
    d->released = 0;
    d->released_at = 0;
    d->cold = 0;
}

static void
release(struct wl_fetch_gil *d)
{
    if (!d->released) {
        d->released = 1;
        if (d->ops->now != NULL) {
            d->released_at = d->ops->now(d->ops->ctx);
        }
        if (d->ops->release != NULL) {
            d->ops->release(d->ops->ctx);
        }
    }
}

/* Takes the GIL back; a thread that was off it for cold_after_ns or more
 * resumes cold (see cold_resume.py in bench/fidelity). */
static void
acquire(struct wl_fetch_gil *d)
{
    if (d->released) {
        d->released = 0;
        if (d->ops->acquire != NULL) {
            d->ops->acquire(d->ops->ctx);
        }
        if (d->ops->now != NULL && d->costs.cold_instructions > 0 &&
            d->ops->now(d->ops->ctx) - d->released_at >=
                d->costs.cold_after_ns) {
            d->cold = 1;
        }
    }
}

static enum wl_outcome
work(struct wl_fetch_gil *d, int64_t instructions)
{
    if (d->cold) {
        d->cold = 0;
        instructions += d->costs.cold_instructions;
    }
    return d->ops->work(d->ops->ctx, instructions);
}

/* A system call that returns at once, with the GIL released around it. */
static void
quick_call(struct wl_fetch_gil *d)
{
    if (d->cold) {
        /* The Python code before this call runs cold first (a stop is
         * seen at the next work). */
        (void)work(d, 0);
    }
    release(d);
    if (d->ops->quick_call != NULL) {
        d->ops->quick_call(d->ops->ctx);
    }
    acquire(d);
}

enum wl_outcome
wl_fetch_gil_request(struct wl_fetch_gil *d)
{
    /* The process's first fetch also runs what the client leaves for
     * first use (struct wl_interp): before the send, with the rest. */
    int64_t n = d->costs.request_instructions -
                d->costs.after_send_instructions +
                wl_interp_first_fetch(d->costs.interp);
    int quick = d->costs.quick_releases > 0 ? d->costs.quick_releases - 1 : 0;
    int64_t done = 0;
    int i;

    /* Part i is what is left over the parts left, so the parts differ
     * by one instruction at most. */
    for (i = 0; i <= quick; i++) {
        int64_t part = (n - done) / (quick + 1 - i);
        enum wl_outcome o = work(d, part);

        if (o != WL_OK) {
            return o;
        }
        done += part;
        if (i < quick) {
            quick_call(d);
        }
    }
    return WL_OK;
}

void
wl_fetch_gil_block(struct wl_fetch_gil *d)
{
    release(d);
}

void
wl_fetch_gil_send(struct wl_fetch_gil *d)
{
    acquire(d);
    release(d);
}

enum wl_outcome
wl_fetch_gil_sent(struct wl_fetch_gil *d)
{
    enum wl_outcome o;

    acquire(d);
    if (d->costs.quick_releases > 0) {
        quick_call(d); /* settimeout(), right after sendall() */
    }
    o = work(d, d->costs.after_send_instructions);
    release(d);
    return o;
}

enum wl_outcome
wl_fetch_gil_chunk(struct wl_fetch_gil *d, uint64_t bytes)
{
    double per_byte = wl_recv_instructions(&d->costs.recv, d->received, bytes);

    d->received += bytes;
    acquire(d);
    if (!(per_byte < 1e15)) {
        per_byte = 1e15;
    }
    return work(d, d->costs.chunk_instructions + (int64_t)(per_byte + 0.5));
}

void
wl_fetch_gil_chunk_done(struct wl_fetch_gil *d, int completes)
{
    if (!completes) {
        release(d);
    }
}

void
wl_fetch_gil_reply(struct wl_fetch_gil *d)
{
    acquire(d);
}

void
wl_fetch_gil_end(struct wl_fetch_gil *d)
{
    acquire(d);
}
