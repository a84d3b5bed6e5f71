# LÖVE games (LuaJIT): the folder a game copies next to its main.lua or its
# executable, and the example game with it.
#
#   make love-bundle   build/love-bundle: modelslab_love.lua (the loader: see
#                      its top), modelslab/ (the Lua modules and core.so built
#                      for LuaJIT) and cjson.so (Debian's lua-cjson for Lua
#                      5.1, which LuaJIT loads) with its licence
#   make love-game     build/love-game: examples/love and the bundle;
#                      run it with `love build/love-game`

LOVE_BUNDLE := build/love-bundle
LOVE_GAME := build/love-game
# dpkg knows where Debian put lua-cjson's module for 5.1 (a symlink).
CJSON_51 = $(shell dpkg -L lua-cjson 2>/dev/null | grep '/lua/5\.1/cjson\.so$$')

.PHONY: love-bundle love-game

love-bundle:
	@$(MAKE) -s LUA=luajit all
	@test -n "$(CJSON_51)" || { echo "lua-cjson's module for Lua 5.1 missing: apt-get install lua-cjson" >&2; exit 1; }
	@rm -rf $(LOVE_BUNDLE)
	@mkdir -p $(LOVE_BUNDLE)/modelslab
	@cp lua/modelslab/*.lua build/luajit/modelslab/core.so $(LOVE_BUNDLE)/modelslab/
	@cp -L $(CJSON_51) $(LOVE_BUNDLE)/cjson.so
	@cp /usr/share/doc/lua-cjson/copyright $(LOVE_BUNDLE)/cjson-copyright.txt
	@cp examples/love/modelslab_love.lua $(LOVE_BUNDLE)/
	@echo "LÖVE bundle: $(LOVE_BUNDLE)"

love-game: love-bundle
	@rm -rf $(LOVE_GAME)
	@mkdir -p $(LOVE_GAME)
	@cp -R $(LOVE_BUNDLE)/. $(LOVE_GAME)/
	@cp examples/love/*.lua $(LOVE_GAME)/
	@echo "LÖVE game: $(LOVE_GAME) (love $(LOVE_GAME))"
