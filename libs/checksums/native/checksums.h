/* The native checksums module: what its files share. See module.c. */
#ifndef SLUICE_CHECKSUMS_H
#define SLUICE_CHECKSUMS_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Throws a TypeError with `message`; returns 0 for the caller to return. */
int checksums_throw(napi_env env, const char *message);
/* The bytes of a Uint8Array argument (on an ArrayBuffer or a SharedArrayBuffer); 0 after a throw. */
int checksums_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length);
/* The first `want` arguments; 0 after a throw when there are fewer. */
int checksums_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
napi_value checksums_number(napi_env env, double value);

void sha256_state_exports(napi_env env, napi_value exports);
void crc64_nvme_exports(napi_env env, napi_value exports);

#endif
