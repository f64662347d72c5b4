/*
 * wl_internal.h - private to workloads/; everyone else includes wl.h.
 *
 * The step kinds' runners, one per file, which step.c's wl_step_run()
 * dispatches to. Each is called with s and env already checked non-NULL
 * and follows wl_step_run()'s contract for its kind.
 */
#ifndef GILSIM_WL_INTERNAL_H
#define GILSIM_WL_INTERNAL_H

#include "wl.h"

/* cpu.c: run s->instructions in chunks of env->check_every. */
enum wl_outcome wl__cpu_step_run(const struct wl_step *s,
                                 const struct wl_env *env, int64_t *arg_out);

#endif /* GILSIM_WL_INTERNAL_H */
