/*
 * fiber.h - user-space contexts for the engine's threads (engine.c only):
 * a stack of its own for each model thread, and switches between them and
 * the controller (the OS thread that runs vt_run) that ASan and TSan are
 * told about.
 *
 * A fiber is entered once with setcontext; later switches are
 * _setjmp/_longjmp, which leave the signal mask alone (swapcontext saves
 * and restores it with a system call at every switch, which was half of
 * a large run's time). Sanitizer builds keep swapcontext, whose switches
 * ASan and TSan follow (TSan cannot follow a longjmp to a buffer another
 * fiber set).
 */
#ifndef GILSIM_VT_FIBER_H
#define GILSIM_VT_FIBER_H

#include <setjmp.h>
#include <stddef.h>
#include <ucontext.h>

struct vt_fiber {
    ucontext_t uc;
    jmp_buf jb;  /* where it was switched out (without sanitizers) */
    int entered; /* 1 once its context was first set */
    char *map;   /* its stack's mapping, guard page first; NULL for the
                    controller, which runs on the OS thread's stack */
    size_t map_bytes;
    void *asan_fake;    /* ASan's fake stack while switched out */
    const void *stack;  /* the controller's stack, learnt by ASan on the */
    size_t stack_bytes; /* first switch out */
    void *tsan_fiber;
};

/* A fiber that starts in entry() on a new stack. 0 or -errno. */
int vt_fiber_init(struct vt_fiber *f, void (*entry)(void));
/* The controller: the calling OS thread as it is. */
void vt_fiber_init_controller(struct vt_fiber *c);
/* Free a fiber's stack (not the controller's). */
void vt_fiber_destroy(struct vt_fiber *f);
/* Leave `from` (the running context) for `to`; return when something
 * switches back to `from`. With `dying`, `from` is never switched back to
 * and the call does not return. */
void vt_fiber_switch(struct vt_fiber *from, struct vt_fiber *to, int dying);
/* The first call of a fiber's entry(): finish the switch that entered it. */
void vt_fiber_entered(struct vt_fiber *self);

#endif /* GILSIM_VT_FIBER_H */
