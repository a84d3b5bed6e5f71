# The library inside a real nginx against the in-nginx floor (a bare cosocket
# GET with setkeepalive), side by side in one run; needs wrk (apt-get install
# wrk). Writes build/bench-openresty.md.
#
#   make bench-openresty                 5 s per load run
#   make bench-openresty SECONDS=10

.PHONY: bench-openresty

bench-openresty: deps-ci
	@sh bench/openresty.sh $(SECONDS)
