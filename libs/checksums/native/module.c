/*
 * Sluice's native checksums, one Node-API module (`build/checksums.node`, built by build.ts):
 *   - sha256-state.c: SHA-256 whose running state can be saved and restored;
 *   - crc64-nvme.c: CRC-64/NVME folded with carry-less multiplication.
 * Both exist because nothing maintained on npm does either; see src/native.ts for how they load.
 */
#include "checksums.h"

int checksums_throw(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return 0;
}

/* The bytes of a Uint8Array argument. */
int checksums_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed)
    return checksums_throw(env, "expected a Uint8Array");
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint8_array)
    return checksums_throw(env, "expected a Uint8Array");
  *data = ptr;
  return 1;
}

int checksums_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want)
    return checksums_throw(env, "missing argument");
  return 1;
}
napi_value checksums_number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  sha256_state_exports(env, exports);
  crc64_nvme_exports(env, exports);
  return exports;
}
