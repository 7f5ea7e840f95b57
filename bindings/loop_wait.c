/* Waiting with a deadline or for another task: core.sleep, core.park/unpark,
 * core.join, and their timers. */
#include <stdint.h>
#include <stdlib.h>
#include <lauxlib.h>
#ifdef __linux__
#include <sys/timerfd.h>
#include <unistd.h>
#endif
#include "bindings/core.h"
#include "bindings/loop_private.h"

static void free_handle(uv_handle_t *h) { free(h); }

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

/* Seconds -> whole milliseconds, rounded up: a wait never ends early. */
static uint64_t to_ms(lua_State *L, int idx) {
    lua_Number s = luaL_checknumber(L, idx);
    if (!(s > 0)) return 0;
    if (s > 1e9) s = 1e9;
    lua_Number x = s * 1000.0;
    uint64_t ms = (uint64_t)x;
    return (lua_Number)ms < x ? ms + 1 : ms;
}

/* libuv timers count from the loop's cached time, which is as old as the current loop
 * turn (all the Lua code run since): refresh it first, or a wait could end early. */
static void timer_start(ocip_loop *lp, uv_timer_t *t, uv_timer_cb cb, uint64_t ms) {
    uv_update_time(&lp->uv);
    uv_timer_start(t, cb, ms, 0);
}

/* core.sleep(seconds): 0 or less is a cooperative yield (runs again after the queued work). */
static int l_sleep(lua_State *L) {
    ocip_loop *lp = ocip_loop_get(L);
    lua_Number s = luaL_optnumber(L, 1, 0);
    if (!(s > 0)) {
        ocip_waiter *w = ocip_await(L, "ocip.sleep", NULL, NULL);
        w->yielded = 1; /* runs in the next turn of the loop, after I/O */
        ocip_wake(w, NULL, NULL);
        return lua_yield(L, 0);
    }
    uint64_t ms = to_ms(L, 1);
    loop_await_check(L, "ocip.sleep");           /* raise before allocating */
    sleep_rec *rec = loop_xcalloc(L, sizeof *rec);
    rec->w = ocip_await(L, "ocip.sleep", sleep_cancel, rec);
    uv_timer_init(&lp->uv, &rec->h);
    timer_start(lp, &rec->h, sleep_fire, ms);
    return lua_yield(L, 0);
}

/* ---- core.sleep_until: to the microsecond --------------------------------- */

/* libuv timers count whole milliseconds from a millisecond-floored loop clock, so a
 * wait for a point in time ends up to a millisecond early or late. The simulator's
 * latency (reply at arrival + N ms) needs better: on Linux a timerfd armed with the
 * absolute time on CLOCK_MONOTONIC (uv_hrtime's clock, hence core.now's) and polled
 * by the loop wakes the task within tens of microseconds. Elsewhere: a millisecond
 * timer, rounded up (never early). */
#ifdef __linux__
typedef struct {
    uv_poll_t h;
    int fd;
    ocip_waiter *w;
} until_rec;

static void until_closed(uv_handle_t *h) {
    until_rec *u = (until_rec *)h;
    close(u->fd);
    free(u);
}

static void until_fire(uv_poll_t *h, int status, int events) {
    (void)status;
    (void)events;
    until_rec *u = (until_rec *)h;
    uv_poll_stop(h);
    ocip_wake(u->w, NULL, NULL);
    uv_close((uv_handle_t *)h, until_closed);
}

static void until_cancel(void *data) {
    until_rec *u = data;
    uv_poll_stop(&u->h);
    ocip_wake(u->w, NULL, NULL);
    uv_close((uv_handle_t *)&u->h, until_closed);
}

/* 0 when the task now waits on a timerfd; -1 when one cannot be made (no wait begun). */
static int until_timerfd(lua_State *L, ocip_loop *lp, lua_Number at) {
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return -1;
    lua_Number ns = at * 1e9;
    struct itimerspec its = {0};
    its.it_value.tv_sec = (time_t)(ns / 1e9);
    its.it_value.tv_nsec = (long)(ns - (lua_Number)its.it_value.tv_sec * 1e9);
    if (its.it_value.tv_nsec < 0 || its.it_value.tv_nsec >= 1000000000L) its.it_value.tv_nsec = 0;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1; /* 0 disarms */
    until_rec *u = calloc(1, sizeof *u);
    if (!u || timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) != 0 || uv_poll_init(&lp->uv, &u->h, fd) != 0) {
        free(u);
        close(fd);
        return -1;
    }
    u->fd = fd;
    u->w = ocip_await(L, "ocip.sleep_until", until_cancel, u);
    uv_poll_start(&u->h, UV_READABLE, until_fire);
    return 0;
}
#endif

