/* The host `ocip`: a `lua`-compatible command line (script, -e, -l, -i, -v, -, --)
 * whose chunks run as the main task of the scheduler, plus subcommands
 * (`ocip run FILE`, and `sim`, `repl`, `send`, `describe`... handled by the Lua
 * module ocip.cli). The `ocip` module is only preloaded: `ocip -e ''` stays fast. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include "bindings/core.h"
#include "bindings/loop.h"
#include "runtime/catalog.h"

#define PROGNAME "ocip"
#define MAXINPUT 4096

/* Subcommands first (what most users look for), then the lua-compatible options;
 * `ocip help TOPIC` (lua/ocip/cli/help.lua) has the details. */
static void write_usage(FILE *out) {
    fprintf(out,
            "usage: %s COMMAND [args]         (%s help COMMAND for one command)\n"
            "       %s [options] [script.lua [args]]\n"
            "commands:\n"
            "  run FILE|PACK [args]   run a Lua script, or a pack by name (ocip packs lists them)\n"
            "  repl                   interactive prompt with completion (also: ocip with no argument)\n"
            "  send CMD k=v ...       one request from the command line; table, JSON or CSV output\n"
            "  bulk REQUEST FILE      any request, one per row of a CSV / JSON / NDJSON file\n"
            "  describe CMD           fields of a request; describe --find TEXT searches request names\n"
            "  packs                  list the script packs found, with their descriptions\n"
            "  snapshot --group SP/G  write a group's configuration to a file (Lua data or JSON)\n"
            "  plan FILE              what apply would change: + add, ~ modify field by field, - delete\n"
            "  apply FILE --yes       make a live group match FILE, in dependency order\n"
            "  sim                    a local OCI-P simulator (TCP, TLS, SOAP) for trying things out\n"
            "  help [TOPIC]           help; topics: the commands above, connect, exit, lua\n"
            "options (as lua5.4's):\n"
            "  -e stat   execute string 'stat'\n"
            "  -i        enter interactive mode after executing 'script'\n"
            "  -l mod    require library 'mod' into global 'mod' (-l g=mod: into global 'g')\n"
            "  -v        show version information (also --version)\n"
            "  -E        ignore environment variables\n"
            "  -W        turn warnings on\n"
            "  -h        show this help and exit (also --help)\n"
            "  --        stop handling options\n"
            "  -         stop handling options and execute stdin\n",
            PROGNAME, PROGNAME, PROGNAME);
}

static void print_usage(const char *badoption) {
    if (badoption[1] == 'e' || badoption[1] == 'l')
        fprintf(stderr, "%s: '%s' needs argument\n", PROGNAME, badoption);
    else
        fprintf(stderr, "%s: unrecognized option '%s'\n", PROGNAME, badoption);
    write_usage(stderr);
}

static void print_version(void) {
    const ocip_catalog *c = ocip_catalog_get();
    printf("%s %s (catalog %s)\n", PROGNAME, OCIP_VERSION, c && c->release ? c->release : "none");
    fflush(stdout);
}

static void message(const char *msg) {
    if (strncmp(msg, PROGNAME ": ", sizeof PROGNAME + 1) == 0) msg += sizeof PROGNAME + 1;
    fprintf(stderr, "%s: %s\n", PROGNAME, msg);
    fflush(stderr);
}

static int report(lua_State *L, int status) {
    if (status != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!msg) msg = "(error object is not a string)";
        message(msg);
        lua_pop(L, 1);
    }
    return status;
}

/* Runs the function and its nargs arguments on top of L as the main task. Results
 * (LUA_MULTRET) stay on the stack on success; the error is reported on failure. */
static int docall(lua_State *L, int nargs) {
    int status = ocip_loop_run_main(L, nargs);
    if (ocip_loop_failed(L)) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "ocip.host_failed");
    }
    return status;
}

static int dochunk(lua_State *L, int status) {
    if (status == LUA_OK) {
        int top = lua_gettop(L);
        status = docall(L, 0);
        if (status == LUA_OK) lua_settop(L, top - 1);
    }
    return report(L, status);
}

