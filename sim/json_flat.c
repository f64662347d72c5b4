/*
 * json_flat.c - a strict reader of flat JSON objects, on libjansson:
 * calibration.json, and the one object the calibration program prints.
 *
 * jansson parses the text (RFC 8259, strictly: no trailing commas, no
 * NaN, no number out of range, no text after the value, no \u0000, no
 * lone surrogate, duplicate keys refused) and says where a fault is by
 * line and column. sim_flatjson_parse() then accepts exactly one object
 * whose values are strings, numbers, true, false, null or arrays of
 * strings, and hands each member, in the order of the file, to a callback
 * that decides which keys it knows.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "calibrate.h"

/* The member's value as a struct sim_json_value; *scratch (malloc'd, or
 * NULL) holds an array's strings back to back. 0, or -EBADMSG with `err`
 * naming the key. */
static int
to_value(const char *key, json_t *j, struct sim_json_value *v, char **scratch,
         char *err, size_t errlen)
{
    size_t i, total = 0, at = 0;
    json_t *e;

    memset(v, 0, sizeof(*v));
    switch (json_typeof(j)) {
    case JSON_NULL:
        v->type = SIM_JSON_NULL;
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        v->type = SIM_JSON_BOOL;
        v->boolean = json_is_true(j);
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
        v->type = SIM_JSON_NUMBER;
        v->number = json_number_value(j);
        return 0;
    case JSON_STRING:
        v->type = SIM_JSON_STRING;
        v->string = json_string_value(j);
        return 0;
    case JSON_ARRAY:
        json_array_foreach(j, i, e)
        {
            if (!json_is_string(e)) {
                (void)snprintf(err, errlen,
                               "\"%.64s\" holds an array of other than "
                               "strings",
                               key);
                return -EBADMSG;
            }
            total += json_string_length(e) + 1;
        }
        *scratch = malloc(total + 1);
        if (*scratch == NULL) {
            (void)snprintf(err, errlen, "out of memory");
            return -ENOMEM;
        }
        json_array_foreach(j, i, e)
        {
            memcpy(*scratch + at, json_string_value(e),
                   json_string_length(e) + 1);
            at += json_string_length(e) + 1;
        }
        v->type = SIM_JSON_ARRAY;
        v->string = *scratch;
        v->n = json_array_size(j);
        return 0;
    case JSON_OBJECT:
        break;
    }
    (void)snprintf(err, errlen, "\"%.64s\" holds an object, not a flat value",
                   key);
    return -EBADMSG;
}

int
sim_flatjson_parse(const char *text, size_t len,
                   int (*member)(const char *key,
                                 const struct sim_json_value *v, void *ctx,
                                 char *err, size_t errlen),
                   void *ctx, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root, *val;
    const char *key;
    int rc = 0;

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        (void)snprintf(err, errlen, "bad JSON at line %d, column %d: %s",
                       je.line, je.column, je.text);
        return -EBADMSG;
    }
    if (!json_is_object(root)) {
        (void)snprintf(err, errlen, "expected a JSON object");
        json_decref(root);
        return -EBADMSG;
    }
    json_object_foreach(root, key, val)
    {
        struct sim_json_value v;
        char *scratch = NULL;

        rc = to_value(key, val, &v, &scratch, err, errlen);
        if (rc == 0) {
            rc = member(key, &v, ctx, err, errlen);
        }
        free(scratch);
        if (rc != 0) {
            break;
        }
    }
    json_decref(root);
    return rc;
}
