#define _POSIX_C_SOURCE 200809L
/*
 * A small fork-join thread pool for the native backend's kernels.
 *
 * One job at a time (a second caller, from another Node worker thread, runs
 * its job alone). The caller publishes the job
 * (a range cut into chunks) and works on it too; every thread claims chunks
 * from one atomic word until none are left, so a worker that the OS has not
 * scheduled (the machine is busy) costs nothing: the others take its share.
 * Idle workers spin for a short while (the next kernel usually follows within
 * microseconds), then sleep on a condition variable.
 *
 * Matrix products run single-threaded OpenBLAS calls on these same threads,
 * so the process never has two pools competing for the cores.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "gpt2_native.h"

#define MAX_THREADS 64
/* Chunks per thread: more balance the load when threads run at different speeds. */
#define CHUNKS_PER_THREAD 4
#define MAX_CHUNKS 65535

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* The job; written by the caller before it publishes a generation, read by a thread only after it claimed a chunk. */
static struct {
  gpt2_range_fn fn;
  void *context;
  int64_t n;
} job;

/* (generation << 32) | (chunks << 16) | next chunk: claiming is one compare-and-swap. */
static _Atomic uint64_t claim;
static _Atomic uint32_t generation;
static _Atomic int64_t finished_chunks;
static _Atomic int sleeping;
static _Atomic int quit;
/* Set while a job runs: a second caller (another Node worker thread) runs its job alone. */
static _Atomic int busy;
static _Atomic int64_t spin_ns = 100000;

static int total = 1;   /* threads, the caller included */
static int workers = 0; /* started worker threads */
static pthread_t handles[MAX_THREADS];
static uint32_t start_generation; /* the generation workers start from */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Claim and run chunks of generation `gen` until none are left. */
static void work(uint32_t gen) {
  for (;;) {
    uint64_t word = atomic_load(&claim);
    if ((uint32_t)(word >> 32) != gen) return;
    uint64_t chunks = (word >> 16) & 0xffff, next = word & 0xffff;
    if (next >= chunks) return;
    if (!atomic_compare_exchange_weak(&claim, &word, word + 1)) continue;
    /* The job cannot change until this chunk is counted finished. */
    int64_t begin = job.n * (int64_t)next / (int64_t)chunks;
    int64_t end = job.n * (int64_t)(next + 1) / (int64_t)chunks;
    if (begin < end) job.fn(job.context, begin, end);
    atomic_fetch_add(&finished_chunks, 1);
  }
}

static uint32_t wait_for_job(uint32_t seen) {
  int64_t deadline = now_ns() + atomic_load(&spin_ns);
  for (unsigned i = 1;; i++) {
    uint32_t current = atomic_load(&generation);
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
  (void)argument;
  uint32_t seen = start_generation;
  for (;;) {
    seen = wait_for_job(seen);
    if (atomic_load(&quit)) return NULL;
    work(seen);
  }
}

static void publish(uint32_t gen) {
  atomic_store(&generation, gen);
  if (atomic_load(&sleeping) > 0) {
    pthread_mutex_lock(&mutex);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&mutex);
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
    publish(atomic_load(&generation) + 1);
    for (int i = 1; i <= workers; i++) pthread_join(handles[i], NULL);
    atomic_store(&quit, 0);
    workers = 0;
  }
  start_generation = atomic_load(&generation);
  for (int i = 1; i < threads; i++) {
    if (pthread_create(&handles[i], NULL, worker_main, NULL) != 0) break;
    workers = i;
  }
  total = workers + 1;
  return total == threads ? 0 : -1;
}

void gpt2_parallel_for(int64_t n, int64_t grain, gpt2_range_fn fn, void *context) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = (n + grain - 1) / grain;
  int64_t most = (int64_t)total * CHUNKS_PER_THREAD;
  if (chunks > most) chunks = most;
  if (chunks > n) chunks = n;
  if (chunks > MAX_CHUNKS) chunks = MAX_CHUNKS;
  int expected = 0;
  if (chunks <= 1 || workers == 0 || !atomic_compare_exchange_strong(&busy, &expected, 1)) {
    fn(context, 0, n);
    return;
  }
  job.fn = fn;
  job.context = context;
  job.n = n;
  atomic_store(&finished_chunks, 0);
  uint32_t gen = atomic_load(&generation) + 1;
  atomic_store(&claim, ((uint64_t)gen << 32) | ((uint64_t)chunks << 16));
  publish(gen);
  work(gen);
  /* Chunks still running on other threads: wait, yielding the core now and then. */
  for (unsigned i = 1; atomic_load(&finished_chunks) < chunks; i++) {
    if ((i & 63) == 0) sched_yield();
    else CPU_RELAX();
  }
  atomic_store(&busy, 0);
}
