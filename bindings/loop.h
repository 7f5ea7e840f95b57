/* The scheduler: one per lua_State, kept in the registry, on a libuv loop.
 * Tasks are Lua coroutines owned by the scheduler. A C function that needs I/O
 * registers the running task with ocip_await() and yields; the I/O completion
 * calls ocip_wake() from a libuv callback, which only queues the task; the
 * ready queue is drained from a libuv check/idle handle, which pushes the
 * results and resumes the coroutine (never re-entrantly inside the I/O callback). */
#ifndef OCIP_LOOP_H
#define OCIP_LOOP_H
#include <uv.h>
#include <lua.h>

typedef struct ocip_loop ocip_loop;
typedef struct ocip_waiter ocip_waiter;

/* The scheduler of this Lua state (created on first use, freed with the state). */
ocip_loop *ocip_loop_get(lua_State *L);
uv_loop_t *ocip_loop_uv(ocip_loop *lp);

/* Called when the waiting task is cancelled (ocip.timeout expired, task killed):
 * the I/O owner must stop the operation and still call ocip_wake() once
 * (now or later); the pushed values are then discarded. */
typedef void (*ocip_cancel_fn)(void *data);

/* Pushes the results onto the coroutine `co` and returns how many were pushed.
 * Called from the drain, just before resuming. When the task was cancelled it is
 * called with co == NULL: free `data`, push nothing. */
typedef int (*ocip_push_fn)(lua_State *co, void *data);

/* Registers the running task as waiting. Raises a Lua error ("ocip: <what> must be
 * called from an ocip task (ocip.run / ocip.spawn)") when L is not a task that can
 * yield. After it, the C function returns lua_yield(L, 0). Every ocip_await is
 * matched by exactly one ocip_wake. */
ocip_waiter *ocip_await(lua_State *L, const char *what, ocip_cancel_fn on_cancel, void *cancel_data);

/* Completes a wait: queues the task; `push` runs later in the drain. Safe to call
 * from any libuv callback, and from inside the C function before it yields. */
void ocip_wake(ocip_waiter *w, ocip_push_fn push, void *data);

/* Teardown hook. At lua_close the loop finally closes every handle still open, with no
 * close callback: memory that a handle's close callback would free is then lost. An owner
 * whose handles outlive its own __gc (a closed connection still draining its writes)
 * registers a closer; the loop calls (and unlinks) each one first, before that sweep, so
 * the owner can close its handles with their real callbacks. Remove is a no-op when the
 * closer is not registered; both are only for loops created by ocip_loop_get. */
typedef struct ocip_closer ocip_closer;
struct ocip_closer {
    void (*fn)(ocip_closer *c);
    ocip_closer *prev, *next;
    int linked;
};
void ocip_loop_closer_add(uv_loop_t *uv, ocip_closer *c);
void ocip_loop_closer_remove(uv_loop_t *uv, ocip_closer *c);

/* Like lua_pcall: the function and then its `nargs` arguments are on top of L's
 * stack (all popped). Runs them as the main task, used by the host and ocip.run
 * (when not already inside a task). Runs the loop
 * until the main task and every spawned task have ended. Returns LUA_OK or an
 * error status with the error value (the task's error, traceback added) on L. */
int ocip_loop_run_main(lua_State *L, int nargs);

/* Returns 1 (and clears the flag) when a spawned task that nobody joined ended with an
 * error since the last call (it was reported on stderr); the host then exits 1. */
int ocip_loop_failed(lua_State *L);

#endif
