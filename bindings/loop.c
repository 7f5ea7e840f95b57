/* The scheduler: tasks (coroutines) on a libuv loop, one per lua_State.
 *
 * State lives in a userdata anchored in the registry (no globals). Every wait is
 * an ocip_waiter: created by ocip_await, completed once by ocip_wake, which only
 * puts it on the ready queue. The queue is drained from a uv_check handle; a
 * uv_idle handle is active while the queue is non-empty so the loop never blocks
 * with work pending. The check handle is unref'd: only real waits (timers, I/O)
 * and queued work keep the loop alive. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/loop.h"

#define TASK_MT "ocip.task"

/* Registry keys: addresses of these constants (never written). */
static const char LOOP_KEY = 'L';   /* -> the loop userdata */
static const char TASKS_KEY = 'T';  /* -> { [thread] = task userdata } for live tasks */

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

/* ---- small helpers ---------------------------------------------------- */

static void *xcalloc(lua_State *L, size_t n) {
    void *p = calloc(1, n);
    if (!p) luaL_error(L, "ocip: out of memory");
    return p;
}

static void free_handle(uv_handle_t *h) { free(h); }

static void push_tasks(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &TASKS_KEY); }

/* The task whose coroutine is L, or NULL. */
static ocip_task *task_of(lua_State *L) {
    push_tasks(L);
    lua_pushthread(L);
    lua_rawget(L, -2);
    ocip_task *t = lua_touserdata(L, -1);
    lua_pop(L, 2);
    return t;
}

static ocip_task *check_task(lua_State *L, int idx) {
    return luaL_checkudata(L, idx, TASK_MT);
}

static void push_task_ud(lua_State *L, ocip_task *t) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->ref);
}

/* ---- waiters and the ready queue ---------------------------------------- */

