/* Tasks: creating, resuming, finishing and cancelling the coroutines the scheduler
 * owns, and the task API (spawn, current, cancel, status). */
#include <stdio.h>
#include <string.h>
#include <lauxlib.h>
#include "bindings/core.h"
#include "bindings/loop_private.h"

/* ---- tasks -------------------------------------------------------------- */

ocip_task *loop_check_task(lua_State *L, int idx) {
    return luaL_checkudata(L, idx, TASK_MT);
}

void loop_push_task_ud(lua_State *L, ocip_task *t) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->ref);
}

/* Creates a task running the function at stack index -(nargs+1) with the nargs
 * values above it (all popped). Pushes the task userdata. The first resume is queued. */
ocip_task *loop_task_new(lua_State *L, ocip_loop *lp, int nargs) {
    luaL_checktype(L, -(nargs + 1), LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);                     /* fn args... co */
    /* a new thread has LUA_MINSTACK slots: room for fn and every argument first */
    if (!lua_checkstack(co, nargs + 1 + LUA_MINSTACK)) luaL_error(L, "too many arguments for a task");
    ocip_task *t = lua_newuserdatauv(L, sizeof *t, 2);   /* fn args... co ud */
    memset(t, 0, sizeof *t);
    t->lp = lp;
    t->co = co;
    t->ref = LUA_NOREF;
    luaL_setmetatable(L, TASK_MT);
    lua_pushvalue(L, -2);
    lua_setiuservalue(L, -2, 1);                          /* ud.uv1 = co (anchor) */
    loop_push_tasks(L);
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
    t->wait = loop_waiter_new(L, lp, t);
    loop_enqueue(t->wait);
    return t;
}

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
    loop_park_stop_timer(t);
    if (t->is_main && !ok && lp->running) uv_stop(&lp->uv); /* stop driving: run reports it */
    lua_createtable(L, n, 2);
    lua_insert(L, -(n + 1));
    for (int i = n; i >= 1; i--) lua_rawseti(L, -(i + 1), i);
    lua_pushboolean(L, ok);
    lua_setfield(L, -2, "ok");
    lua_pushinteger(L, n);
    lua_setfield(L, -2, "n");
    loop_push_task_ud(L, t);
    lua_insert(L, -2);
    lua_setiuservalue(L, -2, 2);                          /* ud */
    /* unanchor: tasks[co] = nil, ud.uv1 = nil, drop the ref */
    loop_push_tasks(L);
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
    loop_wake_joiners(t);
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
void loop_task_resume(ocip_loop *lp, ocip_task *t, int nargs) {
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
            t->wait = loop_waiter_new(L, lp, t);
            t->wait->yielded = 1;
            loop_enqueue(t->wait);
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
    t->finishing = 1;
    close_thread(L, co);
    task_finish(L, t, 0, 1);
}

/* ---- cancel ------------------------------------------------------------- */

/* Cancels t with the error on top of L (popped). Returns 0 when already done, or
 * already finishing (a __close handler of t, or of a task it cancels, cancelling t again). */
static int task_cancel(lua_State *L, ocip_task *t) {
    if (t->state == T_DONE || t->finishing) {
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
    t->finishing = 1;
    if (t->started) close_thread(L, co); /* runs its to-be-closed variables */
    task_finish(L, t, 0, 1);
    return 1;
}

/* core.cancel(task [, err]) -> true if it was cancelled, false if it had ended */
static int l_cancel(lua_State *L) {
    ocip_task *t = loop_check_task(L, 1);
    if (lua_isnoneornil(L, 2)) ocip_push_error(L, "closed", "task cancelled");
    else lua_pushvalue(L, 2);
    lua_pushboolean(L, task_cancel(L, t));
    return 1;
}

/* Cancels every live task (after the main task failed, or on deadlock). */
void loop_cancel_all(lua_State *L, const char *kind, const char *msg) {
    loop_push_tasks(L);
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
        if (t && t->state != T_DONE && t->state != T_RUNNING && !t->finishing) {
            ocip_push_error(L, kind, "%s", msg);
            task_cancel(L, t);
        }
    }
    lua_pop(L, 2);
}

/* ---- Lua functions ------------------------------------------------------ */

static int l_spawn(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    loop_task_new(L, ocip_loop_get(L), lua_gettop(L) - 1);
    return 1;
}

static int l_current(lua_State *L) {
    ocip_task *t = loop_task_of(L);
    if (!t || t->state != T_RUNNING) return 0;
    loop_push_task_ud(L, t);
    return 1;
}

static int l_status(lua_State *L) {
    static const char *const names[] = {"ready", "running", "waiting", "done"};
    ocip_task *t = loop_check_task(L, 1);
    lua_pushstring(L, names[t->state]);
    if (t->state != T_DONE) return 1;
    lua_pushboolean(L, t->ok);
    return 2;
}

static int l_task_tostring(lua_State *L) {
    ocip_task *t = loop_check_task(L, 1);
    static const char *const names[] = {"ready", "running", "waiting", "done"};
    lua_pushfstring(L, "ocip.task (%s): %p", names[t->state], (void *)t);
    return 1;
}

static const luaL_Reg task_methods[4] = {
    {"join", loop_l_join}, {"cancel", l_cancel}, {"status", l_status}, {NULL, NULL},
};

void loop_task_mt(lua_State *L) {
    if (luaL_newmetatable(L, TASK_MT)) {
        luaL_newlib(L, task_methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_task_tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}

static const luaL_Reg core_funcs[] = {
    {"spawn", l_spawn}, {"current", l_current}, {"cancel", l_cancel}, {"task_status", l_status},
    {NULL, NULL},
};

void loop_open_task(lua_State *L) { luaL_setfuncs(L, core_funcs, 0); }
