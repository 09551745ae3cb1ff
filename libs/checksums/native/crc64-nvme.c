/*
 * CRC-64/NVME (S3's CRC64NVME: reflected polynomial 0x9a6c9329ac4bc9b5, register starting at all
 * ones) by folding with carry-less multiplication (PCLMULQDQ), as in Intel's "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ Instruction" (2009):
 *
 * A 128-bit block B followed by D more bits of message is, modulo P, B_lo * x^(D+64) + B_hi * x^D
 * (bit-reflected: the block's first 8 bytes are its high-order terms). Each 64-bit half times the
 * 64-bit remainder x^e mod P is a 127-bit product that XORs into the block D bits later, so the
 * message folds into four running blocks 512 bits apart, then into one, without reducing. The last
 * block and the bytes past the last whole block go through the byte-wise table, which also serves
 * CPUs without the instruction (`crc64nvmeAccelerated` is then false and callers keep their own
 * engine). The register is the raw value, as src/crc-engine.ts keeps it: no final inversion here.
 */
#include "checksums.h"
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CLMUL_BUILT 1
#else
#define CLMUL_BUILT 0
#endif

#define POLY_REFLECTED 0x9a6c9329ac4bc9b5ULL
/* The same polynomial in normal order, without its x^64 term. */
#define POLY_NORMAL 0xad93d23594c93659ULL

static uint64_t table[256];
/* Fold constants for 128 and 512 bits: {x^(D+63) mod P, x^(D-1) mod P}, bit-reflected. */
static uint64_t fold128[2], fold512[2];
static int accelerated;

static uint64_t reflect64(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; i++, v >>= 1) r = (r << 1) | (v & 1);
  return r;
}

/* x^e mod P, in normal order. */
static uint64_t x_power_mod(unsigned e) {
  uint64_t r = 1;
  for (unsigned i = 0; i < e; i++) r = (r << 1) ^ ((r >> 63) ? POLY_NORMAL : 0);
  return r;
}

static uint64_t bytewise(uint64_t crc, const uint8_t *p, size_t n) {
  while (n--) crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if CLMUL_BUILT
__attribute__((target("pclmul,sse2"))) static __m128i fold(__m128i block, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(block, k, 0x00), _mm_clmulepi64_si128(block, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) static uint64_t folded(uint64_t crc, const uint8_t *p, size_t n) {
  if (n < 128) return bytewise(crc, p, n);
  const __m128i k512 = _mm_set_epi64x((long long)fold512[1], (long long)fold512[0]);
  const __m128i k128 = _mm_set_epi64x((long long)fold128[1], (long long)fold128[0]);
  __m128i a0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi64_si128((long long)crc));
  __m128i a1 = _mm_loadu_si128((const __m128i *)(p + 16));
  __m128i a2 = _mm_loadu_si128((const __m128i *)(p + 32));
  __m128i a3 = _mm_loadu_si128((const __m128i *)(p + 48));
  p += 64;
  n -= 64;
  for (; n >= 64; p += 64, n -= 64) {
    a0 = _mm_xor_si128(fold(a0, k512), _mm_loadu_si128((const __m128i *)p));
    a1 = _mm_xor_si128(fold(a1, k512), _mm_loadu_si128((const __m128i *)(p + 16)));
    a2 = _mm_xor_si128(fold(a2, k512), _mm_loadu_si128((const __m128i *)(p + 32)));
    a3 = _mm_xor_si128(fold(a3, k512), _mm_loadu_si128((const __m128i *)(p + 48)));
  }
  __m128i a = _mm_xor_si128(fold(a0, k128), a1);
  a = _mm_xor_si128(fold(a, k128), a2);
  a = _mm_xor_si128(fold(a, k128), a3);
  for (; n >= 16; p += 16, n -= 16) a = _mm_xor_si128(fold(a, k128), _mm_loadu_si128((const __m128i *)p));
  uint8_t last[16];
  _mm_storeu_si128((__m128i *)last, a);
  return bytewise(bytewise(0, last, 16), p, n);
}
#endif

static uint64_t crc64(uint64_t crc, const uint8_t *p, size_t n) {
#if CLMUL_BUILT
  if (accelerated) return folded(crc, p, n);
#endif
  return bytewise(crc, p, n);
}

/* crc64nvme(register: bigint, bytes: Uint8Array): bigint, the register after the bytes. */
static napi_value update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint64_t crc;
  bool lossless;
  uint8_t *data;
  size_t length;
  if (!checksums_args(env, info, 2, argv)) return NULL;
  if (napi_get_value_bigint_uint64(env, argv[0], &crc, &lossless) != napi_ok || !lossless) {
    checksums_throw(env, "a CRC-64 register is a bigint of 64 bits");
    return NULL;
  }
  if (!checksums_bytes(env, argv[1], &data, &length)) return NULL;
  napi_value result;
  napi_create_bigint_uint64(env, crc64(crc, data, length), &result);
  return result;
}

void crc64_nvme_exports(napi_env env, napi_value exports) {
  for (uint32_t i = 0; i < 256; i++) {
    uint64_t crc = i;
    for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ ((crc & 1) ? POLY_REFLECTED : 0);
    table[i] = crc;
  }
  fold128[0] = reflect64(x_power_mod(128 + 63));
  fold128[1] = reflect64(x_power_mod(128 - 1));
  fold512[0] = reflect64(x_power_mod(512 + 63));
  fold512[1] = reflect64(x_power_mod(512 - 1));
#if CLMUL_BUILT
  __builtin_cpu_init();
  accelerated = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse2");
#endif
  napi_value flag;
  napi_get_boolean(env, accelerated, &flag);
  const napi_property_descriptor properties[] = {
      {"crc64nvme", NULL, update, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crc64nvmeAccelerated", NULL, NULL, NULL, NULL, flag, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}
