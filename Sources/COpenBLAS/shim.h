#ifndef QZOO_COPENBLAS_SHIM_H
#define QZOO_COPENBLAS_SHIM_H
#include <stddef.h>
#include <cblas.h>

/* Debian's OpenBLAS exports Fortran LAPACK but no LAPACKE: declare the routines qzoo calls
   (gfortran ABI: every argument by pointer, plus a hidden size_t length per character argument). */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda, float *b, const int *ldb,
             int *info, size_t uplo_len);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b, const int *ldb,
             int *info, size_t uplo_len);
void strtri_(const char *uplo, const char *diag, const int *n, float *a, const int *lda, int *info,
             size_t uplo_len, size_t diag_len);
void dtrtri_(const char *uplo, const char *diag, const int *n, double *a, const int *lda, int *info,
             size_t uplo_len, size_t diag_len);

/* OpenBLAS's own call (pthread builds) that stops its helper threads; its next threaded call
   starts them again. Weak: with an OpenBLAS that lacks it, nothing is stopped. */
int blas_thread_shutdown_(void) __attribute__((weak));
static inline void qzoo_openblas_stop_helpers(void) {
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}
#endif
