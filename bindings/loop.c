/* The scheduler: tasks (coroutines) on a libuv loop, one per lua_State.
 *
 * State lives in a userdata anchored in the registry (no globals). Every wait is
 * an ocip_waiter: created by ocip_await, completed once by ocip_wake, which only
 * puts it on the ready queue. The queue is drained from a uv_check handle; a
 * uv_idle handle is active while the queue is non-empty so the loop never blocks
 * with work pending. The check handle is unref'd: only real waits (timers, I/O)
 * and queued work keep the loop alive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/loop_private.h"

/* Registry keys: addresses of these constants (never written). */
static const char LOOP_KEY = 'L';   /* -> the loop userdata */
static const char TASKS_KEY = 'T';  /* -> { [thread] = task userdata } for live tasks */

/* ---- small helpers ---------------------------------------------------- */

void *loop_xcalloc(lua_State *L, size_t n) {
    void *p = calloc(1, n);
    if (!p) luaL_error(L, "ocip: out of memory");
    return p;
}

void loop_push_tasks(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &TASKS_KEY); }

/* The task whose coroutine is L, or NULL. */
ocip_task *loop_task_of(lua_State *L) {
    loop_push_tasks(L);
    lua_pushthread(L);
    lua_rawget(L, -2);
    ocip_task *t = lua_touserdata(L, -1);
    lua_pop(L, 2);
    return t;
}

/* ---- waiters and the ready queue ---------------------------------------- */

ocip_waiter *loop_waiter_new(lua_State *L, ocip_loop *lp, ocip_task *t) {
    ocip_waiter *w = loop_xcalloc(L, sizeof *w);
    w->lp = lp;
    w->task = t;
    w->next = lp->all;
    if (lp->all) lp->all->prev = w;
    lp->all = w;
    return w;
}

static void waiter_free(ocip_waiter *w) {
    ocip_loop *lp = w->lp;
    if (w->prev) w->prev->next = w->next; else lp->all = w->next;
    if (w->next) w->next->prev = w->prev;
    free(w);
}

static void idle_cb(uv_idle_t *h) { (void)h; /* only keeps poll from blocking */ }

void loop_enqueue(ocip_waiter *w) {
    ocip_loop *lp = w->lp;
    w->woken = 1;
    w->qnext = NULL;
    if (lp->qtail) lp->qtail->qnext = w; else lp->qhead = w;
    lp->qtail = w;
    lp->qlen++;
    if (lp->inited && !uv_is_active((uv_handle_t *)&lp->idle)) uv_idle_start(&lp->idle, idle_cb);
}

void ocip_wake(ocip_waiter *w, ocip_push_fn push, void *data) {
    if (!w || w->woken) return; /* exactly once: a second wake is a caller bug; ignore it */
    w->push = push;
    w->data = data;
    if (w->lp->closing) { /* teardown: nothing will be resumed */
        w->woken = 1;
        if (push) push(NULL, data);
        waiter_free(w);
        return;
    }
    loop_enqueue(w);
}

/* ---- teardown hooks ----------------------------------------------------- */

void ocip_loop_closer_add(uv_loop_t *uv, ocip_closer *c) {
    if (c->linked) return;
    ocip_loop *lp = uv->data;
    c->prev = NULL;
    c->next = lp->closers;
    if (lp->closers) lp->closers->prev = c;
    lp->closers = c;
    c->linked = 1;
}

void ocip_loop_closer_remove(uv_loop_t *uv, ocip_closer *c) {
    if (!c->linked) return; /* checked first: the loop may be gone */
    ocip_loop *lp = uv->data;
    if (c->prev) c->prev->next = c->next; else lp->closers = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->linked = 0;
}

/* ---- loop userdata ------------------------------------------------------ */

static void check_cb(uv_check_t *h);