static ocip_waiter *waiter_new(lua_State *L, ocip_loop *lp, ocip_task *t) {
    ocip_waiter *w = xcalloc(L, sizeof *w);
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

static void enqueue(ocip_waiter *w) {
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
    enqueue(w);
}

/* ---- loop userdata ------------------------------------------------------ */

static void check_cb(uv_check_t *h);

static void close_walk(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void cancel_pending_mine(ocip_loop *lp);

static int loop_gc(lua_State *L) {
    ocip_loop *lp = lua_touserdata(L, 1);
    if (!lp->inited) return 0;
    /* lua_close from inside a task (os.exit(n, true)) gets here inside uv_run. The process
     * exits right after and never returns into that uv_run, so tear down all the same:
     * skipping it would drop libuv's own allocations along with this userdata. */
    lp->running = 0;
    lp->inited = 0;
    lp->L = L;
    cancel_pending_mine(lp);    /* stops our own timers so they free their memory */
    lp->closing = 1;
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

static int l_join(lua_State *L);
static int l_cancel(lua_State *L);
static int l_status(lua_State *L);
static int l_task_tostring(lua_State *L);
static const luaL_Reg task_methods[4];

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
    if (luaL_newmetatable(L, TASK_MT)) {
        luaL_newlib(L, task_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_task_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
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

/* ---- tasks -------------------------------------------------------------- */

/* Creates a task running the function at stack index -(nargs+1) with the nargs
 * values above it (all popped). Pushes the task userdata. The first resume is queued. */
static ocip_task *task_new(lua_State *L, ocip_loop *lp, int nargs) {
    luaL_checktype(L, -(nargs + 1), LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);                     /* fn args... co */
    ocip_task *t = lua_newuserdatauv(L, sizeof *t, 2);   /* fn args... co ud */
    memset(t, 0, sizeof *t);
    t->lp = lp;
    t->co = co;
    t->ref = LUA_NOREF;
    luaL_setmetatable(L, TASK_MT);
    lua_pushvalue(L, -2);
    lua_setiuservalue(L, -2, 1);                          /* ud.uv1 = co (anchor) */
    push_tasks(L);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_rawset(L, -3);                                    /* tasks[co] = ud */
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_rotate(L, -(nargs + 3), 2);                       /* co ud fn args... */
    lua_xmove(L, co, nargs + 1);                          /* co ud */
    lua_remove(L, -2);                                    /* ud */
    lp->live++;
    t->state = T_READY;
    t->wait = waiter_new(L, lp, t);
    enqueue(t->wait);
    return t;
}

static void wake_joiners(ocip_task *t);
static void park_stop_timer(ocip_task *t);

/* Ends a task. The outcome is on top of L: ok -> n results, !ok -> the error value
 * (n == 1). Stores them in the userdata's uservalue 2 as {ok=, n=, ...}. */
static void task_finish(lua_State *L, ocip_task *t, int ok, int n) {
    ocip_loop *lp = t->lp;
    if (t->wait) { /* died with a wait pending (error after ocip_await): cancel it */
        ocip_waiter *w = t->wait;
        t->wait = NULL;
        w->task = NULL;
        if (!w->woken && w->on_cancel) w->on_cancel(w->cancel_data);
    }
    t->park_w = NULL;
    park_stop_timer(t);
    if (t->is_main && !ok && lp->running) uv_stop(&lp->uv); /* stop driving: run reports it */
    lua_createtable(L, n, 2);
    lua_insert(L, -(n + 1));
    for (int i = n; i >= 1; i--) lua_rawseti(L, -(i + 1), i);
    lua_pushboolean(L, ok);
    lua_setfield(L, -2, "ok");
    lua_pushinteger(L, n);
    lua_setfield(L, -2, "n");
    push_task_ud(L, t);
    lua_insert(L, -2);
    lua_setiuservalue(L, -2, 2);                          /* ud */
    /* unanchor: tasks[co] = nil, ud.uv1 = nil, drop the ref */
    push_tasks(L);
    lua_getiuservalue(L, -2, 1);
    lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_setiuservalue(L, -2, 1);
    lua_pop(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, t->ref);
    t->ref = LUA_NOREF;
    t->co = NULL;
    t->ok = ok;
    t->state = T_DONE;
    lp->live--;
    /* every task ended: stop driving even if handles remain (an unclosed connection
       with a write the peer never reads must not keep the process alive) */
    if (lp->live == 0 && lp->running) uv_stop(&lp->uv);
    wake_joiners(t);
}

/* Formats "tostring(err)\n<traceback of co>" on L (used for reports and the main task). */
static void push_report(lua_State *L, lua_State *co, int err_idx) {
    err_idx = lua_absindex(L, err_idx);
    int top = lua_gettop(L);
    const char *msg;
    if (lua_type(L, err_idx) == LUA_TSTRING) msg = lua_tostring(L, err_idx);
    else if (luaL_callmeta(L, err_idx, "__tostring") && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
    else msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, err_idx));
    luaL_traceback(L, co, msg, 0);
    if (lua_gettop(L) > top + 1) lua_replace(L, top + 1); /* drop the __tostring/fstring helper */
    lua_settop(L, top + 1);
}

/* Runs the task's to-be-closed variables after an error or a cancel. */
static void close_thread(lua_State *L, lua_State *co) {
#if LUA_VERSION_RELEASE_NUM >= 50406
    lua_closethread(co, L);
#else
    (void)L;
    lua_resetthread(co);
#endif
}

/* Resumes a task with nargs values already pushed on its coroutine. */
static void task_resume(ocip_loop *lp, ocip_task *t, int nargs) {
    lua_State *L = lp->L, *co = t->co;
    int nres = 0;
    t->state = T_RUNNING;
    int st = lua_resume(co, L, nargs, &nres);
    if (st == LUA_YIELD) {
        lua_pop(co, nres);
        if (t->wait) {
            t->state = T_WAITING;
        } else { /* plain coroutine.yield(): cooperative, run again later */
            t->state = T_READY;
            t->wait = waiter_new(L, lp, t);
            enqueue(t->wait);
        }
        return;
    }
    if (st == LUA_OK) {
        lua_xmove(co, L, nres);
        task_finish(L, t, 1, nres);
        return;
    }
    /* error: value on top of co, stack not unwound (traceback available) */
    lua_xmove(co, L, 1);
    int err = lua_gettop(L);
    if (t->is_main) {
        push_report(L, co, err);
        lua_setfield(L, LUA_REGISTRYINDEX, "ocip.main_report");
    } else if (!t->joiners) {
        push_report(L, co, err);
        fprintf(stderr, "ocip: task error: %s\n", lua_tostring(L, -1));
        fflush(stderr);
        lua_pop(L, 1);
        lp->failed = 1;
    }
    close_thread(L, co);
    task_finish(L, t, 0, 1);
}

static void check_cb(uv_check_t *h) {
    ocip_loop *lp = h->data;
    size_t n = lp->qlen; /* only what is queued now: cooperative yields wait for the next turn */
    while (n-- > 0 && lp->qhead) {
        ocip_waiter *w = lp->qhead;
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
        task_resume(lp, t, nargs);
    }
    if (!lp->qhead && uv_is_active((uv_handle_t *)&lp->idle)) uv_idle_stop(&lp->idle);
}

/* ---- await -------------------------------------------------------------- */

/* The running task of L, or raises the error ocip_await documents. */
static ocip_task *await_check(lua_State *L, const char *what) {
    ocip_task *t = task_of(L);
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
    ocip_task *t = await_check(L, what);
    ocip_waiter *w = waiter_new(L, lp, t);
    w->on_cancel = on_cancel;
    w->cancel_data = cancel_data;
    t->wait = w;
    return w;
}

/* ---- timers shared by sleep / park / join ------------------------------- */

typedef struct {
    uv_timer_t h;
    ocip_waiter *w;
} sleep_rec;

static void sleep_fire(uv_timer_t *h) {
    sleep_rec *s = (sleep_rec *)h;
    ocip_wake(s->w, NULL, NULL);
    uv_close((uv_handle_t *)h, free_handle);
}

static void sleep_cancel(void *data) {
    sleep_rec *s = data;
    uv_timer_stop(&s->h);
    ocip_wake(s->w, NULL, NULL);
    uv_close((uv_handle_t *)&s->h, free_handle);
}

static uint64_t to_ms(lua_State *L, int idx) {
    lua_Number s = luaL_checknumber(L, idx);
    if (!(s > 0)) return 0;
    if (s > 1e9) s = 1e9;
    return (uint64_t)(s * 1000.0 + 0.5);
}

/* core.sleep(seconds): 0 or less is a cooperative yield (runs again after the queued work). */
static int l_sleep(lua_State *L) {
    ocip_loop *lp = ocip_loop_get(L);
    lua_Number s = luaL_optnumber(L, 1, 0);
    if (!(s > 0)) {
        ocip_waiter *w = ocip_await(L, "ocip.sleep", NULL, NULL);
        ocip_wake(w, NULL, NULL);
        return lua_yield(L, 0);
    }
    uint64_t ms = to_ms(L, 1);
    await_check(L, "ocip.sleep");           /* raise before allocating */
    sleep_rec *rec = xcalloc(L, sizeof *rec);
    rec->w = ocip_await(L, "ocip.sleep", sleep_cancel, rec);
    uv_timer_init(&lp->uv, &rec->h);
    uv_timer_start(&rec->h, sleep_fire, ms, 0);
    return lua_yield(L, 0);
}

static int l_now(lua_State *L) {
    lua_pushnumber(L, (lua_Number)uv_hrtime() / 1e9);
    return 1;
}

/* ---- park / unpark ------------------------------------------------------ */

static int push_box(lua_State *co, void *data) {
    ocip_task *t = data;
    if (!co) return 0;
    push_task_ud(co, t);
    lua_getiuservalue(co, -1, 2);
    lua_pushnil(co);
    lua_setiuservalue(co, -3, 2);
    lua_remove(co, -2);
    lua_getfield(co, -1, "n");
    int n = (int)lua_tointeger(co, -1);
    lua_pop(co, 1);
    luaL_checkstack(co, n, "too many values");
    for (int i = 1; i <= n; i++) lua_rawgeti(co, -i, i);
    lua_remove(co, -(n + 1));
    return n;
}

static int push_timeout(lua_State *co, void *data) {
    (void)data;
    if (!co) return 0;
    lua_pushnil(co);
    ocip_push_error(co, "timeout", "timed out");
    return 2;
}

static void park_stop_timer(ocip_task *t) {
    if (t->park_timer) {
        uv_timer_stop(t->park_timer);
        uv_close((uv_handle_t *)t->park_timer, free_handle);
        t->park_timer = NULL;
    }
}

static void park_cancel(void *data) {
    ocip_task *t = data;
    ocip_waiter *w = t->park_w;
    t->park_w = NULL;
    park_stop_timer(t);
    ocip_wake(w, NULL, NULL);
}

static void park_timeout(uv_timer_t *h) {
    ocip_task *t = h->data;
    ocip_waiter *w = t->park_w;
    t->park_w = NULL;
    park_stop_timer(t);
    ocip_wake(w, push_timeout, NULL);
}

/* core.park([timeout]) -> the values given to core.unpark, or nil, timeout error. */
static int l_park(lua_State *L) {
    ocip_loop *lp = ocip_loop_get(L);
    int timed = !lua_isnoneornil(L, 1);
    uint64_t ms = timed ? to_ms(L, 1) : 0;
    ocip_task *t = task_of(L);
    ocip_waiter *w = ocip_await(L, "ocip.park", park_cancel, t);
    t->park_w = w;
    if (timed) {
        uv_timer_t *tm = malloc(sizeof *tm);
        if (!tm) {
            /* cannot arm the timer: fail the wait rather than wait forever */
            t->park_w = NULL;
            ocip_wake(w, push_timeout, NULL);
            return lua_yield(L, 0);
        }
        uv_timer_init(&lp->uv, tm);
        tm->data = t;
        t->park_timer = tm;
        uv_timer_start(tm, park_timeout, ms, 0);
    }
    return lua_yield(L, 0);
}

/* core.unpark(task, ...) -> true when the task was parked (it will resume with the values). */
static int l_unpark(lua_State *L) {
    ocip_task *t = check_task(L, 1);
    int n = lua_gettop(L) - 1;
    if (t->state == T_DONE || !t->park_w) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_createtable(L, n, 1);
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, i + 1);
        lua_rawseti(L, -2, i);
    }
    lua_pushinteger(L, n);
    lua_setfield(L, -2, "n");
    lua_setiuservalue(L, 1, 2);
    ocip_waiter *w = t->park_w;
    t->park_w = NULL;
    park_stop_timer(t);
    ocip_wake(w, push_box, t);
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- join --------------------------------------------------------------- */

static void push_results(lua_State *L, int ud) {
    lua_getiuservalue(L, ud, 2);
    lua_getfield(L, -1, "ok");
    int ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, -1, "n");
    int n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    luaL_checkstack(L, n + 1, "too many results");
    lua_pushboolean(L, ok);
    for (int i = 1; i <= n; i++) lua_rawgeti(L, -(i + 1), i);
    lua_remove(L, -(n + 2));
}

static void join_unlink(join_rec *r) {
    if (!r->target) return;
    join_rec **pp = &r->target->joiners;
    while (*pp && *pp != r) pp = &(*pp)->next;
    if (*pp) *pp = r->next;
    r->target = NULL;
}

static void join_stop_timer(join_rec *r) {
    if (r->timer) {
        uv_timer_stop(r->timer);
        uv_close((uv_handle_t *)r->timer, free_handle);
        r->timer = NULL;
    }
}

static int push_join(lua_State *co, void *data) {
    join_rec *r = data;
    int n = 0;
    if (co) {
        if (r->timed_out) {
            lua_pushnil(co);
            ocip_push_error(co, "timeout", "timed out waiting for the task");
            n = 2;
        } else {
            lua_rawgeti(co, LUA_REGISTRYINDEX, r->target_ref);
            int top = lua_gettop(co);
            push_results(co, top);
            lua_remove(co, top);
            n = lua_gettop(co) - top + 1;
        }
        luaL_unref(co, LUA_REGISTRYINDEX, r->target_ref);
    } else {
        luaL_unref(r->lp->L, LUA_REGISTRYINDEX, r->target_ref);
    }
    free(r);
    return n;
}

static void join_cancel(void *data) {
    join_rec *r = data;
    join_unlink(r);
    join_stop_timer(r);
    ocip_wake(r->w, push_join, r);
}

static void join_timeout(uv_timer_t *h) {
    join_rec *r = h->data;
    join_unlink(r);
    join_stop_timer(r);
    r->timed_out = 1;
    ocip_wake(r->w, push_join, r);
}

static void wake_joiners(ocip_task *t) {
    while (t->joiners) {
        join_rec *r = t->joiners;
        t->joiners = r->next;
        r->target = NULL;
        join_stop_timer(r);
        ocip_wake(r->w, push_join, r);
    }
}

/* core.join(task [, timeout]) -> true, results... | false, err | nil, timeout error */
static int l_join(lua_State *L) {
    ocip_task *t = check_task(L, 1);
    ocip_loop *lp = ocip_loop_get(L);
    if (t->state == T_DONE) {
        lua_settop(L, 1);
        push_results(L, 1);
        return lua_gettop(L) - 1;
    }
    if (task_of(L) == t) return luaL_error(L, "ocip: a task cannot join itself");
    int timed = !lua_isnoneornil(L, 2);
    uint64_t ms = timed ? to_ms(L, 2) : 0;
    await_check(L, "ocip.join");            /* raise before allocating */
    join_rec *r = xcalloc(L, sizeof *r);
    r->lp = lp;
    if (timed) {
        r->timer = malloc(sizeof *r->timer);
        if (!r->timer) {
            free(r);
            return luaL_error(L, "ocip: out of memory");
        }
    }
    lua_pushvalue(L, 1);
    r->target_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    r->w = ocip_await(L, "ocip.join", join_cancel, r);
    r->target = t;
    r->next = t->joiners;
    t->joiners = r;
    if (timed) {
        uv_timer_init(&lp->uv, r->timer);
        r->timer->data = r;
        uv_timer_start(r->timer, join_timeout, ms, 0);
    }
    return lua_yield(L, 0);
}

/* ---- cancel ------------------------------------------------------------- */

/* Cancels t with the error on top of L (popped). Returns 0 when already done. */
static int task_cancel(lua_State *L, ocip_task *t) {
    if (t->state == T_DONE) {
        lua_pop(L, 1);
        return 0;
    }
    if (t->state == T_RUNNING) {
        lua_pop(L, 1);
        return luaL_error(L, "ocip: cannot cancel a running task (a task cannot cancel itself)");
    }
    t->cancelled = 1;
    ocip_waiter *w = t->wait;
    t->wait = NULL;
    if (w) {
        w->task = NULL;
        if (!w->woken && w->on_cancel) w->on_cancel(w->cancel_data);
    }
    lua_State *co = t->co;
    if (t->started) close_thread(L, co); /* runs its to-be-closed variables */
    task_finish(L, t, 0, 1);
    return 1;
}

/* core.cancel(task [, err]) -> true if it was cancelled, false if it had ended */
static int l_cancel(lua_State *L) {
    ocip_task *t = check_task(L, 1);
    if (lua_isnoneornil(L, 2)) ocip_push_error(L, "closed", "task cancelled");
    else lua_pushvalue(L, 2);
    lua_pushboolean(L, task_cancel(L, t));
    return 1;
}

/* Cancels every live task (after the main task failed, or on deadlock). */
static void cancel_all(lua_State *L, const char *kind, const char *msg) {
    push_tasks(L);
    lua_newtable(L);
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_rawseti(L, -3, ++n);
    }
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        ocip_task *t = lua_touserdata(L, -1);
        lua_pop(L, 1);
        if (t && t->state != T_DONE && t->state != T_RUNNING) {
            ocip_push_error(L, kind, "%s", msg);
            task_cancel(L, t);
        }
    }
    lua_pop(L, 2);
}

