/* C side of compiler/tests/differential.rs (fast kernels): for each case the Rust test
 * lists, print what the C runtime computes, so the test can compare it with the Rust
 * formulas (meshnn::kernels) that size and pack for these kernels.
 *
 *   differential_probe CASES DIR
 *
 * CASES: one case per line,
 *   conv ID n c_in in_h in_w c_out out_h out_w k_h k_w s_h s_w d_h d_w pad_t pad_l group PACKED
 *   gemm ID m n k trans_a trans_b alpha beta C_LEN       (C_LEN 0: no C)
 * with raw little-endian float32 files in DIR: conv: ID.w (weights [c_out][c_in/group]
 * [k_h][k_w]) and, with PACKED = 1, ID.packed (meshnn's packing); gemm: ID.b (B as in
 * the model), ID.c (C_LEN values), ID.bp and ID.bias (meshnn's packing).
 * Output: "const MR MAX_TAPS RNN GRU LSTM" (the last three: MN_RNN_SCRATCH_FLOATS of the
 * recurrent kernels at hidden 7), then per case
 *   conv ID FAST_SCRATCH DW_SCRATCH PACKED_SIZE PACK_SAME RUN_OK
 *   gemm ID RUN_OK
 * PACK_SAME: 1 when mn_conv2d_fast_f32_pack writes meshnn's packed weights bit for bit
 * (-1: not packed). RUN_OK: 1 when the fast kernel on meshnn's packed operands matches
 * the reference kernel on the model's operands (random input; -1: not run). */
#include "mn_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t g_seed = 2024u;

static float rndf(void)
{
    g_seed = g_seed * 1664525u + 1013904223u;
    return (float)((g_seed >> 8) % 20001u) / 10000.0f - 1.0f;
}

static float *read_f32(const char *dir, const char *id, const char *ext, long want)
{
    char path[1024];
    float *v = (float *)calloc((size_t)(want > 0 ? want : 1), sizeof(float));
    FILE *f;
    snprintf(path, sizeof path, "%s/%s.%s", dir, id, ext);
    f = fopen(path, "rb");
    if (!f || fread(v, sizeof(float), (size_t)want, f) != (size_t)want) {
        fprintf(stderr, "differential_probe: cannot read %ld floats from %s\n", want, path);
        exit(2);
    }
    fclose(f);
    return v;
}

static float *random_f32(long n)
{
    float *v = (float *)malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    long i;
    for (i = 0; i < n; ++i) {
        v[i] = rndf();
    }
    return v;
}

/* 1 when every element agrees within 1e-5 * (1 + |reference|) (the tolerance of
 * runtime-c/tests/test_fast_vs_ref.c: sums are accumulated in another order). */
static int close_all(const float *got, const float *want, long n)
{
    long i;
    for (i = 0; i < n; ++i) {
        if (!(fabsf(got[i] - want[i]) <= 1e-5f * (1.0f + fabsf(want[i])))) {
            return 0;
        }
    }
    return 1;
}

