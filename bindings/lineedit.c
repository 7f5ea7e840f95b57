/* Line input for the REPL on the libuv loop:
 *   core.lineedit_open{complete = function(text, line, start) return {...} end}
 *     -> editor with :read([prompt]) (waits in the task; the line, nil at EOF, false
 *        after Ctrl-C at a terminal),
 *        :add_history(line), :is_tty(), :close() (also __close, __gc).
 * At a terminal, libedit's readline-compatible CALLBACK interface does the editing:
 * a uv_poll on stdin feeds it one key at a time, so the loop (servers, background
 * tasks) keeps running while the prompt waits. Ctrl-C at the prompt ends the read
 * with false: the line is dropped.
 * Otherwise (pipe, file) plain lines are read, also through a uv_poll, never blocking
 * the loop; no prompt is written.
 *
 * The poll never watches fd 0 itself: libuv makes a polled descriptor non-blocking,
 * and that flag belongs to the open file description, which at a terminal fd 0 shares
 * with fd 1 and 2 (and with the shell). Output to a non-blocking terminal fails with
 * EAGAIN as soon as the terminal's buffer is full: big results were cut short and
 * stdout's FILE was left in error. So the poll watches a descriptor of its own (the
 * same terminal or pipe opened again, see watch_fd) and input is still read from
 * fd 0, which stays blocking: after the poll says "readable", a read cannot wait.
 * Where stdin cannot be opened again (a socket, a terminal we may not open), fd 0 is
 * polled and its flags are put back right after libuv set them (and again at close).
 *
 * libedit's readline API is process-wide state (one terminal) whose line callback
 * carries no user pointer: the editor reading at the terminal is kept in `active`,
 * the one static variable here; opening a second terminal editor fails.
 *
 * Completion is the one place Lua runs inside a libuv callback: libedit calls the
 * completion hook synchronously from rl_callback_read_char(), inside our poll
 * callback. It is safe because no Lua code is executing at that moment (the thread
 * that runs the loop sits in a C function, uv_run), the call uses a private idle
 * thread of the state and lua_pcall (a completion function cannot yield: it gets an
 * error, which only means "no candidates"), and it never resumes a task: tasks are
 * still resumed only by the scheduler's drain. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <editline/readline.h>
#include "bindings/core.h"
#include "bindings/loop.h"

#define EDIT_MT "ocip.lineedit"
#define READ_CHUNK 4096
#define MAX_LINE (1u << 20) /* a longer line without newline is delivered as it is */
#define MAX_CANDIDATES 10000

typedef struct editor {
    uv_poll_t poll;
    uv_signal_t sigint;
    int poll_ok, sig_ok, open_handles, closed;
    int tty, eof;
    int watch;                   /* the polled descriptor: our own, or 0 (see top) */
    int stdin_flags;             /* fd 0's file status flags to put back, or -1 */
    ocip_waiter *w;              /* the task waiting in read(), if any */
    char *buf;                   /* plain mode: bytes read and not yet returned */
    size_t len, cap;
    char *prompt;                /* terminal: the prompt of the pending read */
    lua_State *cb;               /* private thread for the completion function */
    int ref_fn, ref_thread;      /* registry refs, LUA_NOREF when none */
    char **cands;                /* candidates of the completion under way */
    size_t ncands, next;
} editor;

typedef struct { editor *e; } editor_ud;

/* line NULL: end of input, or Ctrl-C when `interrupted` */
typedef struct { char *line; size_t len; int interrupted; } result;

static editor *active; /* see the header comment */

/* ---- results ------------------------------------------------------------ */

static int push_result(lua_State *co, void *data) {
    result *r = data;
    int n = 0;
    if (co) {
        if (r && r->line) lua_pushlstring(co, r->line, r->len);
        else if (r && r->interrupted) lua_pushboolean(co, 0);
        else lua_pushnil(co);
        n = 1;
    }
    if (r) free(r->line);
    free(r);
    return n;
}

static void stop_io(editor *e) {
    if (e->poll_ok) uv_poll_stop(&e->poll);
    if (e->tty && active == e) rl_callback_handler_remove();
}

/* Completes the pending read with `line` (owned; NULL = EOF, or Ctrl-C when
 * `interrupted`). */
static void complete_read(editor *e, char *line, size_t len, int interrupted) {
    stop_io(e);
    result *r = malloc(sizeof *r);
    if (r) {
        r->line = line;
        r->len = len;
        r->interrupted = interrupted;
    } else {
        free(line);
    }
    ocip_waiter *w = e->w;
    e->w = NULL;
    if (w) ocip_wake(w, push_result, r);
    else push_result(NULL, r);
}

