/* libcurl's error codes by name, so Lua code can branch on err.code
 * ("OPERATION_TIMEDOUT") without knowing libcurl's numbers. Only the codes an
 * HTTP transfer can produce are named; the rest read as "CURLE_OTHER". */
#include <curl/curl.h>

#include "modelslab.h"

const char *mlab_curlcode_name(int code)
{
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL: return "UNSUPPORTED_PROTOCOL";
    case CURLE_FAILED_INIT: return "FAILED_INIT";
    case CURLE_URL_MALFORMAT: return "URL_MALFORMAT";
    case CURLE_NOT_BUILT_IN: return "NOT_BUILT_IN";
    case CURLE_COULDNT_RESOLVE_HOST: return "COULDNT_RESOLVE_HOST";
    case CURLE_COULDNT_CONNECT: return "COULDNT_CONNECT";
    case CURLE_WEIRD_SERVER_REPLY: return "WEIRD_SERVER_REPLY";
    case CURLE_HTTP2: return "HTTP2";
    case CURLE_PARTIAL_FILE: return "PARTIAL_FILE";
    case CURLE_HTTP_RETURNED_ERROR: return "HTTP_RETURNED_ERROR";
    case CURLE_WRITE_ERROR: return "WRITE_ERROR";
    case CURLE_READ_ERROR: return "READ_ERROR";
    case CURLE_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case CURLE_OPERATION_TIMEDOUT: return "OPERATION_TIMEDOUT";
    case CURLE_RANGE_ERROR: return "RANGE_ERROR";
    case CURLE_SSL_CONNECT_ERROR: return "SSL_CONNECT_ERROR";
    case CURLE_ABORTED_BY_CALLBACK: return "ABORTED_BY_CALLBACK";
    case CURLE_BAD_FUNCTION_ARGUMENT: return "BAD_FUNCTION_ARGUMENT";
    case CURLE_INTERFACE_FAILED: return "INTERFACE_FAILED";
    case CURLE_TOO_MANY_REDIRECTS: return "TOO_MANY_REDIRECTS";
    case CURLE_GOT_NOTHING: return "GOT_NOTHING";
    case CURLE_SEND_ERROR: return "SEND_ERROR";
    case CURLE_RECV_ERROR: return "RECV_ERROR";
    case CURLE_SSL_CERTPROBLEM: return "SSL_CERTPROBLEM";
    case CURLE_SSL_CIPHER: return "SSL_CIPHER";
    case CURLE_PEER_FAILED_VERIFICATION: return "PEER_FAILED_VERIFICATION";
    case CURLE_BAD_CONTENT_ENCODING: return "BAD_CONTENT_ENCODING";
    case CURLE_FILESIZE_EXCEEDED: return "FILESIZE_EXCEEDED";
    case CURLE_SEND_FAIL_REWIND: return "SEND_FAIL_REWIND";
    case CURLE_SSL_CACERT_BADFILE: return "SSL_CACERT_BADFILE";
    case CURLE_SSL_SHUTDOWN_FAILED: return "SSL_SHUTDOWN_FAILED";
    case CURLE_AGAIN: return "AGAIN";
    case CURLE_SSL_CRL_BADFILE: return "SSL_CRL_BADFILE";
    case CURLE_SSL_ISSUER_ERROR: return "SSL_ISSUER_ERROR";
    case CURLE_CHUNK_FAILED: return "CHUNK_FAILED";
    case CURLE_NO_CONNECTION_AVAILABLE: return "NO_CONNECTION_AVAILABLE";
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH: return "SSL_PINNEDPUBKEYNOTMATCH";
    case CURLE_SSL_INVALIDCERTSTATUS: return "SSL_INVALIDCERTSTATUS";
    case CURLE_HTTP2_STREAM: return "HTTP2_STREAM";
    case CURLE_RECURSIVE_API_CALL: return "RECURSIVE_API_CALL";
    default: return "CURLE_OTHER";
    }
}