static void close_walk(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static int loop_gc(lua_State *L) {
    ocip_loop *lp = lua_touserdata(L, 1);
    if (!lp->inited) return 0;
    /* lua_close from inside a task (os.exit(n, true)) gets here inside uv_run. The process
     * exits right after and never returns into that uv_run, so tear down all the same:
     * skipping it would drop libuv's own allocations along with this userdata. */
    lp->running = 0;
    lp->inited = 0;
    lp->L = L;
    loop_cancel_timers(lp);    /* stops our own timers so they free their memory */
    lp->closing = 1;
    while (lp->closers) {      /* owners close their handles with their real callbacks */
        ocip_closer *c = lp->closers;
        ocip_loop_closer_remove(&lp->uv, c);
        c->fn(c);
    }
    uv_walk(&lp->uv, close_walk, NULL);
    uv_run(&lp->uv, UV_RUN_DEFAULT);
    while (lp->all) {
        ocip_waiter *w = lp->all;
        if (w->woken && w->push) w->push(NULL, w->data);
        waiter_free(w);
    }
    lp->qhead = lp->qtail = NULL;
    /* a pending uv_stop makes one uv_run return before closing handles: retry once */
    if (uv_loop_close(&lp->uv) == UV_EBUSY) {
        uv_walk(&lp->uv, close_walk, NULL);
        uv_run(&lp->uv, UV_RUN_DEFAULT);
        uv_loop_close(&lp->uv);
    }
    return 0;
}

static ocip_loop *loop_create(lua_State *L) {
    ocip_loop *lp = lua_newuserdatauv(L, sizeof *lp, 0);
    memset(lp, 0, sizeof *lp);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, loop_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    int rc = uv_loop_init(&lp->uv);
    if (rc != 0) luaL_error(L, "ocip: cannot create the event loop: %s", uv_strerror(rc));
    lp->uv.data = lp;
    uv_check_init(&lp->uv, &lp->check);
    lp->check.data = lp;
    uv_check_start(&lp->check, check_cb);
    uv_unref((uv_handle_t *)&lp->check);
    uv_idle_init(&lp->uv, &lp->idle);
    lp->idle.data = lp;
    lp->inited = 1;
    lua_rawsetp(L, LUA_REGISTRYINDEX, &LOOP_KEY);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &TASKS_KEY);
    loop_task_mt(L);
    return lp;
}

ocip_loop *ocip_loop_get(lua_State *L) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &LOOP_KEY);
    ocip_loop *lp = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return lp ? lp : loop_create(L);
}

uv_loop_t *ocip_loop_uv(ocip_loop *lp) { return &lp->uv; }

int ocip_loop_failed(lua_State *L) {
    ocip_loop *lp = ocip_loop_get(L);
    int f = lp->failed;
    lp->failed = 0;
    return f;
}

/* ---- drain: resumes the tasks on the ready queue ----------------------- */

/* What is queued now runs; so do tasks woken meanwhile (a command's answer wakes its
 * caller, which spawns the next driver...), within a bound, without a poll of the loop
 * in between (each would be one more epoll_wait): only a cooperative yield made during
 * this drain, and what queues behind it, waits for the next turn, after I/O. */
#define DRAIN_EXTRA 256

static void check_cb(uv_check_t *h) {
    ocip_loop *lp = h->data;
    size_t n = lp->qlen, extra = DRAIN_EXTRA;
    while (lp->qhead) {
        ocip_waiter *w = lp->qhead;
        if (n == 0) {
            if (w->yielded || extra == 0) break;
            extra--;
        } else {
            n--;
        }
        lp->qhead = w->qnext;
        if (!lp->qhead) lp->qtail = NULL;
        lp->qlen--;
        ocip_task *t = w->task;
        ocip_push_fn push = w->push;
        void *data = w->data;
        waiter_free(w);
        if (!t) { /* cancelled: let the owner free its data */
            if (push) push(NULL, data);
            continue;
        }
        t->wait = NULL;
        int nargs = 0;
        if (!t->started) {
            t->started = 1;
            nargs = lua_gettop(t->co) - 1;
        } else if (push) {
            lua_checkstack(t->co, LUA_MINSTACK);
            nargs = push(t->co, data);
        }
        loop_task_resume(lp, t, nargs);
    }
    if (!lp->qhead && uv_is_active((uv_handle_t *)&lp->idle)) uv_idle_stop(&lp->idle);
}

/* ---- await -------------------------------------------------------------- */

/* The running task of L, or raises the error ocip_await documents. */
ocip_task *loop_await_check(lua_State *L, const char *what) {
    ocip_task *t = loop_task_of(L);
    if (!t || t->state != T_RUNNING)
        luaL_error(L, "ocip: %s must be called from an ocip task (ocip.run / ocip.spawn)", what);
    else if (!lua_isyieldable(L))
        luaL_error(L, "ocip: %s cannot wait here: the call is inside a non-yieldable C boundary "
                      "(require, table.sort, string.gsub, a C metamethod...)", what);
    else if (t->wait)
        luaL_error(L, "ocip: %s: the task is already waiting", what);
    return t;
}