static void conv_case(const char *dir, const char *id, const mn_conv_params_t *p, int packed)
{
    const long n_w = (long)p->c_out * (p->c_in / p->group) * p->k_h * p->k_w;
    const long n_x = (long)p->n * p->c_in * p->in_h * p->in_w;
    const long n_y = (long)p->n * p->c_out * p->out_h * p->out_w;
    const int32_t fast_s = mn_conv2d_fast_f32_scratch_size(p);
    const int32_t dw_s = mn_conv2d_dw_f32_scratch_size(p);
    const int32_t packed_n = mn_conv2d_fast_f32_packed_size(p);
    int pack_same = -1, run_ok = -1;
    if (packed) {
        float *w = read_f32(dir, id, "w", n_w);
        float *rust = read_f32(dir, id, "packed", packed_n);
        float *c_packed = (float *)malloc((size_t)packed_n * sizeof(float));
        float *x = random_f32(n_x);
        float *b = random_f32(p->c_out);
        float *scratch = (float *)malloc((size_t)(fast_s > 0 ? fast_s : 1) * sizeof(float));
        float *y_ref = (float *)malloc((size_t)n_y * sizeof(float));
        float *y_fast = (float *)malloc((size_t)n_y * sizeof(float));
        mn_conv2d_fast_f32_pack(p, w, c_packed);
        pack_same = memcmp(c_packed, rust, (size_t)packed_n * sizeof(float)) == 0;
        mn_conv2d_f32(p, x, w, b, y_ref);
        mn_conv2d_fast_f32(p, x, rust, b, scratch, y_fast);
        run_ok = close_all(y_fast, y_ref, n_y);
        free(w), free(rust), free(c_packed), free(x), free(b), free(scratch);
        free(y_ref), free(y_fast);
    }
    printf("conv %s %ld %ld %ld %d %d\n", id, (long)fast_s, (long)dw_s, (long)packed_n,
           pack_same, run_ok);
}

static void gemm_case(const char *dir, const char *id, const mn_gemm_params_t *p, long c_len)
{
    float *b = read_f32(dir, id, "b", (long)p->k * p->n);
    float *c = c_len ? read_f32(dir, id, "c", c_len) : NULL;
    float *bp = read_f32(dir, id, "bp", (long)p->k * p->n);
    float *bias = c_len ? read_f32(dir, id, "bias", p->n) : NULL;
    float *a = random_f32((long)p->m * p->k);
    float *y_ref = (float *)malloc((size_t)p->m * (size_t)p->n * sizeof(float));
    float *y_fast = (float *)malloc((size_t)p->m * (size_t)p->n * sizeof(float));
    mn_gemm_f32(p, a, b, c, y_ref);
    mn_gemm_fast_f32(p, a, bp, bias, y_fast);
    printf("gemm %s %d\n", id, close_all(y_fast, y_ref, (long)p->m * p->n));
    free(b), free(c), free(bp), free(bias), free(a), free(y_ref), free(y_fast);
}

int main(int argc, char **argv)
{
    char kind[16], id[64];
    FILE *f;
    if (argc != 3 || !(f = fopen(argv[1], "r"))) {
        fprintf(stderr, "usage: differential_probe CASES DIR\n");
        return 2;
    }
    printf("const %d %d %d %d %d\n", MN_CONV_FAST_MR, MN_CONV_FAST_MAX_TAPS,
           MN_RNN_SCRATCH_FLOATS(1, 7), MN_RNN_SCRATCH_FLOATS(3, 7), MN_RNN_SCRATCH_FLOATS(4, 7));
    while (fscanf(f, "%15s %63s", kind, id) == 2) {
        if (strcmp(kind, "conv") == 0) {
            mn_conv_params_t p;
            int packed;
            memset(&p, 0, sizeof p);
            if (fscanf(f, "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d", &p.n, &p.c_in,
                       &p.in_h, &p.in_w, &p.c_out, &p.out_h, &p.out_w, &p.k_h, &p.k_w,
                       &p.stride_h, &p.stride_w, &p.dil_h, &p.dil_w, &p.pad_top, &p.pad_left,
                       &p.group, &packed) != 17) {
                return 2;
            }
            conv_case(argv[2], id, &p, packed);
        } else if (strcmp(kind, "gemm") == 0) {
            mn_gemm_params_t p;
            long c_len;
            memset(&p, 0, sizeof p);
            if (fscanf(f, "%d %d %d %d %d %f %f %ld", &p.m, &p.n, &p.k, &p.trans_a,
                       &p.trans_b, &p.alpha, &p.beta, &c_len) != 8) {
                return 2;
            }
            p.c_stride_m = 0; /* meshnn packs only a C that does not vary along m */
            p.c_stride_n = c_len == 1 ? 0 : 1;
            gemm_case(argv[2], id, &p, c_len);
        } else {
            return 2;
        }
    }
    fclose(f);
    return 0;
}
