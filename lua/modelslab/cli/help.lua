--- The help texts of the command and of each subcommand.
-- @module modelslab.cli.help

local help = {}

local COMMON = [[
Options for every command:
  --base-url URL         API base URL (default: $MODELSLAB_BASE_URL, else
                         https://modelslab.com/api/v1)
  --api-key-file FILE    read the API key from FILE's first line (default:
                         $MODELSLAB_API_KEY; never a flag, which history keeps)
  --request-timeout S    seconds for one HTTP request (default 30)
  --json                 machine-readable output on stdout
  --no-color             no colours (NO_COLOR set and not empty does the same)
  -h, --help             this help
  --version              the version, then exit
]]

local WAIT = [[
Waiting:
  --interval S           seconds before the second poll, and after a change (default 2)
  --max-interval S       the gap grows while nothing changes, up to S (default 15)
  --timeout S            give up after S seconds in all, exit 3 (default 600; 0: never)
  --stall-timeout S      give up when nothing changed for S seconds, exit 3 (default: off)
  --cancel-on-interrupt  Ctrl-C also cancels the execution on the server
  --cancel-on-timeout    --timeout also cancels the execution on the server
]]

local FILTER = [[
Filters (--filter EXPR, repeatable; a step is shown when all match):
  status=S[,S...]        its status is one of these: pending, running, completed,
                         failed, cancelled
  name~TEXT              its name contains TEXT (plain, case-sensitive)
  pattern=PATTERN        its name matches the Lua pattern PATTERN (e.g. pattern=^Image)
]]

local EXIT = [[
Exit codes:
  0    completed; for status also pending or running; any other command succeeded
  1    the execution failed
  2    the execution was cancelled
  3    --timeout or --stall-timeout passed first
  64   usage error (also an unreadable --api-key-file or --json-params file)
  70   internal error: a bug in this command (please report it)
  69   any other API, HTTP or network error, or an undocumented execution status
  77   no API key, or the server refused it (HTTP 401 or 403)
  130  interrupted (Ctrl-C)
]]

help.TEXTS = {
  main = [[
Usage: modelslab COMMAND [ARGUMENTS] [OPTIONS]

Follow ModelsLab workflow executions from the shell.

Commands:
  status WORKFLOW_ID EXECUTION_ID   the execution's status, steps and outputs
  watch WORKFLOW_ID EXECUTION_ID    follow the execution to its end
  run WORKFLOW_ID [KEY=VALUE...]    start an execution (--watch: and follow it)
  cancel WORKFLOW_ID EXECUTION_ID   cancel an execution
  workflows                         list the workflows the key can run
  schema WORKFLOW_ID                a workflow's parameters
  help [COMMAND]                    this help, or a command's

]] .. COMMON .. "\n" .. EXIT .. [[

Run "modelslab COMMAND --help" for a command's own options.
]],

  status = [[
Usage: modelslab status WORKFLOW_ID EXECUTION_ID [--filter EXPR]... [OPTIONS]

Prints the execution's status, elapsed time, a progress bar over the known
steps, one line per step and the output URLs (or the error). Exits by the
execution's status: 0 completed, pending or running; 1 failed; 2 cancelled.
With --json, prints the status document as one JSON object (steps filtered).

]] .. FILTER .. "\n" .. COMMON,

  watch = [[
Usage: modelslab watch WORKFLOW_ID EXECUTION_ID [OPTIONS]

Follows the execution until it completes, fails or is cancelled, and exits by
its outcome (0, 1, 2; 3 on a timeout; 130 on Ctrl-C).
On a terminal one block is redrawn in place (TERM=dumb: lines instead).
Otherwise one line per event. With --json, JSON Lines: one object per event
({"type":"status"|"step_started"|"step_completed"|"step_failed"|"step_changed",
...}), then one {"type":"done"|"error"|"interrupted", "exit_code":N, ...}.
Trouble the wait retries (a refused connection, a 503, a 429) shows as it
happens: "retrying: cannot connect (2/5)", or {"type":"retry","attempt":2,...}.
An interrupted or timed-out watch prints the command that picks it up again.

]] .. WAIT .. "\n" .. FILTER .. "\n" .. COMMON,

  run = [[
Usage: modelslab run WORKFLOW_ID [KEY=VALUE | KEY:=JSON]... [OPTIONS]

Starts an execution of the workflow with these parameters and prints its id.
KEY=VALUE sends VALUE as a string; KEY:=JSON sends a JSON value (seed:=42,
upscale:=true). --json-params FILE (- for stdin) reads a JSON object first;
the KEY=VALUE pairs then override it. See "modelslab schema WORKFLOW_ID".

  --json-params FILE     parameters from a JSON object in FILE
  --watch                then follow the execution like "watch" and exit by its outcome
  -q, --quiet            print only the execution id

]] .. WAIT .. "\n" .. FILTER .. "\n" .. COMMON,

  cancel = [[
Usage: modelslab cancel WORKFLOW_ID EXECUTION_ID [OPTIONS]

Cancels the execution on the server. An execution that already finished
cannot be cancelled: the API answers 400 and the command exits 69.

]] .. COMMON,

  workflows = [[
Usage: modelslab workflows [OPTIONS]

Lists the workflows the API key can run: id, name, rate limit, calls.

]] .. COMMON,

  schema = [[
Usage: modelslab schema WORKFLOW_ID [OPTIONS]

Prints the workflow's name, description, rate limit and parameters (key,
type, required or not, node).

]] .. COMMON,
}
help.TEXTS.help = help.TEXTS.main

--- The help text of a command.
-- @tparam[opt] string command a command name (nil: the main help)
-- @treturn string the text
function help.text(command)
  return help.TEXTS[command or "main"] or help.TEXTS.main
end

return help
