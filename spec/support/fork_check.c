/* For spec/fork_spec.lua: a Lua 5.4 state makes a client and uses its
 * connection, then the process forks (as nginx's master does) and both
 * processes use the same client again. The child must open its own
 * connection rather than share the parent's. usage: fork_check BASE_URL KEY */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

static int run(lua_State *L, const char *code)
{
    if (luaL_dostring(L, code) != 0) {
        fprintf(stderr, "%s\n", lua_tostring(L, -1));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 64;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_pushstring(L, argv[1]);
    lua_setglobal(L, "BASE_URL");
    lua_pushstring(L, argv[2]);
    lua_setglobal(L, "KEY");
    const char *poll = "local doc, err = client:status('3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42', 1) "
                       "assert(doc, tostring(err)) print(WHO .. ' ' .. doc.execution.status)";
    if (run(L, "client = require('modelslab').new { api_key = KEY, base_url = BASE_URL } WHO = 'parent'"))
        return 1;
    if (run(L, poll))
        return 1;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        /* The child's poller runs on the child's own transport (multi and
         * connection cache), and reuses the connection the child just made. */
        const char *poller = "local p = client:poller() p:add('3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42', 1) "
                             "local r repeat r = p:poll(10)[1] until r "
                             "assert(r.doc, tostring(r.err)) p:close()";
        int rc = run(L, "WHO = 'child'") || run(L, poll) || run(L, poller);
        fflush(stdout);
        _exit(rc); /* no lua_close: the parent's state is not the child's to tear down */
    }
    int status = 0;
    waitpid(child, &status, 0);
    int rc = run(L, poll) || run(L, "client:close()");
    lua_close(L);
    return rc || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}
