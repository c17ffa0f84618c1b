// ThreadSanitizer's view of Debian's Abseil synchronization (TSan builds only).
//
// Debian ships Abseil 20220623 (and gRPC 1.51, which locks with it) built
// without -fsanitize=thread. absl::Mutex is a futex of its own, not a pthread
// mutex, so TSan's interceptors never see it: every hand-off through an
// absl::Mutex, a CondVar or a Notification looked like a data race.
//
// This file gives TSan what an instrumented Abseil would: it defines the
// exported synchronization entry points in the test executable, which the
// dynamic linker then binds ahead of libabsl_synchronization.so for every
// caller (our code, gRPC, and Abseil itself: the library calls its own
// entry points through its PLT). Each wrapper calls the library's own
// function (dlsym RTLD_NEXT) between the annotations Abseil makes when it is
// built with TSan (absl/base/internal/tsan_mutex_interface.h): pre/post lock
// and unlock, with the mutex's accesses ignored in between. A wait
// (CondVar::Wait, Mutex::Await) releases the mutex and takes it again, so
// it is annotated as an unlock and a lock. Notification::Notify also
// releases on its flag, which HasBeenNotified (inline, instrumented) reads
// with acquire.
//
// Written by hand because no Debian package provides an instrumented
// Abseil; see README "Sanitizers".

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace {

template <typename Fn>
Fn Real(const char* mangled) {
  void* f = dlsym(RTLD_NEXT, mangled);
  if (f == nullptr) {
    std::fprintf(stderr, "tsan_absl: %s not found in the libraries: %s\n", mangled, dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

#define AGORA_REAL(type, mangled)                  \
  static const auto real = Real<type>(mangled)

// A wrapper called from inside another (Abseil's AwaitWithTimeout calls
// AwaitWithDeadline through its PLT) must not annotate a second time.
thread_local int depth = 0;
struct Nesting {
  const bool outer = depth++ == 0;
  Nesting() = default;
  Nesting(const Nesting&) = delete;
  Nesting& operator=(const Nesting&) = delete;
  ~Nesting() { --depth; }
};

void Locked(void* m, unsigned flags) { __tsan_mutex_post_lock(m, flags, 0); }

// The mutex is released for the wait and held again after it.
void BeginWait(absl::Mutex* mu, bool reader) {
  const unsigned flags = reader ? __tsan_mutex_read_lock : 0;
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
}
void EndWait(absl::Mutex* mu, bool reader) { Locked(mu, reader ? __tsan_mutex_read_lock : 0); }

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  AGORA_REAL(void (*)(Mutex*), "_ZN4absl7debian35MutexD2Ev");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  AGORA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, 0);
  real(this);
  if (nest.outer) Locked(this, 0);
}

void Mutex::ReaderLock() {
  AGORA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this);
  if (nest.outer) Locked(this, __tsan_mutex_read_lock);
}

bool Mutex::TryLock() {
  AGORA_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool ok = real(this);
  if (nest.outer) Locked(this, __tsan_mutex_try_lock | (ok ? 0 : __tsan_mutex_try_lock_failed));
  return ok;
}

bool Mutex::ReaderTryLock() {
  AGORA_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const Nesting nest;
  const unsigned flags = __tsan_mutex_read_lock | __tsan_mutex_try_lock;
  if (nest.outer) __tsan_mutex_pre_lock(this, flags);
  const bool ok = real(this);
  if (nest.outer) Locked(this, flags | (ok ? 0 : __tsan_mutex_try_lock_failed));
  return ok;
}

void Mutex::Unlock() {
  AGORA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_unlock(this, 0);
  real(this);
  if (nest.outer) __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderUnlock() {
  AGORA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_unlock(this, __tsan_mutex_read_lock);
  real(this);
  if (nest.outer) __tsan_mutex_post_unlock(this, __tsan_mutex_read_lock);
}

void Mutex::LockWhen(const Condition& cond) {
  AGORA_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, 0);
  real(this, cond);
  if (nest.outer) Locked(this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  AGORA_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  real(this, cond);
  if (nest.outer) Locked(this, __tsan_mutex_read_lock);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  AGORA_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, 0);
  const bool met = real(this, cond, timeout);
  if (nest.outer) Locked(this, 0);  // held whatever the answer
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  AGORA_REAL(bool (*)(Mutex*, const Condition&, Time),
             "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, 0);
  const bool met = real(this, cond, deadline);
  if (nest.outer) Locked(this, 0);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  AGORA_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  const bool met = real(this, cond, timeout);
  if (nest.outer) Locked(this, __tsan_mutex_read_lock);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  AGORA_REAL(bool (*)(Mutex*, const Condition&, Time),
             "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const Nesting nest;
  if (nest.outer) __tsan_mutex_pre_lock(this, __tsan_mutex_read_lock);
  const bool met = real(this, cond, deadline);
  if (nest.outer) Locked(this, __tsan_mutex_read_lock);
  return met;
}

// Await: called holding the mutex (for writing; a reader's Await is rare
// and annotated the same way, which only makes TSan stricter).
void Mutex::Await(const Condition& cond) {
  AGORA_REAL(void (*)(Mutex*, const Condition&), "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  const Nesting nest;
  if (nest.outer) BeginWait(this, false);
  real(this, cond);
  if (nest.outer) EndWait(this, false);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  AGORA_REAL(bool (*)(Mutex*, const Condition&, Duration),
             "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const Nesting nest;
  if (nest.outer) BeginWait(this, false);
  const bool met = real(this, cond, timeout);
  if (nest.outer) EndWait(this, false);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  AGORA_REAL(bool (*)(Mutex*, const Condition&, Time),
             "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const Nesting nest;
  if (nest.outer) BeginWait(this, false);
  const bool met = real(this, cond, deadline);
  if (nest.outer) EndWait(this, false);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  AGORA_REAL(void (*)(CondVar*, Mutex*), "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  const Nesting nest;
  if (nest.outer) BeginWait(mu, false);
  real(this, mu);
  if (nest.outer) EndWait(mu, false);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  AGORA_REAL(bool (*)(CondVar*, Mutex*, Duration),
             "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  const Nesting nest;
  if (nest.outer) BeginWait(mu, false);
  const bool timed_out = real(this, mu, timeout);
  if (nest.outer) EndWait(mu, false);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  AGORA_REAL(bool (*)(CondVar*, Mutex*, Time),
             "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  const Nesting nest;
  if (nest.outer) BeginWait(mu, false);
  const bool timed_out = real(this, mu, deadline);
  if (nest.outer) EndWait(mu, false);
  return timed_out;
}

// Notify sets the flag (a release store TSan does not see) under the
// notification's mutex: publish it to HasBeenNotified's acquire load. Not a
// mutex operation itself: the Lock and Unlock it makes are annotated.
void Notification::Notify() {
  AGORA_REAL(void (*)(Notification*), "_ZN4absl7debian312Notification6NotifyEv");
  static_assert(sizeof(Notification) == sizeof(Mutex) + sizeof(std::atomic<bool>) + 7,
                "Notification is { Mutex mutex_; std::atomic<bool> notified_yet_; }");
  __tsan_release(reinterpret_cast<char*>(this) + sizeof(Mutex));
  real(this);
}

// The waits return at once, without touching the mutex, when the flag is
// already set (a read TSan does not see): acquire on the flag whenever
// they answer "notified".
void Notification::WaitForNotification() const {
  AGORA_REAL(void (*)(const Notification*), "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  __tsan_acquire(const_cast<char*>(reinterpret_cast<const char*>(this)) + sizeof(Mutex));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  AGORA_REAL(bool (*)(const Notification*, Duration),
             "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<char*>(reinterpret_cast<const char*>(this)) + sizeof(Mutex));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  AGORA_REAL(bool (*)(const Notification*, Time),
             "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<char*>(reinterpret_cast<const char*>(this)) + sizeof(Mutex));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