static void finish(editor *e, char *line, size_t len) { complete_read(e, line, len, 0); }

/* Plain mode: takes one line out of the buffer, if there is one (or the rest at EOF).
 * Returns 1 and sets *line (NULL at EOF with nothing left), or 0 when more is needed. */
static int take_line(editor *e, char **line, size_t *len) {
    char *nl = e->len ? memchr(e->buf, '\n', e->len) : NULL;
    size_t n;
    if (nl) n = (size_t)(nl - e->buf);
    else if (e->eof || e->len >= MAX_LINE) n = e->len;
    else return 0;
    if (n == 0 && !nl && e->eof) {
        *line = NULL;
        *len = 0;
        return 1;
    }
    size_t used = nl ? n + 1 : n;
    size_t keep = n;
    if (keep > 0 && e->buf[keep - 1] == '\r') keep--;
    char *s = malloc(keep + 1);
    if (!s) return 0;
    memcpy(s, e->buf, keep);
    s[keep] = '\0';
    memmove(e->buf, e->buf + used, e->len - used);
    e->len -= used;
    *line = s;
    *len = keep;
    return 1;
}

/* Reads once from stdin into the buffer; sets eof on end or error. */
static void fill(editor *e) {
    if (e->cap - e->len < READ_CHUNK) {
        size_t cap = e->cap ? e->cap * 2 : 2 * READ_CHUNK;
        char *b = realloc(e->buf, cap);
        if (!b) {
            e->eof = 1;
            return;
        }
        e->buf = b;
        e->cap = cap;
    }
    ssize_t n = read(STDIN_FILENO, e->buf + e->len, e->cap - e->len);
    if (n > 0) e->len += (size_t)n;
    else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) e->eof = 1;
}

/* ---- libedit hooks ---------------------------------------------------------- */

static void on_line(char *line) {
    editor *e = active;
    if (!e || !e->w) {
        free(line);
        return;
    }
    finish(e, line, line ? strlen(line) : 0);
}

static void free_cands(editor *e) {
    for (size_t i = 0; i < e->ncands; i++) free(e->cands[i]);
    free(e->cands);
    e->cands = NULL;
    e->ncands = e->next = 0;
}

/* Runs protected on the private thread: fn(text, line, start) -> candidates. */
static int call_complete(lua_State *T) {
    editor *e = lua_touserdata(T, 1);
    const char *text = lua_touserdata(T, 2);
    int start = (int)lua_tointeger(T, 3);
    lua_settop(T, 0);
    lua_rawgeti(T, LUA_REGISTRYINDEX, e->ref_fn);
    lua_pushstring(T, text);
    if (rl_line_buffer && rl_end >= 0) lua_pushlstring(T, rl_line_buffer, strnlen(rl_line_buffer, (size_t)rl_end));
    else lua_pushliteral(T, "");
    lua_pushinteger(T, start);
    lua_call(T, 3, 1);
    if (!lua_istable(T, -1)) return 0;
    size_t n = lua_rawlen(T, -1);
    if (n > MAX_CANDIDATES) n = MAX_CANDIDATES;
    e->cands = calloc(n ? n : 1, sizeof *e->cands);
    if (!e->cands) return 0;
    for (size_t i = 1; i <= n; i++) {
        if (lua_rawgeti(T, -1, (lua_Integer)i) == LUA_TSTRING) {
            char *s = strdup(lua_tostring(T, -1));
            if (s) e->cands[e->ncands++] = s;
        }
        lua_pop(T, 1);
    }
    return 0;
}

static char *next_candidate(const char *text, int state) {
    (void)text; /* the candidates are already filtered */
    editor *e = active;
    if (!e) return NULL;
    if (state == 0) e->next = 0;
    if (e->next < e->ncands) return strdup(e->cands[e->next++]); /* libedit frees it */
    return NULL;
}

static char **attempt_completion(const char *text, int start, int end) {
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    editor *e = active;
    if (!e || e->ref_fn == LUA_NOREF || !e->cb) return NULL;
    free_cands(e);
    lua_State *T = e->cb;
    lua_settop(T, 0);
    lua_pushcfunction(T, call_complete);
    lua_pushlightuserdata(T, e);
    lua_pushlightuserdata(T, (void *)text);
    lua_pushinteger(T, start);
    int st = lua_pcall(T, 3, 0, 0);
    lua_settop(T, 0);
    if (st != LUA_OK || e->ncands == 0) return NULL;
    return rl_completion_matches(text, next_candidate);
}