/* core.sleep_until(t): waits until core.now() >= t (t on core.now()'s clock, seconds);
 * a time already past is a cooperative yield. */
static int l_sleep_until(lua_State *L) {
    ocip_loop *lp = ocip_loop_get(L);
    lua_Number at = luaL_checknumber(L, 1);
    lua_Number left = at - (lua_Number)uv_hrtime() / 1e9;
    if (!(left > 0) || !(at < 1e12)) {
        ocip_waiter *w = ocip_await(L, "ocip.sleep_until", NULL, NULL);
        w->yielded = 1;
        ocip_wake(w, NULL, NULL);
        return lua_yield(L, 0);
    }
    loop_await_check(L, "ocip.sleep_until");
#ifdef __linux__
    if (until_timerfd(L, lp, at) == 0) return lua_yield(L, 0);
#endif
    lua_pushnumber(L, left);
    lua_replace(L, 1);
    uint64_t ms = to_ms(L, 1);
    sleep_rec *rec = loop_xcalloc(L, sizeof *rec);
    rec->w = ocip_await(L, "ocip.sleep_until", sleep_cancel, rec);
    uv_timer_init(&lp->uv, &rec->h);
    timer_start(lp, &rec->h, sleep_fire, ms);
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
    loop_push_task_ud(co, t);
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

void loop_park_stop_timer(ocip_task *t) {
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
    loop_park_stop_timer(t);
    ocip_wake(w, NULL, NULL);
}

static void park_timeout(uv_timer_t *h) {
    ocip_task *t = h->data;
    ocip_waiter *w = t->park_w;
    t->park_w = NULL;
    loop_park_stop_timer(t);
    ocip_wake(w, push_timeout, NULL);
}

/* core.park([timeout]) -> the values given to core.unpark, or nil, timeout error. */
static int l_park(lua_State *L) {
    ocip_loop *lp = ocip_loop_get(L);
    int timed = !lua_isnoneornil(L, 1);
    uint64_t ms = timed ? to_ms(L, 1) : 0;
    ocip_task *t = loop_task_of(L);
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
        timer_start(lp, tm, park_timeout, ms);
    }
    return lua_yield(L, 0);
}

/* core.unpark(task, ...) -> true when the task was parked (it will resume with the values). */
static int l_unpark(lua_State *L) {
    ocip_task *t = loop_check_task(L, 1);
    int n = lua_gettop(L) - 1;
    if (t->state == T_DONE || t->finishing || !t->park_w) {
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
    loop_park_stop_timer(t);
    ocip_wake(w, push_box, t);
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- join --------------------------------------------------------------- */

void loop_push_results(lua_State *L, int ud) {
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
            loop_push_results(co, top);
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

void loop_wake_joiners(ocip_task *t) {
    while (t->joiners) {
        join_rec *r = t->joiners;
        t->joiners = r->next;
        r->target = NULL;
        join_stop_timer(r);
        ocip_wake(r->w, push_join, r);
    }
}

/* core.join(task [, timeout]) -> true, results... | false, err | nil, timeout error */
int loop_l_join(lua_State *L) {
    ocip_task *t = loop_check_task(L, 1);
    ocip_loop *lp = ocip_loop_get(L);
    if (t->state == T_DONE) {
        lua_settop(L, 1);
        loop_push_results(L, 1);
        return lua_gettop(L) - 1;
    }
    if (loop_task_of(L) == t) return luaL_error(L, "ocip: a task cannot join itself");
    int timed = !lua_isnoneornil(L, 2);
    uint64_t ms = timed ? to_ms(L, 2) : 0;
    loop_await_check(L, "ocip.join");            /* raise before allocating */
    join_rec *r = loop_xcalloc(L, sizeof *r);
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
        timer_start(lp, r->timer, join_timeout, ms);
    }
    return lua_yield(L, 0);
}

/* Before teardown: cancel waits whose cancel callback is ours (their timers own memory). */
void loop_cancel_timers(ocip_loop *lp) {
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

static const luaL_Reg core_funcs[] = {
    {"sleep", l_sleep}, {"sleep_until", l_sleep_until}, {"now", l_now}, {"park", l_park}, {"unpark", l_unpark},
    {"join", loop_l_join}, {NULL, NULL},
};

void loop_open_wait(lua_State *L) { luaL_setfuncs(L, core_funcs, 0); }
