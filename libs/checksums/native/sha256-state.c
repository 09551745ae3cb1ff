/*
 * SHA-256 whose running state can be saved and restored, so a hash carried across processes
 * (a crash, a rebalance) resumes where it stopped. It is OpenSSL's SHA-256, the one node:crypto
 * runs (SHA-NI or AVX2 where the CPU has them), reached through the SHA256_* functions that Node
 * exports for add-ons; node:crypto itself cannot save a hash's state.
 *
 * The caller owns the context: a Uint8Array of `sha256ContextSize` bytes. A saved state is portable
 * and independent of OpenSSL's layout: the eight state words (big-endian), the count of bytes
 * hashed (64-bit big-endian), then the bytes of the block not yet compressed (count mod 64).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "checksums.h"
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define SAVED_HEAD 40

static int context_of(napi_env env, napi_value value, SHA256_CTX **ctx) {
  uint8_t *data;
  size_t length;
  if (!checksums_bytes(env, value, &data, &length)) return 0;
  if (length != sizeof(SHA256_CTX) || ((uintptr_t)data % _Alignof(SHA256_CTX)) != 0)
    return checksums_throw(env, "not a SHA-256 context");
  *ctx = (SHA256_CTX *)data;
  return 1;
}

/* The arguments (context, bytes) of update, digest, save and restore; 0 after a throw. */
static int context_and_bytes(napi_env env, napi_callback_info info, SHA256_CTX **ctx, uint8_t **bytes, size_t *length) {
  napi_value argv[2];
  return checksums_args(env, info, 2, argv) && context_of(env, argv[0], ctx) &&
         checksums_bytes(env, argv[1], bytes, length);
}

/* init(context) */
static napi_value init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  SHA256_CTX *ctx;
  if (!checksums_args(env, info, 1, argv) || !context_of(env, argv[0], &ctx)) return NULL;
  SHA256_Init(ctx);
  return NULL;
}

/* update(context, bytes) */
static napi_value update(napi_env env, napi_callback_info info) {
  SHA256_CTX *ctx;
  uint8_t *data;
  size_t length;
  if (!context_and_bytes(env, info, &ctx, &data, &length)) return NULL;
  SHA256_Update(ctx, data, length);
  return NULL;
}

/* digest(context, out32): the digest of the bytes so far; the context goes on unchanged. */
static napi_value digest(napi_env env, napi_callback_info info) {
  SHA256_CTX *ctx;
  uint8_t *out;
  size_t length;
  if (!context_and_bytes(env, info, &ctx, &out, &length)) return NULL;
  if (length != SHA256_DIGEST_LENGTH) {
    checksums_throw(env, "the digest takes 32 bytes");
    return NULL;
  }
  SHA256_CTX copy = *ctx;
  SHA256_Final(out, &copy);
  return NULL;
}

/* save(context, out): writes the saved state into out (sha256SavedSize bytes at most); returns its length. */
static napi_value save(napi_env env, napi_callback_info info) {
  SHA256_CTX *ctx;
  uint8_t *out;
  size_t capacity;
  if (!context_and_bytes(env, info, &ctx, &out, &capacity)) return NULL;
  uint64_t bits = ((uint64_t)ctx->Nh << 32) | ctx->Nl;
  uint64_t count = bits >> 3;
  size_t pending = ctx->num;
  if (pending != count % SHA256_CBLOCK || capacity < SAVED_HEAD + pending) {
    checksums_throw(env, "the context cannot be saved");
    return NULL;
  }
  for (int i = 0; i < 8; i++)
    for (int b = 0; b < 4; b++) out[i * 4 + b] = (uint8_t)(ctx->h[i] >> (24 - 8 * b));
  for (int b = 0; b < 8; b++) out[32 + b] = (uint8_t)(count >> (56 - 8 * b));
  memcpy(out + SAVED_HEAD, ctx->data, pending);
  return checksums_number(env, (double)(SAVED_HEAD + pending));
}

/* restore(context, saved): sets the context to a saved state; throws on one that is not. */
static napi_value restore(napi_env env, napi_callback_info info) {
  SHA256_CTX *ctx;
  uint8_t *in;
  size_t length;
  if (!context_and_bytes(env, info, &ctx, &in, &length)) return NULL;
  uint64_t count = 0;
  if (length >= SAVED_HEAD)
    for (int b = 0; b < 8; b++) count = (count << 8) | in[32 + b];
  if (length < SAVED_HEAD || length - SAVED_HEAD != count % SHA256_CBLOCK || count >> 61 != 0) {
    checksums_throw(env, "not a saved SHA-256 state");
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

/* Adds the SHA-256 functions to `exports` (see module.c). */
void sha256_state_exports(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"sha256ContextSize", NULL, NULL, NULL, NULL, checksums_number(env, sizeof(SHA256_CTX)), napi_enumerable, NULL},
      {"sha256SavedSize", NULL, NULL, NULL, NULL, checksums_number(env, SAVED_HEAD + SHA256_CBLOCK - 1), napi_enumerable, NULL},
      {"sha256Init", NULL, init, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sha256Update", NULL, update, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sha256Digest", NULL, digest, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sha256Save", NULL, save, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sha256Restore", NULL, restore, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}