/* Before teardown: cancel waits whose cancel callback is ours (their timers own memory). */
static void cancel_pending_mine(ocip_loop *lp) {
    for (int again = 1; again;) {
        again = 0;
        for (ocip_waiter *w = lp->all; w; w = w->next) {
            if (w->woken || !w->task) continue;
            if (w->on_cancel == sleep_cancel || w->on_cancel == park_cancel || w->on_cancel == join_cancel) {
                w->task->wait = NULL;
                w->task = NULL;
                w->on_cancel(w->cancel_data); /* wakes w: the list changed, start over */
                again = 1;
                break;
            }
        }
    }
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
    ocip_task *t = task_new(L, lp, nargs);   /* base+1: main task userdata */
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
    if (t->state == T_DONE && !t->ok) cancel_all(L, "closed", "task cancelled: the main task failed");
    if (deadlock) cancel_all(L, "closed", "task cancelled: deadlock");
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
    push_results(L, base + 1);               /* ud true r1..rn */
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
    ocip_task *me = task_of(L);
    if (me && me->state == T_RUNNING) { /* with a continuation: fn may wait */
        lua_callk(L, n - 1, LUA_MULTRET, 0, run_k);
        return run_k(L, LUA_OK, 0);
    }
    if (run_main(L, n - 1, 1) != LUA_OK) return lua_error(L);
    return lua_gettop(L);
}

