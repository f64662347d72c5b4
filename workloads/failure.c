/*
 * failure.c - why a step failed, as a number and as a sentence.
 *
 * A failed step's trace argument is its failure code: the HTTP status for
 * WL_HTTP_ERROR, libcurl's CURLcode for the other fetch failures
 * (refused, timeout, failed), errno for a write's WL_IO_ERROR, 0 when
 * there is none (aborted). wl_failure_text turns (outcome, code) into the
 * words a user reads in summary.json, trace.json and the closing line:
 * libcurl's own text (curl_easy_strerror), the HTTP status with its
 * reason phrase, or strerror. The virtual engine, which fetches nothing,
 * takes the codes libcurl gives for the embedded server's injected
 * failures (wl_failure_code_injected), so both engines say the same.
 */
#include <curl/curl.h>
#include <string.h>

#include "base.h"
#include "wl_internal.h"

/* The reason phrase of the statuses a server commonly sends. */
static const char *
reason_phrase(int64_t status)
{
    static const struct {
        int status;
        const char *text;
    } phrases[] = {
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {408, "Request Timeout"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    size_t i;

    for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
        if (phrases[i].status == status) {
            return phrases[i].text;
        }
    }
    return "";
}

void
wl_failure_text(enum wl_outcome o, int64_t code, char *buf, size_t len)
{
    char etext[128];
    const char *phrase;

    switch (o) {
    case WL_OK:
        (void)snprintf(buf, len, "ok");
        return;
    case WL_HTTP_ERROR:
        phrase = reason_phrase(code);
        (void)snprintf(buf, len, "HTTP %lld%s%s", (long long)code,
                       phrase[0] != '\0' ? " " : "", phrase);
        return;
    case WL_IO_ERROR:
        if (code > 0) {
            base_errtext((int)code, etext, sizeof(etext));
            (void)snprintf(buf, len, "write: %s", etext);
        } else {
            (void)snprintf(buf, len, "write failed");
        }
        return;
    case WL_ABORTED:
        (void)snprintf(buf, len, "aborted (Ctrl-C, or its worker died)");
        return;
    case WL_FAILED:
    case WL_REFUSED:
    case WL_TIMEOUT:
        break;
    }
    if (code > 0 && code < CURL_LAST) {
        (void)snprintf(buf, len, "curl error %lld: %s", (long long)code,
                       curl_easy_strerror((CURLcode)code));
    } else {
        (void)snprintf(buf, len, "%s", wl_outcome_name(o));
    }
}

int64_t
wl_failure_code_injected(enum wl_outcome o)
{
    switch (o) {
    case WL_HTTP_ERROR:
        return 500; /* the server's injected 500 */
    case WL_TIMEOUT:
        return CURLE_OPERATION_TIMEDOUT; /* a reply withheld */
    case WL_FAILED:
        return CURLE_PARTIAL_FILE; /* closed mid-body */
    case WL_REFUSED:
        return CURLE_COULDNT_CONNECT;
    default:
        return 0;
    }
}

int64_t
wl__fetch_code(CURL *c, CURLcode rc)
{
    long status = 0;

    if (rc != CURLE_OK) {
        return (int64_t)rc;
    }
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
        return 0;
    }
    return (int64_t)status;
}
