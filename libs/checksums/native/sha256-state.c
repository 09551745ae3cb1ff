/*
 * SHA-256 whose running state can be saved and restored, so a hash carried across processes
 * (a crash, a rebalance) resumes where it stopped. It is OpenSSL's SHA-256, the one node:crypto
 * runs (SHA-NI or AVX2 where the CPU has them), reached through the SHA256_* functions that Node
 * exports for add-ons; node:crypto itself cannot save a hash's state.
 *
 * The caller owns the context: a Uint8Array of `contextSize` bytes. A saved state is portable
 * and independent of OpenSSL's layout: the eight state words (big-endian), the count of bytes
 * hashed (64-bit big-endian), then the bytes of the block not yet compressed (count mod 64).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define SAVED_HEAD 40

static int throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return 0;
}

/* The bytes of a Uint8Array argument. */
static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed)
    return throw_type(env, "sha256-state: expected a Uint8Array");
  napi_typedarray_type type;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &ptr, NULL, NULL) != napi_ok ||
      type != napi_uint8_array)
    return throw_type(env, "sha256-state: expected a Uint8Array");
  *data = ptr;
  return 1;
}

static int context_of(napi_env env, napi_value value, SHA256_CTX **ctx) {
  uint8_t *data;
  size_t length;
  if (!bytes_of(env, value, &data, &length)) return 0;
  if (length != sizeof(SHA256_CTX) || ((uintptr_t)data % _Alignof(SHA256_CTX)) != 0)
    return throw_type(env, "sha256-state: not a SHA-256 context");
  *ctx = (SHA256_CTX *)data;
  return 1;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want)
    return throw_type(env, "sha256-state: missing argument");
  return 1;
}

static napi_value number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

/* init(context) */
static napi_value init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  SHA256_CTX *ctx;
  if (!args(env, info, 1, argv) || !context_of(env, argv[0], &ctx)) return NULL;
  SHA256_Init(ctx);
  return NULL;
}

/* update(context, bytes) */
static napi_value update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  SHA256_CTX *ctx;
  uint8_t *data;
  size_t length;
  if (!args(env, info, 2, argv) || !context_of(env, argv[0], &ctx) || !bytes_of(env, argv[1], &data, &length))
    return NULL;
  SHA256_Update(ctx, data, length);
  return NULL;
}

/* digest(context, out32): the digest of the bytes so far; the context goes on unchanged. */
static napi_value digest(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  SHA256_CTX *ctx;
  uint8_t *out;
  size_t length;
  if (!args(env, info, 2, argv) || !context_of(env, argv[0], &ctx) || !bytes_of(env, argv[1], &out, &length))
    return NULL;
  if (length != SHA256_DIGEST_LENGTH) {
    throw_type(env, "sha256-state: the digest takes 32 bytes");
    return NULL;
  }
  SHA256_CTX copy = *ctx;
  SHA256_Final(out, &copy);
  return NULL;
}

/* save(context, out): writes the saved state into out (at least 104 bytes); returns its length. */
static napi_value save(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  SHA256_CTX *ctx;
  uint8_t *out;
  size_t capacity;
  if (!args(env, info, 2, argv) || !context_of(env, argv[0], &ctx) || !bytes_of(env, argv[1], &out, &capacity))
    return NULL;
  uint64_t bits = ((uint64_t)ctx->Nh << 32) | ctx->Nl;
  uint64_t count = bits >> 3;
  size_t pending = ctx->num;
  if (pending != count % SHA256_CBLOCK || capacity < SAVED_HEAD + pending) {
    throw_type(env, "sha256-state: the context cannot be saved");
    return NULL;
  }
  for (int i = 0; i < 8; i++)
    for (int b = 0; b < 4; b++) out[i * 4 + b] = (uint8_t)(ctx->h[i] >> (24 - 8 * b));
  for (int b = 0; b < 8; b++) out[32 + b] = (uint8_t)(count >> (56 - 8 * b));
  memcpy(out + SAVED_HEAD, ctx->data, pending);
  return number(env, (double)(SAVED_HEAD + pending));
}

/* restore(context, saved): sets the context to a saved state; throws on one that is not. */
static napi_value restore(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  SHA256_CTX *ctx;
  uint8_t *in;
  size_t length;
  if (!args(env, info, 2, argv) || !context_of(env, argv[0], &ctx) || !bytes_of(env, argv[1], &in, &length))
    return NULL;
  uint64_t count = 0;
  if (length >= SAVED_HEAD)
    for (int b = 0; b < 8; b++) count = (count << 8) | in[32 + b];
  if (length < SAVED_HEAD || length - SAVED_HEAD != count % SHA256_CBLOCK || count >> 61 != 0) {
    throw_type(env, "sha256-state: not a saved SHA-256 state");
    return NULL;
  }
  SHA256_Init(ctx);
  for (int i = 0; i < 8; i++)
    ctx->h[i] = ((SHA_LONG)in[i * 4] << 24) | ((SHA_LONG)in[i * 4 + 1] << 16) | ((SHA_LONG)in[i * 4 + 2] << 8) |
                (SHA_LONG)in[i * 4 + 3];
  uint64_t bits = count << 3;
  ctx->Nl = (SHA_LONG)bits;
  ctx->Nh = (SHA_LONG)(bits >> 32);
  memcpy(ctx->data, in + SAVED_HEAD, length - SAVED_HEAD);
  ctx->num = (unsigned int)(length - SAVED_HEAD);
  return NULL;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  const napi_property_descriptor properties[] = {
      {"contextSize", NULL, NULL, NULL, NULL, number(env, sizeof(SHA256_CTX)), napi_enumerable, NULL},
      {"savedSize", NULL, NULL, NULL, NULL, number(env, SAVED_HEAD + SHA256_CBLOCK - 1), napi_enumerable, NULL},
      {"init", NULL, init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"update", NULL, update, NULL, NULL, NULL, napi_enumerable, NULL},
      {"digest", NULL, digest, NULL, NULL, NULL, napi_enumerable, NULL},
      {"save", NULL, save, NULL, NULL, NULL, napi_enumerable, NULL},
      {"restore", NULL, restore, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}
