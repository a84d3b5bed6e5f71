-- busted output handler: the usual terminal output, plus the counts written to
-- $MODELSLAB_SUMMARY so spec/run.sh can print the one summary line CI reads.
return function(options)
  local busted = require "busted"
  local handler = require("busted.outputHandlers.utfTerminal")(options)

  busted.subscribe({ "suite", "end" }, function()
    local path = os.getenv("MODELSLAB_SUMMARY")
    if path then
      local f = assert(io.open(path, "w"))
      f:write(handler.successesCount, " ", handler.failuresCount + handler.errorsCount, " ",
        handler.pendingsCount, "\n")
      f:close()
    end
    return nil, true
  end)
  return handler
end
