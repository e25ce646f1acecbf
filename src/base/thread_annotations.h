#pragma once
// Clang's thread-safety attributes (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html),
// checked by -Wthread-safety in every clang build of our code (cmake/toolchain.cmake). They
// expand to nothing elsewhere, so GCC builds see plain declarations. Use them with the annotated
// types of base/mutex.h: libstdc++'s std::mutex carries no annotations.
//
//   GUARDED_BY(m)       the field may be read or written only while `m` is held
//   PT_GUARDED_BY(m)    the pointee (not the pointer) is guarded by `m`
//   REQUIRES(m)         the caller must hold `m` (exclusively); REQUIRES_SHARED for a reader
//   EXCLUDES(m)         the caller must not hold `m` (the function takes it)
//   ACQUIRED_BEFORE(m)  lock order: this mutex is taken before `m` when both are held
//   ACQUIRE/RELEASE     the function takes/releases the capability (lock types, lock helpers)
//   NO_THREAD_SAFETY_ANALYSIS  opt a function out; always say why beside it
#if defined(__clang__)
#define SPATE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SPATE_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) SPATE_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY SPATE_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) SPATE_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) SPATE_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) SPATE_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) SPATE_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define REQUIRES(...) SPATE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) SPATE_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) SPATE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) SPATE_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) SPATE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) SPATE_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) SPATE_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) SPATE_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) SPATE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) SPATE_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) SPATE_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS SPATE_THREAD_ANNOTATION(no_thread_safety_analysis)
