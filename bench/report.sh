#!/bin/sh
# Turns bench/compare.sh's measurements into Markdown (build/bench/RESULTS.md).
# usage: report.sh RESULTS_TSV MEMORY_TSV COMMAND
results=$1 memory=$2 command=$3
cat <<HEAD
# Benchmark results

Command: \`$command\`, run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores of
$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1), with $(lua5.4 -v 2>&1 | cut -d' ' -f1-2),
$(luajit -v | cut -d' ' -f1-2), libcurl $(curl-config --version | cut -d' ' -f2), $(nginx -v 2>&1 | cut -d' ' -f3),
$(openssl version | cut -d' ' -f1-2). A server of ours: nginx on loopback serving the
completed fixture (784 bytes). Rows measured more than once show the median.

| what | operations | per second | CPU per operation | peak memory |
|---|---:|---:|---:|---:|
HEAD
# Median of the rates per label, keeping first-seen order; then the ratios,
# each against its target, a missed one flagged in its row and at the end.
awk -F'\t' '
  function median(arr, label, n,    i, j, t, v) {
    for (i = 1; i <= n; i++) v[i] = arr[label, i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((n + 1) / 2)]
  }
  # One row of the ratio table; op is ">=", "<", "<=" or "" (no target).
  function row(what, shown, value, op, goal, unit,    met) {
    if (op == "") { printf "| %s | %s | | |\n", what, shown; return }
    met = op == ">=" ? value >= goal : op == "<" ? value < goal : value <= goal
    printf "| %s | %s | %s %s%s | %s |\n", what, shown, op == ">=" ? "≥" : op == "<" ? "<" : "≤", goal, unit,
      met ? "met" : "**MISSED**"
    if (!met) missed[++misses] = what
    targets++
  }
  FNR == NR {
    label = $1; rate = $2 / $3; cpu = $4 / $2 * 1e6
    if (!(label in count)) order[++labels] = label
    k = ++count[label]; rates[label, k] = rate; cpus[label, k] = cpu; ops[label] = $2; peak[label] = $5
    next
  }
  { growth = $3 - $2; memory_line = sprintf("%d KiB (%d -> %d)", growth, $2, $3) }
  END {
    for (i = 1; i <= labels; i++) {
      l = order[i]; r[l] = median(rates, l, count[l]); c[l] = median(cpus, l, count[l])
      printf "| %s | %d | %.0f | %.1f µs | %.1f MiB |\n", l, ops[l], r[l], c[l], peak[l] / 1024
    }
    http = "plain C, http keep-alive"
    printf "\n| ratio | value | target | |\n|---|---:|---:|---|\n"
    v = r["client:status Lua 5.4, http keep-alive"] / r[http]
    row("client:status Lua 5.4 / plain C, http keep-alive", sprintf("%.2f", v), v, ">=", 0.85)
    v = r["client:status LuaJIT, http keep-alive"] / r[http]
    row("client:status LuaJIT / plain C, http keep-alive", sprintf("%.2f", v), v, ">=", 0.85)
    v = r["client:status Lua 5.4, https keep-alive"] / r["LuaSocket + LuaSec + cjson, https"]
    row("client:status / LuaSocket + LuaSec, https", sprintf("%.1f", v), v, ">=", 5)
    v = r["client:status Lua 5.4, http keep-alive"] / r["LuaSocket + cjson, http"]
    row("client:status / LuaSocket, http", sprintf("%.1f", v), v, "")
    v = (c["client:status Lua 5.4, https new connection each"] - c["client:status Lua 5.4, https keep-alive"]) / 1000
    row("CPU of a new verified TLS connection (client:status)", sprintf("%.2f ms", v), v, "<", 3, " ms")
    v = c["client:status, new TLS connection, built-in CA bundle (fails verify)"] / 1000
    row("CPU of a new TLS connection checked against the built-in CA bundle", sprintf("%.2f ms", v), v, "<", 3, " ms")
    v = r["poller (100 at once), 50 ms answers"] / r["sequential client:status, 50 ms answers"]
    row("poller / sequential, 1,000 executions, 50 ms answers", sprintf("%.1f", v), v, ">=", 20)
    v = 100 * r["client:status Lua 5.4, http keep-alive"] / r["modelslab.decode_status"]
    row("share of a keep-alive client:status spent decoding and validating (Lua 5.4)", sprintf("%.0f %%", v), v, "")
    row("resident memory growth from 1,000 to 100,000 client:status calls", memory_line, growth, "<=", 1024, " KiB")
    printf "\n**Targets: %d of %d met", targets - misses, targets
    if (misses) { printf "; MISSED:"; for (i = 1; i <= misses; i++) printf "%s %s", (i > 1 ? ";" : ""), missed[i] }
    printf ".**\n"
  }' "$results" "$memory"
