/* Terminal helpers for the REPL:
 *   core.term_size([fd = 1]) -> rows, cols of the terminal on fd (0, 1 or 2), or nil
 *   core.pager(command, text) -> true, or nil, err (waits: task only)
 * command: an array of strings (the program, found on PATH, and its arguments: the
 * pager itself gets Ctrl-C, as less wants) or one string (run by `/bin/sh -c`).
 * The pager runs with a pipe as its stdin and our stdout and
 * stderr (the terminal) as its own: the text goes into the pipe without blocking the
 * loop (servers and background tasks keep running while the user reads), and the task
 * waits until the pager ends. A pager that quits before reading everything only ends
 * our write with EPIPE (the host ignores SIGPIPE). Exit status 0 is success; any other
 * end gives `nil, err` (kind "usage", err.status = exit status or 128 + signal), so that
 * the caller can print the text itself: nothing is lost to a pager that could not run.
 * The terminal's modes are saved before and put back after: a pager killed halfway
 * would leave them raw. Cancelling the waiting task sends SIGTERM to the pager. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "bindings/core.h"
#include "bindings/loop.h"

typedef struct pager {
    uv_process_t proc;
    uv_pipe_t pipe;
    uv_write_t wr;
    char *text;
    size_t len;
    int open_handles, exited;
    int64_t status;       /* exit status, or 128 + signal */
    int tty_fd;           /* whose modes are restored, or -1 */
    struct termios modes;
    char failed[160];     /* why the pager could not start, or "" */
    ocip_waiter *w;       /* the waiting task, NULL once cancelled */
} pager;

#define BOX_MT "ocip.pager_box"
#define MAX_ARGS 64


static int push_outcome(lua_State *co, void *data) {
    pager *p = data;
    int n = 0;
    if (co) {
        if (p->status == 0 && !p->failed[0]) {
            lua_pushboolean(co, 1);
            n = 1;
        } else {
            lua_pushnil(co);
            if (p->failed[0]) {
                ocip_push_error(co, "usage", "%s", p->failed);
            } else {
                ocip_push_error(co, "usage", "the pager ended with status %d", (int)p->status);
                lua_pushinteger(co, p->status);
                lua_setfield(co, -2, "status");
            }
            n = 2;
        }
    }
    free(p->text);
    free(p);
    return n;
}

static void handle_closed(uv_handle_t *h) {
    pager *p = h->data;
    if (--p->open_handles > 0) return;
    if (p->w) ocip_wake(p->w, push_outcome, p);
    else push_outcome(NULL, p);
}

static void on_written(uv_write_t *req, int status) {
    (void)status; /* EPIPE when the pager quit early: not an error */
    pager *p = req->data;
    uv_close((uv_handle_t *)&p->pipe, handle_closed);
}

static void on_exit_cb(uv_process_t *proc, int64_t status, int signum) {
    pager *p = proc->data;
    p->exited = 1;
    p->status = signum ? 128 + signum : status;
    if (p->tty_fd >= 0) tcsetattr(p->tty_fd, TCSADRAIN, &p->modes);
    uv_close((uv_handle_t *)proc, handle_closed);
}

static void pager_cancel(void *data) {
    pager *p = data;
    ocip_waiter *w = p->w;
    p->w = NULL;
    if (!p->exited) uv_process_kill(&p->proc, SIGTERM);
    ocip_wake(w, NULL, NULL); /* p is freed when its handles have closed */
}

/* Frees a pager that never reached the scheduler (ocip_await raised). */
static int box_gc(lua_State *L) {
    pager **box = luaL_checkudata(L, 1, BOX_MT);
    if (*box) {
        free((*box)->text);
        free(*box);
        *box = NULL;
    }
    return 0;
}

static int l_pager(lua_State *L) {
    char *args[MAX_ARGS + 1];
    if (lua_type(L, 1) == LUA_TTABLE) { /* the strings stay referenced by the table */
        lua_Integer n = luaL_len(L, 1);
        luaL_argcheck(L, n >= 1 && n <= MAX_ARGS, 1, "1 to 64 strings expected");
        for (lua_Integer i = 1; i <= n; i++) {
            luaL_argcheck(L, lua_geti(L, 1, i) == LUA_TSTRING, 1, "strings expected");
            args[i - 1] = (char *)lua_tostring(L, -1); /* no conversion: the table keeps it */
            lua_pop(L, 1);
        }
        args[n] = NULL;
    } else {
        args[0] = (char *)"/bin/sh";
        args[1] = (char *)"-c";
        args[2] = (char *)luaL_checkstring(L, 1);
        args[3] = NULL;
    }
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    uv_loop_t *loop = ocip_loop_uv(ocip_loop_get(L));
    pager **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    luaL_setmetatable(L, BOX_MT);
    pager *p = calloc(1, sizeof *p);
    if (!p) return luaL_error(L, "ocip: out of memory");
    *box = p;
    p->text = malloc(len ? len : 1);
    if (!p->text) return luaL_error(L, "ocip: out of memory");
    memcpy(p->text, text, len);
    p->len = len;
    p->w = ocip_await(L, "pager", pager_cancel, p); /* raises outside a task: box frees p */
    *box = NULL; /* from here on, the handles' close callbacks own it */
    p->tty_fd = isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;
    if (p->tty_fd >= 0 && tcgetattr(p->tty_fd, &p->modes) != 0) p->tty_fd = -1;
    p->proc.data = p->pipe.data = p->wr.data = p;
    p->exited = 1; /* until it runs: nothing to kill */
    if (uv_pipe_init(loop, &p->pipe, 0) != 0) {
        snprintf(p->failed, sizeof p->failed, "cannot create a pipe for the pager");
        ocip_wake(p->w, push_outcome, p);
        return lua_yield(L, 0);
    }
    p->open_handles = 2; /* the pipe and the process (closed even when spawn fails) */
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
    stdio[0].data.stream = (uv_stream_t *)&p->pipe;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = STDOUT_FILENO;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = STDERR_FILENO;
    uv_process_options_t opts;
    memset(&opts, 0, sizeof opts);
    opts.file = args[0];
    opts.args = args;
    opts.exit_cb = on_exit_cb;
    opts.stdio = stdio;
    opts.stdio_count = 3;
    int rc = uv_spawn(loop, &p->proc, &opts);
    if (rc != 0) {
        snprintf(p->failed, sizeof p->failed, "cannot start the pager: %s", uv_strerror(rc));
        uv_close((uv_handle_t *)&p->proc, handle_closed);
        uv_close((uv_handle_t *)&p->pipe, handle_closed);
        return lua_yield(L, 0);
    }
    p->exited = 0;
    uv_buf_t buf = uv_buf_init(p->text, (unsigned int)p->len);
    if (uv_write(&p->wr, (uv_stream_t *)&p->pipe, &buf, 1, on_written) != 0)
        uv_close((uv_handle_t *)&p->pipe, handle_closed);
    return lua_yield(L, 0);
}

static int l_term_size(lua_State *L) {
    lua_Integer fd = luaL_optinteger(L, 1, STDOUT_FILENO);
    luaL_argcheck(L, fd >= 0 && fd <= 2, 1, "0, 1 or 2 expected");
    struct winsize ws;
    if (ioctl((int)fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return 0;
    lua_pushinteger(L, ws.ws_row);
    lua_pushinteger(L, ws.ws_col);
    return 2;
}

void ocip_open_term(lua_State *L) {
    if (luaL_newmetatable(L, BOX_MT)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_pager);
    lua_setfield(L, -2, "pager");
    lua_pushcfunction(L, l_term_size);
    lua_setfield(L, -2, "term_size");
}
