// C11 threads on pthreads, for ThreadSanitizer builds only.
//
// Debian's librdkafka uses C11 threads (thrd_create, mtx_lock, cnd_wait).
// glibc implements them on its internal pthread functions, which TSan's
// interceptors never see, and GCC 12's TSan has no C11 interceptors of its
// own: a thread made by thrd_create has no TSan state and crashes at its
// first malloc, and librdkafka's locks and waits, which hand our messages
// and callbacks between threads, would be invisible.
//
// Defined in the test executable, these bind ahead of glibc's for every
// library and forward to the pthread functions TSan intercepts. Same types:
// glibc's mtx_t and cnd_t are pthread_mutex_t and pthread_cond_t in size and
// layout, thrd_t is pthread_t. Written by hand because no Debian package
// provides them.

#include <pthread.h>
#include <threads.h>

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <new>

static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t));
static_assert(sizeof(thrd_t) == sizeof(pthread_t));

namespace {

pthread_mutex_t* Native(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* Native(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

int Result(int err) {
  switch (err) {
    case 0: return thrd_success;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
  }
}

struct Start {
  thrd_start_t func;
  void* arg;
};

void* Trampoline(void* p) {
  const Start start = *static_cast<Start*>(p);
  delete static_cast<Start*>(p);
  // glibc's own thrd_create returns the int through the pointer this way,
  // which its thrd_join (and ours) reads back.
  return reinterpret_cast<void*>(static_cast<intptr_t>(start.func(start.arg)));
}

}  // namespace

extern "C" {

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  Start* start = new (std::nothrow) Start{func, arg};
  if (start == nullptr) return thrd_nomem;
  pthread_t t;
  const int err = pthread_create(&t, nullptr, Trampoline, start);
  if (err != 0) {
    delete start;
    return Result(err);
  }
  *thr = t;
  return thrd_success;
}

int thrd_join(thrd_t thr, int* res) {
  void* value = nullptr;
  const int err = pthread_join(thr, &value);
  if (err == 0 && res != nullptr) *res = static_cast<int>(reinterpret_cast<intptr_t>(value));
  return Result(err);
}

int thrd_detach(thrd_t thr) { return Result(pthread_detach(thr)); }

int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  const int err = pthread_mutex_init(Native(m), &attr);
  pthread_mutexattr_destroy(&attr);
  return Result(err);
}

int mtx_lock(mtx_t* m) { return Result(pthread_mutex_lock(Native(m))); }
int mtx_trylock(mtx_t* m) { return Result(pthread_mutex_trylock(Native(m))); }
int mtx_timedlock(mtx_t* __restrict m, const struct timespec* __restrict at) {
  return Result(pthread_mutex_timedlock(Native(m), at));
}
int mtx_unlock(mtx_t* m) { return Result(pthread_mutex_unlock(Native(m))); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy(Native(m)); }

int cnd_init(cnd_t* c) { return Result(pthread_cond_init(Native(c), nullptr)); }
int cnd_signal(cnd_t* c) { return Result(pthread_cond_signal(Native(c))); }
int cnd_broadcast(cnd_t* c) { return Result(pthread_cond_broadcast(Native(c))); }
int cnd_wait(cnd_t* c, mtx_t* m) { return Result(pthread_cond_wait(Native(c), Native(m))); }
int cnd_timedwait(cnd_t* __restrict c, mtx_t* __restrict m, const struct timespec* __restrict at) {
  return Result(pthread_cond_timedwait(Native(c), Native(m), at));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy(Native(c)); }

}  // extern "C"
