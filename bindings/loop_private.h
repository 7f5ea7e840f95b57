/* Internal to bindings/loop*.c: the scheduler's structures and the functions its
 * files share. loop.c: the loop object, waiters, ready queue, drain, await/wake,
 * run; loop_task.c: task lifecycle and the task API; loop_wait.c: sleep, park,
 * join (their timers). Nothing outside the scheduler includes this. */
#ifndef OCIP_BINDINGS_LOOP_PRIVATE_H
#define OCIP_BINDINGS_LOOP_PRIVATE_H
#include <stdint.h>
#include "bindings/loop.h"

#define TASK_MT "ocip.task"

typedef struct ocip_task ocip_task;
typedef struct join_rec join_rec;

struct ocip_waiter {
    ocip_loop *lp;
    ocip_task *task;            /* NULL once the wait was cancelled */
    ocip_cancel_fn on_cancel;
    void *cancel_data;
    ocip_push_fn push;          /* set by ocip_wake; NULL pushes nothing */
    void *data;
    int woken;
    int yielded;                /* queued by a cooperative yield (runs in the next turn) */
    ocip_waiter *prev, *next;   /* every outstanding waiter (for teardown) */
    ocip_waiter *qnext;         /* ready queue */
};

enum { T_READY, T_RUNNING, T_WAITING, T_DONE };

struct ocip_task {
    ocip_loop *lp;
    lua_State *co;              /* NULL once done */
    int ref;                    /* registry ref to the userdata while alive */
    int state;
    int started, is_main, cancelled, ok;
    int finishing;              /* its to-be-closed variables are running: as good as done
                                   (a __close handler that cancels it must not finish it twice) */
    ocip_waiter *wait;          /* the wait that will resume it (await, start or requeue) */
    ocip_waiter *park_w;        /* set while parked in core.park and not yet woken */
    uv_timer_t *park_timer;
    join_rec *joiners;
};

struct ocip_loop {
    uv_loop_t uv;
    uv_check_t check;
    uv_idle_t idle;
    lua_State *L;               /* state running the drain (valid inside uv_run / teardown) */
    ocip_waiter *qhead, *qtail;
    size_t qlen;
    ocip_waiter *all;
    ocip_closer *closers;       /* teardown hooks (ocip_loop_closer_add) */
    int live;                   /* tasks not done */
    int running, closing, failed, inited;
};

struct join_rec {
    ocip_loop *lp;
    ocip_waiter *w;
    ocip_task *target;
    int target_ref;             /* keeps the target's userdata (results) alive */
    int timed_out;
    uv_timer_t *timer;
    join_rec *next;
};

/* loop.c */
void *loop_xcalloc(lua_State *L, size_t n);     /* raises on no memory */
void loop_push_tasks(lua_State *L);             /* pushes { [thread] = task userdata } */
ocip_task *loop_task_of(lua_State *L);          /* the task whose coroutine is L, or NULL */
ocip_waiter *loop_waiter_new(lua_State *L, ocip_loop *lp, ocip_task *t);
void loop_enqueue(ocip_waiter *w);
/* The running task of L, or raises the error ocip_await documents. */
ocip_task *loop_await_check(lua_State *L, const char *what);

/* loop_task.c */
ocip_task *loop_task_new(lua_State *L, ocip_loop *lp, int nargs);
void loop_task_resume(ocip_loop *lp, ocip_task *t, int nargs);
void loop_cancel_all(lua_State *L, const char *kind, const char *msg);
ocip_task *loop_check_task(lua_State *L, int idx);
void loop_push_task_ud(lua_State *L, ocip_task *t);
void loop_task_mt(lua_State *L);                /* creates the ocip.task metatable */
void loop_open_task(lua_State *L);              /* spawn/current/cancel/task_status */

/* loop_wait.c */
void loop_push_results(lua_State *L, int ud);   /* ok, results... of a done task's userdata */
void loop_wake_joiners(ocip_task *t);
void loop_park_stop_timer(ocip_task *t);
void loop_cancel_timers(ocip_loop *lp);         /* before teardown: cancel sleep/park/join waits */
int loop_l_join(lua_State *L);                  /* core.join, also the method t:join */
void loop_open_wait(lua_State *L);              /* sleep/now/park/unpark/join */

#endif
