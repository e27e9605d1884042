#ifndef SOUNDSTAGE_PNGSHIM_H
#define SOUNDSTAGE_PNGSHIM_H
#include <stddef.h>
#include <stdint.h>

/// Writes 8-bit RGBA pixels (row-major, `stride` bytes per row) as a PNG with optional tEXt
/// chunks. Returns 0 on success; otherwise non-zero with a message in `error` (NUL-terminated).
/// libpng reports failures by longjmp; the setjmp lives here so Swift never sees it.
int ss_png_write_rgba(const char *path, uint32_t width, uint32_t height, size_t stride,
                      const uint8_t *pixels, const char *const *text_keys,
                      const char *const *text_values, int text_count,
                      char *error, size_t error_size);

/// Callback receiving one tEXt/zTXt/iTXt chunk while reading.
typedef void (*ss_png_text_callback)(void *context, const char *key, const char *value);

/// Reads a PNG, converting to 8-bit RGBA. If `pixels` is NULL only the header and text are read
/// (width/height returned); otherwise `pixels` must hold width*height*4 bytes.
/// `bit_depth` and `color_type` report the file's own header values.
int ss_png_read(const char *path, uint32_t *width, uint32_t *height, int *bit_depth,
                int *color_type, uint8_t *pixels, size_t pixels_size,
                ss_png_text_callback on_text, void *context, char *error, size_t error_size);
#endif
