/* Small file-system helpers for Lua code.
 * core.append_private(path, data) -> true | nil, err: appends data to path,
 * creating it with mode 0600 (before umask) when missing, so a file meant for
 * the user alone (the REPL history) is never readable by others, not even
 * between its creation and a later chmod. An existing file keeps its mode. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include "bindings/core.h"

static int l_append_private(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *p = luaL_checklstring(L, 2, &len);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return ocip_fail(L, "usage", "%s: %s", path, strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            close(fd);
            return ocip_fail(L, "usage", "%s: %s", path, strerror(e));
        }
        p += n;
        len -= (size_t)n;
    }
    if (close(fd) != 0) return ocip_fail(L, "usage", "%s: %s", path, strerror(errno));
    lua_pushboolean(L, 1);
    return 1;
}

/* core.list_dir(path) -> array of entry names (sorted by the caller) | nil, err.
 * "." and ".." are left out. Used to list pack folders. */
static int l_list_dir(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    DIR *d = opendir(path);
    if (!d) return ocip_fail(L, "usage", "%s: %s", path, strerror(errno));
    lua_newtable(L);
    lua_Integer n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        lua_pushstring(L, e->d_name);
        lua_rawseti(L, -2, ++n);
    }
    closedir(d);
    return 1;
}

/* core.exe_path() -> the absolute path of the running executable, or nil (when the
 * host is stock lua5.4 this is the lua interpreter). Packs shipped beside the binary
 * are found from it. */
static int l_exe_path(lua_State *L) {
    char buf[4096];
    size_t size = sizeof buf;
    if (uv_exepath(buf, &size) != 0 || size == 0 || size >= sizeof buf) return 0;
    lua_pushlstring(L, buf, size);
    return 1;
}

void ocip_open_fileutil(lua_State *L) {
    lua_pushcfunction(L, l_append_private);
    lua_setfield(L, -2, "append_private");
    lua_pushcfunction(L, l_list_dir);
    lua_setfield(L, -2, "list_dir");
    lua_pushcfunction(L, l_exe_path);
    lua_setfield(L, -2, "exe_path");
}
