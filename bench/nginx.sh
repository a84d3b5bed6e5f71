# Sourced by the benchmark scripts: starts nginx from bench/nginx.conf.in in a
# temporary prefix on free loopback ports, with a certificate for localhost
# made now, stopped on exit. Sets $base, $tls_base, $tls_new_base and $ca.
prefix=$(mktemp -d)
chmod 755 "$prefix" # nginx's workers may run as another user
trap 'kill "$(cat "$prefix/nginx.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$prefix"' EXIT
free_port() {
    lua5.4 -e 'local s = require("socket").bind("127.0.0.1", 0); local _, p = s:getsockname(); print(p)'
}
port=$(free_port); tls_port=$(free_port); tls_new_port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$prefix/key.pem" -out "$prefix/cert.pem" 2>/dev/null
chmod 644 "$prefix/key.pem"
cp spec/fixtures/completed.json "$prefix/"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" -e "s|@TLS_PORT@|$tls_port|g" \
    -e "s|@TLS_NEW_PORT@|$tls_new_port|g" bench/nginx.conf.in > "$prefix/nginx.conf"
# Started by root, nginx's workers would run as nobody: run them as root.
[ "$(id -u)" -eq 0 ] && user="user root;" || user=""
nginx -c "$prefix/nginx.conf" -p "$prefix" -e "$prefix/error.log" -g "${user}pid $prefix/nginx.pid;"
base="http://127.0.0.1:$port"
tls_base="https://localhost:$tls_port"
tls_new_base="https://localhost:$tls_new_port"
ca="$prefix/cert.pem"