/* ---- loop callbacks ------------------------------------------------------------ */

static void on_poll(uv_poll_t *h, int status, int events) {
    (void)events;
    editor *e = h->data;
    if (!e->w) {
        uv_poll_stop(h);
        return;
    }
    if (e->tty) {
        if (status < 0) finish(e, NULL, 0);
        else rl_callback_read_char(); /* may call on_line -> finish */
        return;
    }
    if (status < 0) e->eof = 1;
    else fill(e);
    char *line;
    size_t len;
    if (take_line(e, &line, &len)) finish(e, line, len);
}

/* Ctrl-C at the prompt: the read returns false (the caller drops any unfinished
 * input) and the next read starts on a fresh, empty line. Elsewhere the REPL's own
 * watcher acts. */
static void on_sigint(uv_signal_t *h, int signum) {
    (void)signum;
    editor *e = h->data;
    if (!e->tty || !e->w || active != e) return;
    fputs("^C\n", stdout);
    fflush(stdout);
    complete_read(e, NULL, 0, 1);
}

/* A descriptor of stdin's terminal or pipe with a file description of its own, or -1.
 * O_NONBLOCK: opening a pipe whose writers are gone must not wait for a writer. */
static int watch_fd(void) {
    const char *name = isatty(STDIN_FILENO) ? ttyname(STDIN_FILENO) : "/proc/self/fd/0";
    return name ? open(name, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) : -1;
}

/* The editor's memory goes when its last handle has closed; its own descriptor too. */
static void release(editor *e) {
    if (e->watch > 0) close(e->watch);
    if (e->stdin_flags >= 0) fcntl(STDIN_FILENO, F_SETFL, e->stdin_flags);
    free(e);
}

static void handle_closed(uv_handle_t *h) {
    editor *e = h->data;
    if (--e->open_handles == 0) release(e);
}

static void read_cancel(void *data) {
    editor *e = data;
    stop_io(e);
    ocip_waiter *w = e->w;
    e->w = NULL;
    if (w) ocip_wake(w, NULL, NULL);
}

/* ---- Lua API ---------------------------------------------------------------------- */

static editor *check(lua_State *L) {
    editor_ud *u = luaL_checkudata(L, 1, EDIT_MT);
    return u->e;
}

static void editor_close(lua_State *L, editor_ud *u) {
    editor *e = u->e;
    if (!e) return;
    u->e = NULL;
    if (e->w) {
        ocip_waiter *w = e->w;
        e->w = NULL;
        stop_io(e);
        ocip_wake(w, push_result, NULL); /* the reader gets nil */
    }
    if (e->tty && active == e) {
        rl_callback_handler_remove();
        active = NULL;
    }
    free_cands(e);
    free(e->buf);
    free(e->prompt);
    e->buf = e->prompt = NULL;
    luaL_unref(L, LUA_REGISTRYINDEX, e->ref_fn);
    luaL_unref(L, LUA_REGISTRYINDEX, e->ref_thread);
    e->ref_fn = e->ref_thread = LUA_NOREF;
    e->cb = NULL;
    e->closed = 1;
    if (e->poll_ok) uv_close((uv_handle_t *)&e->poll, handle_closed);
    if (e->sig_ok) uv_close((uv_handle_t *)&e->sigint, handle_closed);
    if (e->open_handles == 0) release(e);
}