/* ---- Lua functions ------------------------------------------------------ */

static int l_spawn(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    task_new(L, ocip_loop_get(L), lua_gettop(L) - 1);
    return 1;
}

static int l_current(lua_State *L) {
    ocip_task *t = task_of(L);
    if (!t || t->state != T_RUNNING) return 0;
    push_task_ud(L, t);
    return 1;
}

static int l_status(lua_State *L) {
    static const char *const names[] = {"ready", "running", "waiting", "done"};
    ocip_task *t = check_task(L, 1);
    lua_pushstring(L, names[t->state]);
    if (t->state != T_DONE) return 1;
    lua_pushboolean(L, t->ok);
    return 2;
}

static int l_task_tostring(lua_State *L) {
    ocip_task *t = check_task(L, 1);
    static const char *const names[] = {"ready", "running", "waiting", "done"};
    lua_pushfstring(L, "ocip.task (%s): %p", names[t->state], (void *)t);
    return 1;
}

static const luaL_Reg task_methods[4] = {
    {"join", l_join}, {"cancel", l_cancel}, {"status", l_status}, {NULL, NULL},
};

static const luaL_Reg core_funcs[] = {
    {"spawn", l_spawn}, {"park", l_park}, {"unpark", l_unpark}, {"current", l_current},
    {"sleep", l_sleep}, {"now", l_now}, {"join", l_join}, {"cancel", l_cancel},
    {"run", l_run}, {"task_status", l_status}, {NULL, NULL},
};

void ocip_open_loop(lua_State *L) {
    ocip_loop_get(L); /* created first so that it is finalised last */
    luaL_setfuncs(L, core_funcs, 0);
}