ocip_waiter *ocip_await(lua_State *L, const char *what, ocip_cancel_fn on_cancel, void *cancel_data) {
    ocip_loop *lp = ocip_loop_get(L);
    ocip_task *t = loop_await_check(L, what);
    ocip_waiter *w = loop_waiter_new(L, lp, t);
    w->on_cancel = on_cancel;
    w->cancel_data = cancel_data;
    t->wait = w;
    return w;
}

/* ---- run ---------------------------------------------------------------- */

/* Runs fn+args (top of L) as the main task; drives the loop until every task ended.
 * On success pushes the results and returns LUA_OK; on error pushes the raw error
 * value (raw) or the report with traceback (!raw). */
static int run_main(lua_State *L, int nargs, int raw) {
    ocip_loop *lp = ocip_loop_get(L);
    if (lp->running) {
        lua_pop(L, nargs + 1);
        lua_pushliteral(L, "ocip: run: the loop is already running (called from a coroutine that "
                           "is not an ocip task?)");
        return LUA_ERRRUN;
    }
    int base = lua_gettop(L) - nargs - 1;
    ocip_task *t = loop_task_new(L, lp, nargs);   /* base+1: main task userdata */
    t->is_main = 1;
    lua_State *saved = lp->L;
    lp->L = L;
    lp->running = 1;
    int deadlock = 0;
    for (;;) {
        uv_run(&lp->uv, UV_RUN_DEFAULT);
        if (t->state == T_DONE && !t->ok) break;
        if (lp->live == 0) break;
        if (!uv_loop_alive(&lp->uv) && !lp->qhead) {
            deadlock = lp->live;
            break;
        }
    }
    lp->running = 0;
    if (t->state == T_DONE && !t->ok) loop_cancel_all(L, "closed", "task cancelled: the main task failed");
    if (deadlock) loop_cancel_all(L, "closed", "task cancelled: deadlock");
    lp->L = saved;
    if (deadlock) {
        lua_settop(L, base);
        lua_pushfstring(L, "ocip: deadlock: %d task(s) waiting with nothing pending", deadlock);
        return LUA_ERRRUN;
    }
    if (!t->ok) {
        if (raw) {
            lua_getiuservalue(L, base + 1, 2);
            lua_rawgeti(L, -1, 1);
        } else if (lua_getfield(L, LUA_REGISTRYINDEX, "ocip.main_report") == LUA_TNIL) {
            lua_pop(L, 1); /* ended without a traceback (cancelled): its error as text */
            lua_getiuservalue(L, base + 1, 2);
            lua_rawgeti(L, -1, 1);
            luaL_tolstring(L, -1, NULL);
            lua_replace(L, -3);
            lua_pop(L, 1);
        }
        lua_pushnil(L);
        lua_setfield(L, LUA_REGISTRYINDEX, "ocip.main_report");
        lua_replace(L, base + 1);
        lua_settop(L, base + 1);
        return LUA_ERRRUN;
    }
    loop_push_results(L, base + 1);               /* ud true r1..rn */
    lua_remove(L, base + 2);
    lua_remove(L, base + 1);
    return LUA_OK;
}

int ocip_loop_run_main(lua_State *L, int nargs) { return run_main(L, nargs, 0); }

static int run_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    return lua_gettop(L);
}

/* core.run(fn, ...) -> fn's results; raises fn's error. Inside a task: a plain call. */
static int l_run(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    int n = lua_gettop(L);
    ocip_task *me = loop_task_of(L);
    if (me && me->state == T_RUNNING) { /* with a continuation: fn may wait */
        lua_callk(L, n - 1, LUA_MULTRET, 0, run_k);
        return run_k(L, LUA_OK, 0);
    }
    if (run_main(L, n - 1, 1) != LUA_OK) return lua_error(L);
    return lua_gettop(L);
}

/* ---- Lua functions ------------------------------------------------------ */

static const luaL_Reg core_funcs[] = {
    {"run", l_run}, {NULL, NULL},
};

void ocip_open_loop(lua_State *L) {
    ocip_loop_get(L); /* created first so that it is finalised last */
    luaL_setfuncs(L, core_funcs, 0);
    loop_open_task(L);
    loop_open_wait(L);
}
