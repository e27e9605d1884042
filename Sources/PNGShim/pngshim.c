#include "pngshim.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    char *error;
    size_t error_size;
} ss_png_context;

static void ss_png_error(png_structp png, png_const_charp message) {
    ss_png_context *ctx = (ss_png_context *)png_get_error_ptr(png);
    if (ctx->error && ctx->error_size > 0) {
        snprintf(ctx->error, ctx->error_size, "%s", message);
    }
    longjmp(ctx->jump, 1); /* must not return */
}

static void ss_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void set_error(char *error, size_t size, const char *message) {
    if (error && size > 0) snprintf(error, size, "%s", message);
}

int ss_png_write_rgba(const char *path, uint32_t width, uint32_t height, size_t stride,
                      const uint8_t *pixels, const char *const *text_keys,
                      const char *const *text_values, int text_count,
                      char *error, size_t error_size) {
    FILE *file = fopen(path, "wb");
    if (!file) {
        set_error(error, error_size, "cannot open file for writing");
        return 1;
    }
    ss_png_context ctx = {.error = error, .error_size = error_size};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &ctx, ss_png_error, ss_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_textp texts = NULL;
    png_bytep *rows = NULL;
    if (!png || !info) {
        set_error(error, error_size, "libpng could not allocate its structures");
        if (png) png_destroy_write_struct(&png, NULL);
        fclose(file);
        return 1;
    }
    if (setjmp(ctx.jump)) {
        png_destroy_write_struct(&png, &info);
        free(texts);
        free(rows);
        fclose(file);
        return 1;
    }
    png_init_io(png, file);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (text_count > 0) {
        texts = calloc((size_t)text_count, sizeof(png_text));
        if (!texts) png_error(png, "out of memory");
        for (int i = 0; i < text_count; i++) {
            texts[i].compression = PNG_TEXT_COMPRESSION_NONE;
            texts[i].key = (png_charp)text_keys[i];
            texts[i].text = (png_charp)text_values[i];
        }
        png_set_text(png, info, texts, text_count);
    }
    rows = malloc(sizeof(png_bytep) * (height ? height : 1));
    if (!rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(pixels + (size_t)y * stride);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    free(texts);
    free(rows);
    if (fclose(file) != 0) {
        set_error(error, error_size, "error closing file");
        return 1;
    }
    return 0;
}

int ss_png_read(const char *path, uint32_t *width, uint32_t *height, int *bit_depth,
                int *color_type, uint8_t *pixels, size_t pixels_size,
                ss_png_text_callback on_text, void *context, char *error, size_t error_size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        set_error(error, error_size, "cannot open file for reading");
        return 1;
    }
    unsigned char signature[8];
    if (fread(signature, 1, 8, file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        set_error(error, error_size, "not a PNG file");
        fclose(file);
        return 1;
    }
    ss_png_context ctx = {.error = error, .error_size = error_size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, ss_png_error, ss_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_bytep *rows = NULL;
    if (!png || !info) {
        set_error(error, error_size, "libpng could not allocate its structures");
        if (png) png_destroy_read_struct(&png, NULL, NULL);
        fclose(file);
        return 1;
    }
    if (setjmp(ctx.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        fclose(file);
        return 1;
    }
    png_init_io(png, file);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    *bit_depth = png_get_bit_depth(png, info);
    *color_type = png_get_color_type(png, info);
    if (pixels) {
        if (pixels_size < (size_t)(*width) * (size_t)(*height) * 4) png_error(png, "pixel buffer too small");
        png_set_expand(png);
        png_set_strip_16(png);
        png_set_gray_to_rgb(png);
        png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
        png_read_update_info(png, info);
        rows = malloc(sizeof(png_bytep) * (*height ? *height : 1));
        if (!rows) png_error(png, "out of memory");
        for (uint32_t y = 0; y < *height; y++) rows[y] = pixels + (size_t)y * (*width) * 4;
        png_read_image(png, rows);
        png_read_end(png, info);
    }
    if (on_text) {
        png_textp texts = NULL;
        int count = 0;
        png_get_text(png, info, &texts, &count);
        for (int i = 0; i < count; i++) on_text(context, texts[i].key, texts[i].text);
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    fclose(file);
    return 0;
}
