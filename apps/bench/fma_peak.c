/* Peak f32 multiply-add rate of this CPU: every OpenMP thread runs independent chains of vector FMAs
 * (enough chains to cover the FMA latency), built with gcc -O3 -march=native -fopenmp at bench time.
 * Prints GFLOP/s (2 flops per lane per FMA) for one thread and for all threads as one JSON line. */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define SUM(v) _mm512_reduce_add_ps(v)
#elif defined(__FMA__)
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float SUM(__m256 v) { float t[8]; _mm256_storeu_ps(t, v); return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7]; }
#else
#error "needs FMA (x86-64 with -march=native on an FMA-capable CPU)"
#endif

#define CHAINS 12
#define ITERS 100000000L

static float chains(float seed) {
  vec acc[CHAINS];
  for (int c = 0; c < CHAINS; c++) acc[c] = SET1(seed + c);
  const vec a = SET1(0.999999f), b = SET1(1e-7f);
  for (long i = 0; i < ITERS; i++)
    for (int c = 0; c < CHAINS; c++) acc[c] = FMA(acc[c], a, b);
  vec total = acc[0];
  for (int c = 1; c < CHAINS; c++) total = ADD(total, acc[c]);
  return SUM(total);
}

static double run(int threads, float *sink) {
  double start = omp_get_wtime();
  float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
  total += chains((float)omp_get_thread_num());
  double seconds = omp_get_wtime() - start;
  *sink += total;
  return 2.0 * LANES * CHAINS * (double)ITERS * threads / seconds / 1e9;
}

int main(void) {
  float sink = 0;
  int threads = omp_get_num_procs();
  run(1, &sink); /* warm-up, so the core reaches its working clock */
  double one = run(1, &sink);
  double all = run(threads, &sink);
  printf("{\"lanes\": %d, \"threads\": %d, \"gflopsOneThread\": %.2f, \"gflopsAllThreads\": %.2f, \"sink\": %g}\n",
         LANES, threads, one, all, (double)sink);
  return 0;
}