static int l_open(lua_State *L) {
    if (!lua_isnoneornil(L, 1)) luaL_checktype(L, 1, LUA_TTABLE);
    int tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (lua_istable(L, 1)) {
        if (lua_getfield(L, 1, "tty") == LUA_TBOOLEAN && !lua_toboolean(L, -1)) tty = 0; /* force plain */
        lua_pop(L, 1);
    }
    if (tty && active) return ocip_fail(L, "usage", "a line editor is already open on the terminal");
    uv_loop_t *loop = ocip_loop_uv(ocip_loop_get(L));
    editor_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->e = NULL;
    luaL_setmetatable(L, EDIT_MT);
    editor *e = calloc(1, sizeof *e);
    if (!e) return luaL_error(L, "ocip: out of memory");
    u->e = e;
    e->tty = tty;
    e->ref_fn = e->ref_thread = LUA_NOREF;
    e->stdin_flags = -1;
    if (lua_istable(L, 1)) {
        if (lua_getfield(L, 1, "complete") == LUA_TFUNCTION) {
            e->ref_fn = luaL_ref(L, LUA_REGISTRYINDEX);
            e->cb = lua_newthread(L);
            e->ref_thread = luaL_ref(L, LUA_REGISTRYINDEX);
        } else {
            lua_pop(L, 1);
        }
    }
    /* A regular file cannot be polled (EPERM): it is read directly, which never waits long. */
    e->watch = watch_fd();
    if (e->watch < 0) {
        e->watch = STDIN_FILENO;
        e->stdin_flags = fcntl(STDIN_FILENO, F_GETFL);
    }
    if (uv_poll_init(loop, &e->poll, e->watch) == 0) {
        e->poll.data = e;
        e->poll_ok = 1;
        e->open_handles++;
    }
    /* Polling fd 0 itself: readiness needs no O_NONBLOCK (fd 0 is read only once the poll
     * says it is readable), so its flags go back at once, not only at close. */
    if (e->stdin_flags >= 0) fcntl(STDIN_FILENO, F_SETFL, e->stdin_flags);
    if (tty) {
        if (uv_signal_init(loop, &e->sigint) == 0) {
            e->sigint.data = e;
            e->sig_ok = 1;
            e->open_handles++;
            /* Ctrl-C must never end the REPL; the handle alone keeps no loop alive */
            if (uv_signal_start(&e->sigint, on_sigint, SIGINT) == 0) uv_unref((uv_handle_t *)&e->sigint);
        }
        rl_catch_signals = 0;
        rl_readline_name = "ocip";
        rl_attempted_completion_function = attempt_completion;
        rl_completion_append_character = '\0';
        rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{(,.:[]+-*/%^~#)}";
        rl_completer_word_break_characters = (char *)rl_basic_word_break_characters;
        using_history();
        stifle_history(1000);
        active = e;
    }
    return 1;
}

static int l_read(lua_State *L) {
    editor *e = check(L);
    const char *prompt = luaL_optstring(L, 2, "");
    if (!e) return 0; /* closed: nil */
    if (e->w) return ocip_fail(L, "usage", "another task is reading this line editor");
    if (!e->tty) {
        char *line;
        size_t len;
        while (!take_line(e, &line, &len)) {
            if (e->poll_ok) goto wait;
            fill(e); /* a regular file */
        }
        result *r = malloc(sizeof *r);
        if (!r) {
            free(line);
            return luaL_error(L, "ocip: out of memory");
        }
        r->line = line;
        r->len = len;
        r->interrupted = 0;
        return push_result(L, r);
    }
    if (!e->poll_ok) return 0;
    free(e->prompt);
    e->prompt = strdup(prompt);
    if (!e->prompt) return luaL_error(L, "ocip: out of memory");
wait:
    e->w = ocip_await(L, "lineedit:read", read_cancel, e); /* raises outside a task */
    if (e->tty) rl_callback_handler_install(e->prompt, on_line); /* raw mode, shows the prompt */
    if (uv_poll_start(&e->poll, UV_READABLE | UV_DISCONNECT, on_poll) != 0) finish(e, NULL, 0);
    return lua_yield(L, 0);
}

static int l_add_history(lua_State *L) {
    editor *e = check(L);
    const char *line = luaL_checkstring(L, 2);
    if (e && e->tty && *line) add_history(line);
    return 0;
}

/* core.isatty(fd) -> whether that file descriptor (0, 1, 2) is a terminal. */
static int l_isatty(lua_State *L) {
    lua_Integer fd = luaL_checkinteger(L, 1);
    luaL_argcheck(L, fd >= 0 && fd <= 2, 1, "0, 1 or 2 expected");
    lua_pushboolean(L, isatty((int)fd));
    return 1;
}

static int l_is_tty(lua_State *L) {
    editor *e = check(L);
    lua_pushboolean(L, e && e->tty);
    return 1;
}

static int l_close(lua_State *L) {
    editor_close(L, luaL_checkudata(L, 1, EDIT_MT));
    return 0;
}

void ocip_open_lineedit(lua_State *L) {
    static const luaL_Reg methods[] = {
        {"read", l_read}, {"add_history", l_add_history}, {"is_tty", l_is_tty},
        {"close", l_close}, {NULL, NULL},
    };
    if (luaL_newmetatable(L, EDIT_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, l_open);
    lua_setfield(L, -2, "lineedit_open");
    lua_pushcfunction(L, l_isatty);
    lua_setfield(L, -2, "isatty");
}