static int dofile(lua_State *L, const char *name) { return dochunk(L, luaL_loadfile(L, name)); }

static int dostring(lua_State *L, const char *s, const char *name) {
    return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* -l [globname=]modname */
static int dolibrary(lua_State *L, char *spec) {
    char *eq = strchr(spec, '=');
    const char *mod = spec, *glob = spec;
    if (eq) {
        *eq = '\0';
        mod = eq + 1;
    }
    int top = lua_gettop(L);
    lua_getglobal(L, "require");
    lua_pushstring(L, mod);
    int status = docall(L, 1);
    if (status == LUA_OK) {
        lua_settop(L, top + 1); /* first result: the module */
        lua_setglobal(L, glob);
    }
    return report(L, status);
}

/* The global `arg`: arg[0] = script, arguments after it positive, before it negative. */
static void create_arg_table(lua_State *L, char **argv, int argc, int script) {
    if (script == argc) script = 0; /* no script: arg[0] is the program name */
    lua_createtable(L, argc - (script + 1), script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int push_script_args(lua_State *L) {
    if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
    int n = (int)luaL_len(L, -1);
    luaL_checkstack(L, n + 3, "too many arguments to script");
    for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
    lua_remove(L, -(n + 1));
    return n;
}

static int handle_script(lua_State *L, char **argv) {
    const char *fname = argv[0];
    if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL; /* stdin */
    int status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
        int n = push_script_args(L);
        int top = lua_gettop(L) - n - 1;
        status = docall(L, n);
        if (status == LUA_OK) lua_settop(L, top);
    }
    return report(L, status);
}

/* ---- option parsing (as lua.c) ------------------------------------------- */

enum { HAS_ERROR = 1, HAS_I = 2, HAS_V = 4, HAS_E = 8, HAS_BIG_E = 16 };

static int collect_args(char **argv, int *first) {
    int args = 0, i;
    if (argv[0] == NULL) {
        *first = -1;
        return 0;
    }
    for (i = 1; argv[i] != NULL; i++) {
        *first = i;
        if (argv[i][0] != '-') return args;
        switch (argv[i][1]) {
        case '-':
            if (strcmp(argv[i], "--version") == 0) {
                args |= HAS_V;
                break;
            }
            if (argv[i][2] != '\0') return HAS_ERROR;
            *first = i + 1;
            return args;
        case '\0': return args;
        case 'E':
            if (argv[i][2] != '\0') return HAS_ERROR;
            args |= HAS_BIG_E;
            break;
        case 'W':
            if (argv[i][2] != '\0') return HAS_ERROR;
            break;
        case 'i': args |= HAS_I; /* fallthrough: -i implies -v */
        /* fallthrough */
        case 'v':
            if (argv[i][2] != '\0') return HAS_ERROR;
            args |= HAS_V;
            break;
        case 'e': args |= HAS_E; /* fallthrough */
        /* fallthrough */
        case 'l':
            if (argv[i][2] == '\0') {
                i++;
                if (argv[i] == NULL || argv[i][0] == '-') return HAS_ERROR;
            }
            break;
        default: return HAS_ERROR;
        }
    }
    *first = i;
    return args;
}

static int run_args(lua_State *L, char **argv, int n) {
    for (int i = 1; i < n; i++) {
        int option = argv[i][1];
        switch (option) {
        case 'e':
        case 'l': {
            char *extra = argv[i] + 2;
            if (*extra == '\0') extra = argv[++i];
            int st = option == 'e' ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
            if (st != LUA_OK) return 0;
            break;
        }
        case 'W': lua_warning(L, "@on", 0); break;
        default: break;
        }
    }
    return 1;
}

static int handle_luainit(lua_State *L) {
    const char *name = "=LUA_INIT_5_4";
    const char *init = getenv(name + 1);
    if (!init) {
        name = "=LUA_INIT";
        init = getenv(name + 1);
    }
    if (!init) return LUA_OK;
    if (init[0] == '@') return dofile(L, init + 1);
    return dostring(L, init, name);
}

/* ---- the plain REPL -------------------------------------------------------- */

static int incomplete(lua_State *L, int status) {
    if (status == LUA_ERRSYNTAX) {
        size_t lmsg;
        const char *msg = lua_tolstring(L, -1, &lmsg);
        if (lmsg >= 5 && strcmp(msg + lmsg - 5, "<eof>") == 0) {
            lua_pop(L, 1);
            return 1;
        }
    }
    return 0;
}

static int read_line(lua_State *L, const char *prompt) {
    char buf[MAXINPUT];
    if (prompt) {
        fputs(prompt, stdout);
        fflush(stdout);
    }
    if (!fgets(buf, sizeof buf, stdin)) return 0;
    size_t l = strlen(buf);
    if (l > 0 && buf[l - 1] == '\n') buf[--l] = '\0';
    lua_pushlstring(L, buf, l);
    return 1;
}

/* Loads the line on top as "return <line>" first (expressions print their value). */
static int add_return(lua_State *L) {
    const char *line = lua_tostring(L, -1);
    const char *retline = lua_pushfstring(L, "return %s;", line);
    int status = luaL_loadbuffer(L, retline, strlen(retline), "=stdin");
    if (status == LUA_OK) lua_remove(L, -2);
    else lua_pop(L, 2);
    return status;
}

static int multiline(lua_State *L) {
    for (;;) {
        size_t len;
        const char *line = lua_tolstring(L, 1, &len);
        int status = luaL_loadbuffer(L, line, len, "=stdin");
        if (!incomplete(L, status) || !read_line(L, ">> ")) return status;
        lua_pushliteral(L, "\n");
        lua_insert(L, -2);
        lua_concat(L, 3);
    }
}

static int load_line(lua_State *L) {
    lua_settop(L, 0);
    if (!read_line(L, "> ")) return -1;
    int status = add_return(L);
    if (status != LUA_OK) status = multiline(L);
    lua_remove(L, 1);
    return status;
}

static void print_results(lua_State *L) {
    int n = lua_gettop(L);
    if (n > 0) {
        luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
        lua_getglobal(L, "print");
        lua_insert(L, 1);
        if (lua_pcall(L, n, 0, 0) != LUA_OK)
            message(lua_pushfstring(L, "error calling 'print' (%s)", lua_tostring(L, -1)));
    }
}

static void do_repl(lua_State *L) {
    int status;
    while ((status = load_line(L)) != -1) {
        if (status == LUA_OK) status = docall(L, 0);
        if (status == LUA_OK) print_results(L);
        else report(L, status);
    }
    lua_settop(L, 0);
    fputs("\n", stdout);
    fflush(stdout);
}

/* ---- module loading ------------------------------------------------------- */

/* package.preload["ocip.core"]: loads ocip (which registers ocip.core). */
static int open_core(lua_State *L) {
    luaL_requiref(L, "ocip", luaopen_ocip, 0);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, "ocip.core");
    return 1;
}

/* Searcher for "ocip.*": loading ocip preloads the embedded library, so a script
 * may require "ocip.async" before "ocip". */
static int search_ocip(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    if (strncmp(name, "ocip.", 5) != 0) {
        lua_pushfstring(L, "\n\tno embedded module '%s'", name);
        return 1;
    }
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    int loaded = lua_getfield(L, -1, "ocip") != LUA_TNIL;
    lua_pop(L, 2);
    if (!loaded) {
        luaL_requiref(L, "ocip", luaopen_ocip, 0);
        lua_pop(L, 1);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    if (lua_getfield(L, -1, name) == LUA_TNIL) {
        lua_pushfstring(L, "\n\tno embedded module '%s'", name);
        return 1;
    }
    lua_pushliteral(L, ":preload:");
    return 2;
}

static void install_loaders(lua_State *L) {
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_ocip);
    lua_setfield(L, -2, "ocip");
    lua_pushcfunction(L, open_core);
    lua_setfield(L, -2, "ocip.core");
    lua_pop(L, 1);
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "searchers");
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = n; i >= 2; i--) { /* insert at 2, after the preload searcher */
        lua_rawgeti(L, -1, i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_pushcfunction(L, search_ocip);
    lua_rawseti(L, -2, 2);
    lua_pop(L, 2);
}

/* ---- subcommands ----------------------------------------------------------- */

/* ocip.cli.main(sub, args) returns the exit status, or nil for an unknown subcommand. */
static const char DISPATCH[] =
    "local sub, args = ...\n"
    "local function unknown()\n"
    "  io.stderr:write(\"ocip: unknown command '\" .. sub .. \"' (usage: ocip [options] [script.lua [args]]\"\n"
    "    .. \" | ocip run FILE|PACK [args] | ocip repl|sim|send|describe|packs|help ...; ocip help lists them)\\n\")\n"
    "  return 2\n"
    "end\n"
    "local ok, cli = pcall(require, 'ocip.cli')\n"
    "if not ok then\n"
    "  if type(cli) == 'string' and cli:find(\"module 'ocip.cli' not found\", 1, true) then return unknown() end\n"
    "  error(cli, 0)\n"
    "end\n"
    "local status = cli.main(sub, args)\n"
    "if status == nil then return unknown() end\n"
    "return status\n";

static int is_word(const char *s) {
    if (!islower((unsigned char)s[0])) return 0;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '_') return 0;
    return 1;
}

