/* core.append_private(path, data) -> true | nil, err: appends data to path,
 * creating it with mode 0600 (before umask) when missing, so a file meant for
 * the user alone (the REPL history) is never readable by others, not even
 * between its creation and a later chmod. An existing file keeps its mode. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
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

void ocip_open_fileutil(lua_State *L) {
    lua_pushcfunction(L, l_append_private);
    lua_setfield(L, -2, "append_private");
}
