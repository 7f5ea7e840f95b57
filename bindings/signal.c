/* Signal watchers: core.signal_watch{"SIGINT", "SIGTERM"} -> watcher;
 * watcher:wait() waits (task only) until one of them arrives and returns its
 * name; watcher:close() stops watching (the signals kill again);
 * watcher:ignore() stops watching and ignores them from then on. Lets `ocip sim`
 * stop cleanly. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "bindings/core.h"
#include "bindings/loop.h"

#define WATCH_MT "ocip.signal_watch"
#define MAX_SIGS 4

typedef struct {
    uv_signal_t h[MAX_SIGS];
    int n, open_handles;
    int fired;           /* signal number seen and not yet returned by wait(), or 0 */
    ocip_waiter *w;      /* the task waiting in wait(), if any */
} watch;

typedef struct { watch *s; } watch_ud;

static const struct { const char *name; int num; } SIGS[] = {
    {"SIGINT", SIGINT}, {"SIGTERM", SIGTERM}, {"SIGHUP", SIGHUP}, {"SIGUSR1", SIGUSR1},
};

static const char *sig_name(int num) {
    for (size_t i = 0; i < sizeof SIGS / sizeof SIGS[0]; i++)
        if (SIGS[i].num == num) return SIGS[i].name;
    return "signal";
}

static int push_name(lua_State *co, void *data) {
    if (!co) return 0;
    lua_pushstring(co, sig_name((int)(intptr_t)data));
    return 1;
}

static void on_signal(uv_signal_t *h, int signum) {
    watch *s = h->data;
    if (s->w) {
        ocip_waiter *w = s->w;
        s->w = NULL;
        ocip_wake(w, push_name, (void *)(intptr_t)signum);
    } else {
        s->fired = signum;
    }
}

static void wait_cancel(void *data) {
    watch *s = data;
    ocip_waiter *w = s->w;
    s->w = NULL;
    if (w) ocip_wake(w, NULL, NULL);
}

static void handle_closed(uv_handle_t *h) {
    watch *s = h->data;
    if (--s->open_handles == 0) free(s);
}

static void watch_close(watch_ud *u) {
    watch *s = u->s;
    if (!s) return;
    u->s = NULL;
    if (s->w) wait_cancel(s);
    /* handle_closed frees s after the last handle; with none open, nothing will */
    if (s->open_handles == 0) { free(s); return; }
    for (int i = 0; i < s->n; i++) uv_close((uv_handle_t *)&s->h[i], handle_closed);
}

static int l_watch(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    ocip_loop *lp = ocip_loop_get(L);
    watch_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->s = NULL;
    luaL_setmetatable(L, WATCH_MT);
    watch *s = calloc(1, sizeof *s);
    if (!s) return luaL_error(L, "ocip: out of memory");
    u->s = s;
    lua_Integer n = luaL_len(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        const char *name = (lua_geti(L, 1, i), lua_tostring(L, -1));
        int num = 0;
        for (size_t k = 0; name && k < sizeof SIGS / sizeof SIGS[0]; k++)
            if (strcmp(SIGS[k].name, name) == 0) num = SIGS[k].num;
        if (!num || s->n == MAX_SIGS) { /* the name stays on the stack for the message */
            watch_close(u);
            return luaL_error(L, "ocip: unsupported signal %s", name ? name : "?");
        }
        lua_pop(L, 1);
        uv_signal_init(ocip_loop_uv(lp), &s->h[s->n]);
        s->h[s->n].data = s;
        s->open_handles++;
        uv_signal_start(&s->h[s->n], on_signal, num);
        uv_unref((uv_handle_t *)&s->h[s->n]); /* watching alone never keeps the loop alive */
        s->n++;
    }
    return 1;
}

static int l_wait(lua_State *L) {
    watch_ud *u = luaL_checkudata(L, 1, WATCH_MT);
    if (!u->s) return ocip_fail(L, "closed", "signal watcher is closed");
    watch *s = u->s;
    if (s->w) return ocip_fail(L, "usage", "signal watcher already has a waiting task");
    ocip_waiter *w = ocip_await(L, "signal wait", wait_cancel, s);
    if (s->fired) {
        int num = s->fired;
        s->fired = 0;
        ocip_wake(w, push_name, (void *)(intptr_t)num);
    } else {
        s->w = w;
    }
    return lua_yield(L, 0);
}

static int l_close(lua_State *L) {
    watch_close(luaL_checkudata(L, 1, WATCH_MT));
    return 0;
}

/* For a process that is already stopping: `timeout`, shells and process managers
 * send SIGTERM to the process and to its group, so a second one may come at any
 * time until exit. Closing the libuv handles puts back the default action (death),
 * so the signals are blocked across the switch to SIG_IGN: a signal that arrives
 * meanwhile stays pending and is discarded by SIG_IGN, never acted on. */
static int l_ignore(lua_State *L) {
    watch_ud *u = luaL_checkudata(L, 1, WATCH_MT);
    watch *s = u->s;
    if (!s) return ocip_fail(L, "closed", "signal watcher is closed");
    int nums[MAX_SIGS], n = s->n;
    sigset_t set, old;
    sigemptyset(&set);
    for (int i = 0; i < n; i++) {
        nums[i] = s->h[i].signum;
        sigaddset(&set, nums[i]);
    }
    pthread_sigmask(SIG_BLOCK, &set, &old);
    watch_close(u);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < n; i++) sigaction(nums[i], &sa, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    lua_pushboolean(L, 1);
    return 1;
}

void ocip_open_signal(lua_State *L) {
    if (luaL_newmetatable(L, WATCH_MT)) {
        static const luaL_Reg m[] = {{"wait", l_wait}, {"close", l_close}, {"ignore", l_ignore}, {"__close", l_close},
                                     {"__gc", l_close}, {NULL, NULL}};
        luaL_setfuncs(L, m, 0);
        lua_pushvalue(L, -1);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_watch);
    lua_setfield(L, -2, "signal_watch");
}
