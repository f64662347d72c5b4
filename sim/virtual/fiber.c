/*
 * fiber.c - the engine's user-space contexts (see fiber.h): stacks mapped
 * NORESERVE with a guard page, entry by setcontext, switches by
 * _setjmp/_longjmp (swapcontext in sanitizer builds), and the ASan and
 * TSan fiber annotations around every switch.
 */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */
/* _FORTIFY_SOURCE (hardened builds: dpkg-buildflags, Ubuntu's gcc) turns
 * _longjmp into __longjmp_chk, which aborts a jump to another fiber's
 * stack ("longjmp causes uninitialized stack frame"). */
#undef _FORTIFY_SOURCE
#include "fiber.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* GCC says which sanitizer it builds with by __SANITIZE_*__, clang (14)
 * by __has_feature. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VT_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define VT_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(VT_ASAN)
#define VT_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(VT_TSAN)
#define VT_TSAN 1
#endif
#ifdef VT_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef VT_TSAN
#include <sanitizer/tsan_interface.h>
#endif
#if !defined(VT_ASAN) && !defined(VT_TSAN)
#define VT_JMP_SWITCH 1 /* switch with _setjmp/_longjmp (fiber.h) */
#endif

/* Each fiber's stack: the model's code is shallow (a step, the GIL, a
 * trace record), but sanitizer builds need room. Mapped NORESERVE, so
 * only the pages touched cost memory; a guard page below catches an
 * overflow. */
#define VT_STACK_BYTES ((size_t)512 * 1024)

/* The fiber the switch under way leaves (engines may run on several OS
 * threads, hence thread-local). */
static _Thread_local struct vt_fiber *tls_from;

_Noreturn static void
fiber_fatal(const char *what)
{
    fprintf(stderr, "gilsim: fatal: virtual engine: %s\n", what);
    abort();
}

int
vt_fiber_init(struct vt_fiber *f, void (*entry)(void))
{
    size_t page = (size_t)getpagesize();
    size_t bytes = VT_STACK_BYTES + page;
    char *map;

    memset(f, 0, sizeof(*f));
    map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED) {
        return -errno;
    }
    if (mprotect(map, page, PROT_NONE) != 0 || getcontext(&f->uc) != 0) {
        int rc = -errno;

        (void)munmap(map, bytes);
        return rc;
    }
    f->map = map;
    f->map_bytes = bytes;
    f->uc.uc_stack.ss_sp = map + page;
    f->uc.uc_stack.ss_size = VT_STACK_BYTES;
    f->uc.uc_link = NULL;
    makecontext(&f->uc, entry, 0);
#ifdef VT_TSAN
    f->tsan_fiber = __tsan_create_fiber(0);
#endif
    return 0;
}

void
vt_fiber_init_controller(struct vt_fiber *c)
{
    memset(c, 0, sizeof(*c));
    c->entered = 1;
#ifdef VT_TSAN
    c->tsan_fiber = __tsan_get_current_fiber();
#endif
}

void
vt_fiber_destroy(struct vt_fiber *f)
{
    if (f->map == NULL) {
        return; /* never started, or the controller */
    }
#ifdef VT_TSAN
    if (f->tsan_fiber != NULL) {
        __tsan_destroy_fiber(f->tsan_fiber);
    }
#endif
    (void)munmap(f->map, f->map_bytes);
    f->map = NULL;
}

/* In the context just resumed: finish the sanitizers' switch, and learn
 * the controller's stack when it was the one left. */
static void
arrived(struct vt_fiber *self)
{
#ifdef VT_ASAN
    const void *bottom = NULL;
    size_t size = 0;

    __sanitizer_finish_switch_fiber(self->asan_fake, &bottom, &size);
    if (tls_from != NULL && tls_from->map == NULL) {
        tls_from->stack = bottom;
        tls_from->stack_bytes = size;
    }
#else
    (void)self;
#endif
}

void
vt_fiber_entered(struct vt_fiber *self)
{
    arrived(self);
}

#ifdef VT_JMP_SWITCH
/* Run `to` from where it was switched out, or from its entry if it never
 * ran. */
_Noreturn static void
jump_to(struct vt_fiber *to)
{
    if (!to->entered) {
        to->entered = 1;
        setcontext(&to->uc);
        fiber_fatal("setcontext");
    }
    _longjmp(to->jb, 1);
}
#endif

void
vt_fiber_switch(struct vt_fiber *from, struct vt_fiber *to, int dying)
{
    tls_from = from;
#ifdef VT_ASAN
    {
        size_t page = (size_t)getpagesize();

        __sanitizer_start_switch_fiber(
            dying ? NULL : &from->asan_fake,
            to->map != NULL ? (const void *)(to->map + page) : to->stack,
            to->map != NULL ? to->map_bytes - page : to->stack_bytes);
    }
#endif
#ifdef VT_TSAN
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#endif
#ifdef VT_JMP_SWITCH
    if (dying) {
        jump_to(to);
    }
    if (_setjmp(from->jb) == 0) {
        jump_to(to);
    }
#else
    if (dying) {
        setcontext(&to->uc);
        fiber_fatal("setcontext");
    }
    if (swapcontext(&from->uc, &to->uc) != 0) {
        fiber_fatal("swapcontext");
    }
#endif
    arrived(from);
}
