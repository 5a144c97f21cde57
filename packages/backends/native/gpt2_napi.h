/* Node-API helpers shared by the addon's kernel files: typed arguments, checked. */
#ifndef GPT2_NAPI_H
#define GPT2_NAPI_H

#include <math.h>
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
  void *data;
  size_t length; /* elements */
  napi_typedarray_type type;
} view;

static inline size_t element_size(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    default:
      return 8;
  }
}

static inline bool fail(napi_env env, const char *name, const char *message) {
  char text[256];
  snprintf(text, sizeof text, "gpt2 native %s: %s", name, message);
  napi_throw_type_error(env, NULL, text);
  return false;
}

static inline bool range_fail(napi_env env, const char *name, const char *message) {
  char text[256];
  snprintf(text, sizeof text, "gpt2 native %s: %s", name, message);
  napi_throw_range_error(env, NULL, text);
  return false;
}

static inline bool is_nullish(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return true;
  return type == napi_null || type == napi_undefined;
}

/* A TypedArray argument; `want` is the required type, -1 for any 4-byte type, -2 for any. */
static inline bool get_view(napi_env env, napi_value value, int want, const char *name, view *out) {
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) {
    return fail(env, name, "expected a TypedArray");
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok) {
    return fail(env, name, "unreadable TypedArray");
  }
  if (want >= 0 && (int)type != want) return fail(env, name, "wrong TypedArray type");
  if (want == -1 && element_size(type) != 4) return fail(env, name, "expected 4-byte elements");
  out->data = data;
  out->length = length;
  out->type = type;
  return true;
}

static inline int64_t get_int(napi_env env, napi_value value) {
  double number = -1;
  napi_get_value_double(env, value, &number);
  return number == number ? (int64_t)number : -1;
}

static inline double get_double(napi_env env, napi_value value) {
  double number = NAN;
  napi_get_value_double(env, value, &number);
  return number;
}

static inline bool get_bool(napi_env env, napi_value value) {
  bool out = false;
  napi_get_value_bool(env, value, &out);
  return out;
}

#define ARGS(count, name)                                                   \
  size_t argc = (count);                                                    \
  napi_value argv[(count) > 0 ? (count) : 1];                               \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok ||    \
      argc < (count)) {                                                     \
    fail(env, name, "too few arguments");                                   \
    return NULL;                                                            \
  }

#endif