/* `ocip WORD args...` where WORD is not a readable file: a subcommand of ocip.cli. */
static int run_subcommand(lua_State *L, int argc, char **argv) {
    create_arg_table(L, argv, argc, 1);
    if (luaL_loadbuffer(L, DISPATCH, sizeof DISPATCH - 1, "=ocip.dispatch") != LUA_OK) return report(L, 1), 1;
    lua_pushstring(L, argv[1]);
    lua_createtable(L, argc - 2, 0);
    for (int i = 2; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    int top = lua_gettop(L) - 3;
    int status = docall(L, 2);
    if (report(L, status) != LUA_OK) return 1;
    int code = 0;
    if (lua_gettop(L) > top) {
        if (lua_isinteger(L, top + 1)) code = (int)lua_tointeger(L, top + 1);
        else if (!lua_toboolean(L, top + 1)) code = 1; /* false */
    }
    lua_settop(L, top);
    return code;
}

/* True when this build carries the ocip.cli module (loads ocip to find out). */
static int has_cli(lua_State *L) {
    luaL_requiref(L, "ocip", luaopen_ocip, 0);
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    int found = lua_getfield(L, -1, "ocip.cli") != LUA_TNIL;
    lua_pop(L, 2);
    return found;
}

/* `ocip run NAME`: NAME is not a readable file, so look it up as a pack (ocip.packs).
 * On success argv[1] points at the pack's path (kept alive in the registry) and 0 is
 * returned; otherwise the reason is printed and the exit status (2) returned. */
static const char RESOLVE[] =
    "local name = ...\n"
    "local packs = require 'ocip.packs'\n"
    "local path, searched = packs.find(name)\n"
    "if path then return path end\n"
    "if not packs.valid_name(name) then\n"
    "  io.stderr:write('ocip: cannot open ', name, '\\n')\n"
    "else\n"
    "  io.stderr:write('ocip: no pack named ', name, ' (looked in ', table.concat(searched, ', '),\n"
    "    '); ocip packs lists the packs found\\n')\n"
    "end\n"
    "return nil\n";

static int resolve_pack(lua_State *L, char **argv) {
    luaL_requiref(L, "ocip", luaopen_ocip, 0);
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, RESOLVE, sizeof RESOLVE - 1, "=ocip.resolve") != LUA_OK) return report(L, 1), 1;
    lua_pushstring(L, argv[1]);
    if (report(L, lua_pcall(L, 1, 1, 0)) != LUA_OK) return 1;
    if (!lua_isstring(L, -1)) {
        lua_pop(L, 1);
        return 2;
    }
    argv[1] = (char *)lua_tostring(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, "ocip.pack_path"); /* keeps the string alive */
    return 0;
}

