#define _POSIX_C_SOURCE 200809L
/*
 * A small fork-join thread pool for the native backend's kernels.
 *
 * One job at a time, from Node's main thread: the caller publishes the job,
 * bumps a generation counter, runs the first part itself and waits for every
 * worker to acknowledge. Idle workers spin for a short while (the next kernel
 * usually follows within microseconds), then sleep on a condition variable.
 *
 * Matrix products run single-threaded OpenBLAS calls on these same threads,
 * so the process never has two pools competing for the cores.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "gpt2_native.h"

#define MAX_THREADS 64

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

static struct {
  gpt2_range_fn fn;
  void *context;
  int64_t n;
  int parts;
} job;

static int total = 1;  /* threads, the caller included */
static int workers = 0; /* started worker threads */
static pthread_t handles[MAX_THREADS];
/* The generation workers start from (set before they are created). */
static uint64_t start_generation;
static _Atomic uint64_t generation;
static _Atomic int remaining;
static _Atomic int sleeping;
static _Atomic int caller_sleeping;
static _Atomic int quit;
static _Atomic int64_t spin_ns = 100000;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void run_part(int part) {
  int64_t begin = job.n * part / job.parts;
  int64_t end = job.n * (part + 1) / job.parts;
  if (begin < end) job.fn(job.context, begin, end);
}

static uint64_t wait_for_job(uint64_t seen) {
  int64_t deadline = now_ns() + atomic_load(&spin_ns);
  for (unsigned i = 1;; i++) {
    uint64_t current = atomic_load(&generation);
    if (current != seen) return current;
    if ((i & 255) == 0 && now_ns() > deadline) break;
    CPU_RELAX();
  }
  atomic_fetch_add(&sleeping, 1);
  pthread_mutex_lock(&mutex);
  while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &mutex);
  pthread_mutex_unlock(&mutex);
  atomic_fetch_sub(&sleeping, 1);
  return atomic_load(&generation);
}

static void *worker_main(void *argument) {
  int index = (int)(intptr_t)argument;
  uint64_t seen = start_generation;
  for (;;) {
    seen = wait_for_job(seen);
    if (atomic_load(&quit)) return NULL;
    if (index < job.parts) run_part(index);
    if (atomic_fetch_sub(&remaining, 1) == 1 && atomic_load(&caller_sleeping)) {
      pthread_mutex_lock(&mutex);
      pthread_cond_signal(&finished);
      pthread_mutex_unlock(&mutex);
    }
  }
}

static void publish(void) {
  atomic_fetch_add(&generation, 1);
  if (atomic_load(&sleeping) > 0) {
    pthread_mutex_lock(&mutex);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&mutex);
  }
}

static void wait_for_workers(void) {
  int64_t deadline = now_ns() + atomic_load(&spin_ns);
  for (unsigned i = 1; atomic_load(&remaining) > 0; i++) {
    if ((i & 255) == 0 && now_ns() > deadline) {
      atomic_store(&caller_sleeping, 1);
      pthread_mutex_lock(&mutex);
      while (atomic_load(&remaining) > 0) pthread_cond_wait(&finished, &mutex);
      pthread_mutex_unlock(&mutex);
      atomic_store(&caller_sleeping, 0);
      return;
    }
    CPU_RELAX();
  }
}

int gpt2_pool_threads(void) { return total; }

void gpt2_pool_set_spin(int64_t nanoseconds) {
  atomic_store(&spin_ns, nanoseconds < 0 ? 0 : nanoseconds);
}

int gpt2_pool_resize(int threads) {
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS) threads = MAX_THREADS;
  if (workers > 0) {
    atomic_store(&quit, 1);
    atomic_store(&remaining, workers);
    publish();
    for (int i = 1; i <= workers; i++) pthread_join(handles[i], NULL);
    atomic_store(&quit, 0);
    workers = 0;
  }
  total = 1;
  start_generation = atomic_load(&generation);
  for (int i = 1; i < threads; i++) {
    if (pthread_create(&handles[i], NULL, worker_main, (void *)(intptr_t)i) != 0) break;
    workers = i;
  }
  total = workers + 1;
  return total == threads ? 0 : -1;
}

void gpt2_parallel_for(int64_t n, int64_t grain, gpt2_range_fn fn, void *context) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t most = (n + grain - 1) / grain;
  int parts = most < total ? (int)most : total;
  if (parts <= 1 || workers == 0) {
    fn(context, 0, n);
    return;
  }
  job.fn = fn;
  job.context = context;
  job.n = n;
  job.parts = parts;
  atomic_store(&remaining, workers);
  publish();
  run_part(0);
  wait_for_workers();
}