/* ---- main ------------------------------------------------------------------ */

static int pmain(lua_State *L) {
    int argc = (int)lua_tointeger(L, 1);
    char **argv = lua_touserdata(L, 2);
    luaL_checkversion(L);
    luaL_openlibs(L);
    /* Incremental GC in small steps, starting a cycle at 3x the live heap (lua.c uses
     * generational mode): with thousands of commands in flight, generational major
     * collections stalled every session at once for up to 30+ ms; this setting took
     * SOAP throughput from ~0.81 to ~0.90 of the latency-bound limit at the same CPU
     * per command (spec/bench/client_bench.lua, docs/BENCHMARKS.md). Scripts may still
     * call collectgarbage() to choose otherwise. */
    lua_gc(L, LUA_GCINC, 300, 200, 10);
    ocip_loop_get(L); /* the scheduler first, so that it is finalised last */
    install_loaders(L);
    lua_settop(L, 0);

    if (argc >= 2 && strcmp(argv[1], "run") == 0) { /* ocip run FILE args == ocip FILE args */
        if (argc < 3) {
            message("usage: ocip run FILE|PACK [args]   (ocip packs lists the packs)");
            return 0;
        }
        argv++;
        argc--;
        if (strcmp(argv[1], "-") != 0 && access(argv[1], R_OK) != 0) {
            int code = resolve_pack(L, argv);
            if (code != 0) {
                lua_pushinteger(L, code);
                return 1;
            }
        }
    } else if (argc >= 2 && is_word(argv[1]) && access(argv[1], R_OK) != 0) {
        int code = run_subcommand(L, argc, argv);
        lua_pushinteger(L, code);
        return 1;
    }

    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        write_usage(stdout); /* asked for: stdout, exit 0 */
        fflush(stdout);
        lua_pushinteger(L, 0);
        return 1;
    }

    int script = 0;
    int args = collect_args(argv, &script);
    if (args == HAS_ERROR) {
        print_usage(argv[script]);
        return 0;
    }
    if (args & HAS_V) print_version();
    if (args & HAS_BIG_E) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    create_arg_table(L, argv, argc, script > 0 ? script : argc);
    if (!(args & HAS_BIG_E) && handle_luainit(L) != LUA_OK) return 0;
    if (!run_args(L, argv, script > 0 ? script : argc)) return 0;
    if (script > 0 && script < argc && handle_script(L, argv + script) != LUA_OK) return 0;
    if (args & HAS_I) {
        if (has_cli(L)) { /* the line-editing REPL (ocip.repl); the version was printed */
            char *rargv[] = {argv[0], (char *)"repl", (char *)"--no-banner", NULL};
            lua_pushinteger(L, run_subcommand(L, 3, rargv));
            return 1;
        }
        do_repl(L);
    } else if ((script <= 0 || script >= argc) && !(args & (HAS_E | HAS_V))) {
        if (isatty(0)) {
            if (has_cli(L)) {
                char *rargv[] = {argv[0], (char *)"repl", NULL};
                lua_pushinteger(L, run_subcommand(L, 2, rargv));
                return 1;
            }
            print_version();
            do_repl(L);
        } else if (dofile(L, NULL) != LUA_OK) {
            return 0;
        }
    }
    lua_getfield(L, LUA_REGISTRYINDEX, "ocip.host_failed");
    int failed = lua_toboolean(L, -1);
    lua_pushinteger(L, failed ? 1 : 0);
    return 1;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN); /* a closed peer is an error on the write, never a kill */
    lua_State *L = luaL_newstate();
    if (!L) {
        message("cannot create state: not enough memory");
        return EXIT_FAILURE;
    }
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    int status = lua_pcall(L, 2, 1, 0);
    int code = 1; /* pmain returns nothing useful (0 values -> nil) on a reported failure */
    if (status == LUA_OK && lua_isinteger(L, -1)) code = (int)lua_tointeger(L, -1);
    report(L, status);
    lua_close(L);
    return code;
}
